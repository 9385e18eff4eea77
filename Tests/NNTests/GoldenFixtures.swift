import Foundation
import NN
import Tensor
import WeightIO
import XCTest

/// Parity with PyTorch: fixtures written by tools/make_golden.py (torch, float64, stored as
/// float32), used by each subject's tests (ConvolutionTests, BatchNormTests, …). Tolerance: max
/// abs error ≤ 1e-4 relative to the output's scale; each comparison prints its error for the
/// issue notes.
enum GoldenOps {
  static let fixtures: [String: HostArray] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/golden_ops.safetensors")
    return (try? SafeTensors.read(contentsOf: url).tensors) ?? [:]
  }()
}

extension XCTestCase {
  func array(_ key: String) throws -> HostArray {
    guard let a = GoldenOps.fixtures[key] else {
      XCTFail("missing fixture \(key): run tools/make_golden.py")
      throw TensorError.unsupported("missing fixture \(key)")
    }
    return a
  }

  func values(_ key: String) throws -> [Float] { try array(key).floats() }
  func ints(_ key: String) throws -> [Int] { try values(key).map { Int($0) } }
  func tensor(_ key: String) throws -> Tensor {
    let a = try array(key)
    return try Tensor(shape: a.shape, values: a.floats())
  }
  func variable(_ key: String) throws -> Variable { Variable(try tensor(key), requiresGrad: true) }
  func parameter(_ key: String) throws -> Parameter { try Parameter(key, tensor(key)) }

  func expect(_ got: Tensor?, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard let got else { return XCTFail("\(key): no value", file: file, line: line) }
    let ref = try array(key)
    XCTAssertEqual(got.shape, ref.shape, "\(key) shape", file: file, line: line)
    let a = try got.toArray()
    let b = try ref.floats()
    guard a.count == b.count else { return }
    let scale = max(1, b.map { abs(Double($0)) }.max() ?? 0)
    let err = zip(a, b).map { abs(Double($0) - Double($1)) }.max()! / scale
    print(String(format: "golden %@ max rel err %.2e", key, err))
    XCTAssertLessThanOrEqual(err, 1e-4, "\(key): max relative error \(err)", file: file, line: line)
  }

  func seeded(_ key: String, _ forward: () throws -> Variable) throws -> Variable {
    let tape = Tape()
    let y = try tape.record(forward)
    try tape.backward(from: y, seed: tensor(key))
    return y
  }
}
