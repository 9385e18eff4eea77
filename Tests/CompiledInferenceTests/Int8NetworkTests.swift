import FCN
import Foundation
import CompiledInference
import NN
import Tensor
import WeightIO
import XCTest

/// A whole small course net quantised after calibration, against its own fp32 logits.
final class Int8NetworkTests: XCTestCase {
  /// Calibrated on 4 images, tested on others of a size not a multiple of 32.
  func quantized(classes: Int, options: QuantizationOptions) throws -> (fp32: InferenceNetwork, int8: InferenceNetwork)
  {
    let fp32 = try InferenceNetwork(folding: smallModel(classes: classes))
    let int8 = try InferenceNetwork(folding: smallModel(classes: classes))
    var calibration = Calibration()
    for s in 0..<4 { try calibration.observe(fp32, image: testImages([1, 3, 64, 48], seed: 50 + UInt64(s))) }
    let names = try int8.quantize(calibration, options: options)
    XCTAssertFalse(names.isEmpty)
    XCTAssertTrue(int8.isInt8)
    return (fp32, int8)
  }

  /// The bound, every convolution int8 (the harshest setting). Rounding a u8 activation to
  /// steps of max/255 adds noise of step/√12 ≈ max/880, about 0.1–0.3 % of a ReLU output's RMS;
  /// s8 weights per channel add about as much per layer, and the errors of the many products an
  /// output sums are independent, so they do not compound layer on layer. 19 layers measured
  /// 0.3–0.4 % relative L2 (11 and 21 classes). Bound 2 %: five times that, while the bugs it
  /// must catch (a scale off by 2, a bias added twice or lost, channel scales shuffled) give
  /// errors of 10 % and more. The predicted class must agree at ≥ 99 % of the pixels where fp32 is
  /// not near a tie (top-1 ahead of top-2 by > 10 % of the logit range), and ≥ 98 % of all pixels.
  func testWholeNetLogitsCloseToFP32() throws {
    for classes in [11, 21] {
      let (fp32, int8) = try quantized(
        classes: classes, options: QuantizationOptions(keepFirst: false, keepScore: false, method: .minmax))
      let image = try testImages([2, 3, 45, 70], seed: 7)
      let reference = try fp32(Variable(image)).value.toArray()
      let got = try int8(Variable(image)).value.toArray()
      let l2 = relativeL2(got, reference)
      XCTAssertLessThan(l2, 0.02, "\(classes) classes: relative L2 error \(l2)")
      let shape = [2, classes, 45, 70]
      let a = argmax(reference, shape: shape)
      let b = argmax(got, shape: shape)
      let range = Double(reference.max()! - reference.min()!)
      var clear = 0
      var agree = 0
      let hw = 45 * 70
      for p in 0..<a.count {
        let (n, i) = (p / hw, p % hw)
        let column = (0..<classes).map { Double(reference[(n * classes + $0) * hw + i]) }.sorted(by: >)
        guard column[0] - column[1] > 0.1 * range else { continue }
        clear += 1
        if a[p] == b[p] { agree += 1 }
      }
      XCTAssertGreaterThan(clear, a.count / 10, "too few clear pixels to judge")
      XCTAssertGreaterThanOrEqual(Double(agree) / Double(clear), 0.99, "\(classes) classes: \(agree)/\(clear)")
      let all = zip(a, b).filter { $0 == $1 }.count
      XCTAssertGreaterThanOrEqual(Double(all) / Double(a.count), 0.98, "\(classes) classes: \(all)/\(a.count)")
      print(
        "int8 vs fp32, \(classes) classes: relative L2 \(l2), argmax agreement \(agree)/\(clear) clear pixels, "
          + "\(zip(a, b).filter { $0 == $1 }.count)/\(a.count) all pixels")
    }
  }

  func testKeptLayersStayFP32() throws {
    let (_, int8) = try quantized(
      classes: 11, options: QuantizationOptions(keepFirst: true, keepScore: true, method: .percentile))
    XCTAssertFalse(int8.convolutions[0].isInt8)
    for conv in int8.convolutions.dropFirst() { XCTAssertEqual(conv.isInt8, conv.fuseReLU, conv.name) }
  }

