import FCN
import Foundation
import NN
import ONNXExport
import SegData
import Tensor
import WeightIO
import XCTest

/// ONNX export against ONNX Runtime, without Python at test time. tools/check_onnx.py --fixtures
/// exported two tiny nets with `fcn export` (dynamic H and W), had onnx.checker accept the files
/// and ONNX Runtime run them on a 37×45 input (not a multiple of 32: the course net's in-graph
/// pad and crop-back run), and committed the weights, the input, ONNX Runtime's logits and the
/// FNV-1a digest of the .onnx file. Here: our forward gives ONNX Runtime's logits, and today's
/// exporter writes the file ONNX Runtime ran (same digest).
final class ONNXExportTests: XCTestCase {
  static let names = ["course-fcn8", "fcn8s-atonce"]

  func model(_ name: String) throws -> FCNModel {
    let m = try ModelWeights.loadModel(fixtures.appendingPathComponent("onnx/\(name).safetensors"))
    m.setTraining(false)
    return m
  }

  /// The metadata `fcn export` writes for a model loaded from a bare weights file.
  func cliMetadata(_ m: FCNModel) throws -> [(String, String)] {
    try ONNXExporter.metadata(
      for: m, normalization: Normalization.imagenet.rawValue, formula: Normalization.imagenet.formula,
      classNames: (0..<m.classes).map { "class\($0)" })
  }

  func testOurLogitsEqualONNXRuntimes() throws {
    for name in Self.names {
      let m = try model(name)
      let input = try NumPy.read(contentsOf: fixtures.appendingPathComponent("onnx/\(name).input.npy"))
      let expected = try NumPy.read(contentsOf: fixtures.appendingPathComponent("onnx/\(name).ort_logits.npy"))
      XCTAssertEqual(input.shape, [1, 3, 37, 45])
      let y = try m(Variable(Tensor(shape: input.shape, values: input.floats()))).value
      XCTAssertEqual(y.shape, expected.shape, name)
      let got = try y.toArray()
      let want = try expected.floats()
      let scale = want.map { abs($0) }.max() ?? 0
      XCTAssertGreaterThan(scale, 1e-3, "\(name): logits this small would hide errors")
      let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(name): max |ours − ONNX Runtime| / max |ONNX Runtime|")
    }
  }

  func testExporterWritesTheFileONNXRuntimeRan() throws {
    for name in Self.names {
      let m = try model(name)
      let ours = try ONNXExporter(model: m, opset: 17, size: .dynamic, metadata: cliMetadata(m)).encoded()
      let digest = String(decoding: try fixtureBytes("onnx/\(name).onnx.fnv1a64"), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      XCTAssertEqual(
        String(fnv1a64(ours), radix: 16).leftPadded(to: 16), digest,
        "\(name): the export changed; rerun tools/check_onnx.py --fixtures to check it with ONNX Runtime")
    }
  }

  /// An opset outside the supported range is refused; a fixed size makes the pad and crop
  /// amounts constants (no Shape nodes), the dynamic export computes them from Shape.
  func testRefusalAndFixedSize() throws {
    let m = try model("course-fcn8")
    XCTAssertThrowsError(try ONNXExporter(model: m, opset: 9).encoded()) { error in
      XCTAssertTrue("\(error)".contains("opset"), "\(error)")
    }
    let shape = Array("Shape".utf8)
    func mentionsShape(_ b: [UInt8]) -> Bool {
      b.indices.dropLast(shape.count).contains { Array(b[$0..<$0 + shape.count]) == shape }
    }
    XCTAssertFalse(mentionsShape(try ONNXExporter(model: m, size: .fixed(height: 37, width: 45)).encoded()))
    XCTAssertTrue(mentionsShape(try ONNXExporter(model: m).encoded()))
  }
}

/// FNV-1a, 64 bits: a fingerprint of the exported file (the fixture script computes the same).
func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
  bytes.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
}

extension String {
  func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