  func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "int8-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
  }

  func testFileRoundTripGivesIdenticalLogits() throws {
    let (_, int8) = try quantized(
      classes: 11, options: QuantizationOptions(keepFirst: true, keepScore: true, method: .entropy))
    let url = temporaryFile("round.int8.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Int8File.save(
      int8,
      calibration: .init(options: QuantizationOptions(keepFirst: true, keepScore: true, method: .entropy), images: 4),
      to: url)
    XCTAssertTrue(Int8File.isInt8(path: url.path))
    let loaded = try Int8File.load(WeightFile.open(url))
    let image = try testImages([1, 3, 40, 50], seed: 3)
    XCTAssertEqual(try loaded(Variable(image)).value.toArray(), try int8(Variable(image)).value.toArray())
  }

  /// Damaged or mismatched int8 files are refused with an error naming the file and the part.
  func testDamagedFilesAreRefused() throws {
    let (_, int8) = try quantized(
      classes: 11, options: QuantizationOptions(keepFirst: false, keepScore: true, method: .minmax))
    let url = temporaryFile("good.int8.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Int8File.save(
      int8,
      calibration: .init(options: QuantizationOptions(keepFirst: false, keepScore: true, method: .minmax), images: 4),
      to: url)
    let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
    let conv = int8.convolutions[1].name

    func expectRefused(_ what: String, _ t: [String: HostArray], _ m: [String: String], mentions: String) throws {
      let bad = temporaryFile("bad.int8.safetensors")
      defer { try? FileManager.default.removeItem(at: bad) }
      try SafeTensors.write(t, metadata: m, to: bad)
      XCTAssertThrowsError(try Int8File.load(WeightFile.open(bad)), what) { error in
        XCTAssertTrue("\(error)".contains(mentions), "\(what): \(error)")
        XCTAssertTrue("\(error)".contains(bad.path), "\(what): \(error)")
      }
    }
    var t = tensors
    t["\(conv).weight_scale"] = nil
    try expectRefused("missing weight scales", t, metadata, mentions: "\(conv).weight_scale")
    t = tensors
    t["\(conv).weight"] = HostArray(
      shape: tensors["\(conv).weight"]!.shape, floats: try tensors["\(conv).weight"]!.floats())
    try expectRefused("fp32 weights where int8 recorded", t, metadata, mentions: "\(conv).weight")
    t = tensors
    t["\(conv).weight_scale"] = HostArray(
      shape: tensors["\(conv).weight_scale"]!.shape,
      floats: [0] + (try tensors["\(conv).weight_scale"]!.floats()).dropFirst())
    try expectRefused("zero scale", t, metadata, mentions: "scales must be finite")
    t = tensors
    t["extra.weight"] = HostArray(shape: [1], floats: [1])
    try expectRefused("unknown tensor", t, metadata, mentions: "extra.weight")
    var m = metadata
    m[Int8File.layersKey] = metadata[Int8File.layersKey]!.replacingOccurrences(
      of: "\"inputScale\":", with: "\"inputScale\":-")
    try expectRefused("negative input scale", tensors, m, mentions: "input scale")
    m = metadata
    m[ModelWeights.configKey] = metadata[ModelWeights.configKey]!.replacingOccurrences(
      of: "\"classes\":11", with: "\"classes\":21")
    try expectRefused("config of another class count", tensors, m, mentions: "score")
    m = metadata
    m[Int8File.formatKey] = nil
    try expectRefused("no int8 marker", tensors, m, mentions: "not an int8 model file")

    // A truncated file: the safetensors reader refuses it.
    let bytes = try Data(contentsOf: url)
    let cut = temporaryFile("cut.int8.safetensors")
    defer { try? FileManager.default.removeItem(at: cut) }
    try bytes.prefix(bytes.count / 2).write(to: cut)
    XCTAssertThrowsError(try Int8File.load(WeightFile.open(cut)))
  }
}
