import FCN
import Foundation
import NN
import SeededRandom
import Tensor
import WeightIO
import XCTest

/// state_dict loading and export, staged training, paper initialisation, torchvision import.
final class WeightsTests: XCTestCase {
  func small(_ name: String, backbone: Backbone? = nil, head: Head? = nil, frozen: Bool? = nil) throws -> FCNModel {
    try makeModel(
      ModelConfig(
        model: name, classes: 3, backbone: backbone, head: head, width: 1.0 / 16, fc: 16, frozenUpsampling: frozen))
  }

  func values(_ m: FCNModel, _ key: String) throws -> [Float] {
    guard let t = m.stateDict()[key] else { throw FCNError.missingKeys([key]) }
    return try t.toArray()
  }

  /// Distinct values everywhere, so a copy that lands in the wrong place shows.
  func scramble(_ m: FCNModel, seed: UInt64) throws {
    var rng = Xoshiro256(seed: seed)
    for (_, t) in m.stateDict() {
      try reorder(from: Tensor(shape: t.shape, values: (0..<t.count).map { _ in rng.nextUnitFloat() + 0.5 }), to: t)
    }
  }

  func testShapeMismatchNamesTheKeyAndBothShapes() throws {
    let m = try small("fcn32s")
    var dict = try m.exportStateDict()
    dict["conv1_1.weight"] = HostArray(shape: [5, 3, 3, 3], floats: [Float](repeating: 0, count: 135))
    XCTAssertThrowsError(try m.loadStateDict(dict)) { error in
      XCTAssertEqual(
        error as? FCNError, .shapeMismatch(key: "conv1_1.weight", expected: [4, 3, 3, 3], got: [5, 3, 3, 3]))
      XCTAssertTrue(
        "\(error)".contains("conv1_1.weight") && "\(error)".contains("[4, 3, 3, 3]")
          && "\(error)".contains("[5, 3, 3, 3]"))
    }
  }

  func testStrictLoadListsMissingAndUnexpectedKeys() throws {
    let m = try small("fcn16s")
    var dict = try m.exportStateDict()
    dict["score_pool4.bias"] = nil
    XCTAssertThrowsError(try m.loadStateDict(dict)) {
      XCTAssertEqual($0 as? FCNError, .missingKeys(["score_pool4.bias"]))
    }
    dict = try m.exportStateDict()
    dict["extra.weight"] = HostArray(shape: [1], floats: [1])
    XCTAssertThrowsError(try m.loadStateDict(dict)) {
      XCTAssertEqual($0 as? FCNError, .unexpectedKeys(["extra.weight"]))
    }
    let report = try m.loadStateDict(dict, strict: false)
    XCTAssertEqual(report.unexpected, ["extra.weight"])
    XCTAssertTrue(report.missing.isEmpty)
  }

  func testSafetensorsRoundTripGivesTheSameLogits() throws {
    let a = try small("course-fcn16")
    try scramble(a, seed: 3)
    a.setTraining(false)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-roundtrip-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let exported = try a.exportStateDict()
    XCTAssertEqual(exported["conv1.1.num_batches_tracked"]?.dtype, .i64, "PyTorch's strict load needs the counter")
    try SafeTensors.write(exported, to: url)
    let b = try small("course-fcn16")
    try b.loadStateDict(SafeTensors.read(contentsOf: url).tensors, strict: true)
    b.setTraining(false)
    let x = Variable(try pattern([1, 3, 40, 24], salt: 1))
    XCTAssertEqual(try a(x).value.toArray(), try b(x).value.toArray())
  }

  func testStagedTrainingCopiesEverySharedLayer() throws {
    let s32 = try small("fcn32s")
    try scramble(s32, seed: 1)
    let s16 = try small("fcn16s")
    let r16 = try s16.load(from: s32)
    XCTAssertEqual(Set(r16.missing), ["score_pool4.weight", "score_pool4.bias", "upscore2.weight", "upscore16.weight"])
    XCTAssertEqual(r16.unexpected, ["upscore.weight"])
    for key in ["conv1_1.weight", "conv5_3.bias", "fc6.weight", "fc7.bias", "score_fr.weight"] {
      XCTAssertEqual(try values(s16, key), try values(s32, key), key)
    }
    try scramble(s16, seed: 2)
    let s8 = try small("fcn8s")
    let r8 = try s8.load(from: s16)
    XCTAssertEqual(
      Set(r8.missing), ["score_pool3.weight", "score_pool3.bias", "upscore_pool4.weight", "upscore8.weight"])
    for key in ["conv3_3.weight", "fc6.bias", "score_fr.bias", "score_pool4.weight", "upscore2.weight"] {
      XCTAssertEqual(try values(s8, key), try values(s16, key), key)
    }
  }

  func testPaperInitialisation() throws {
    let m = try small("fcn8s")
    for key in ["score_fr.weight", "score_fr.bias", "score_pool4.weight", "score_pool3.weight"] {
      XCTAssertTrue(try values(m, key).allSatisfy { $0 == 0 }, "\(key) starts at zero")
    }
    XCTAssertEqual(try values(m, "upscore8.weight"), bilinearKernel(in: 3, out: 3, size: 16))
    XCTAssertEqual(try values(m, "upscore2.weight"), bilinearKernel(in: 3, out: 3, size: 4))
    let byName = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.parameter) })
    XCTAssertEqual(byName["upscore8.weight"]?.trainable, false, "frozen by default")
    XCTAssertEqual(
      try small("fcn8s", frozen: false).namedParameters.first { $0.name == "upscore8.weight" }?.parameter.trainable,
      true)
    // He (fan-out) normal: conv3_2 is [16, 16, 3, 3] at width 1/16, std √(2 / (16 · 9)).
    let w = try values(m, "conv3_2.weight")
    let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
    XCTAssertEqual(std, (2.0 / 144).squareRoot(), accuracy: 0.15 * (2.0 / 144).squareRoot())
    XCTAssertTrue(try values(m, "conv3_2.bias").allSatisfy { $0 == 0 })
  }

  func testFrozenDeconvolutionsGetNoGradient() throws {
    let m = try small("fcn16s")
    try scramble(m, seed: 4)
    let tape = Tape()
    let y = try tape.record { try m(Variable(pattern([1, 3, 20, 20], salt: 1))) }
    try tape.backward(from: y, seed: pattern(y.shape, salt: 2))
    let byName = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.parameter) })
    XCTAssertNil(byName["upscore16.weight"]?.grad)
    XCTAssertNotNil(byName["score_pool4.weight"]?.grad)
    XCTAssertNotNil(byName["conv1_1.weight"]?.grad)
  }

  /// A state_dict shaped like torchvision's vgg16 / vgg16_bn / vgg19_bn at the model's reduced
  /// width: every tensor gets distinct values, so the test sees where each one lands.
  func torchvisionDict(for backbone: Backbone, width: Double, fc: Int) -> [String: HostArray] {
    var d: [String: HostArray] = [:]
    var index = 0
    var inC = 3
    var counter: Float = 0
    func next(_ shape: [Int]) -> HostArray {
      let n = shape.reduce(1, *)
      defer { counter += 1 }
      return HostArray(shape: shape, floats: (0..<n).map { counter * 1000 + Float($0) })
    }
    for (block, count) in backbone.convsPerBlock.enumerated() {
      let out = max(1, Int((Double(Backbone.blockChannels[block]) * width).rounded()))
      for _ in 0..<count {
        d["features.\(index).weight"] = next([out, inC, 3, 3])
        d["features.\(index).bias"] = next([out])
        if backbone.batchNorm {
          for s in ["weight", "bias", "running_mean", "running_var"] { d["features.\(index + 1).\(s)"] = next([out]) }
          d["features.\(index + 1).num_batches_tracked"] = HostArray(shape: [], int64s: [7])
          index += 3
        } else {
          index += 2
        }
        inC = out
      }
      index += 1
    }
    d["classifier.0.weight"] = next([fc, inC * 49])
    d["classifier.0.bias"] = next([fc])
    d["classifier.3.weight"] = next([fc, fc])
    d["classifier.3.bias"] = next([fc])
    d["classifier.6.weight"] = next([1000, fc])
    d["classifier.6.bias"] = next([1000])
    return d
  }

  func testTorchvisionVGG16Import() throws {
    let m = try small("fcn8s")
    let tv = torchvisionDict(for: .vgg16, width: 1.0 / 16, fc: 16)
    let report = try importTorchvisionVGG(tv, into: m)
    XCTAssertEqual(report.unexpected, ["classifier.6.bias", "classifier.6.weight"])
    // torchvision vgg16: conv1_1 = features.0, conv2_1 = features.5, conv5_3 = features.28.
    for (ours, theirs) in [
      ("conv1_1", "features.0"), ("conv2_1", "features.5"), ("conv3_3", "features.14"), ("conv5_3", "features.28"),
    ] {
      XCTAssertEqual(try values(m, "\(ours).weight"), try tv["\(theirs).weight"]!.floats(), ours)
      XCTAssertEqual(try values(m, "\(ours).bias"), try tv["\(theirs).bias"]!.floats(), ours)
    }
    // fc6.weight[o, c, y, x] = classifier.0.weight[o, c · 49 + y · 7 + x] (PyTorch's flatten of
    // the 512×7×7 pool5 in C, H, W order).
    XCTAssertEqual(m.stateDict()["fc6.weight"]?.shape, [16, 32, 7, 7])
    XCTAssertEqual(try values(m, "fc6.weight"), try tv["classifier.0.weight"]!.floats())
    XCTAssertEqual(m.stateDict()["fc7.weight"]?.shape, [16, 16, 1, 1])
    XCTAssertEqual(try values(m, "fc7.weight"), try tv["classifier.3.weight"]!.floats())
    XCTAssertTrue(try values(m, "score_fr.weight").allSatisfy { $0 == 0 }, "score layers keep their zero init")
  }

  func testTorchvisionBatchNormImportIntoSeedAndPaperNames() throws {
    // vgg19_bn: conv5_4 is features.49, its BN features.50.
    let tv = torchvisionDict(for: .vgg19bn, width: 1.0 / 16, fc: 16)
    let seed = try small("course-fcn8")
    let report = try importTorchvisionVGG(tv, into: seed)
    XCTAssertEqual(try values(seed, "conv5.9.weight"), try tv["features.49.weight"]!.floats())
    XCTAssertEqual(try values(seed, "conv5.10.running_var"), try tv["features.50.running_var"]!.floats())
    XCTAssertEqual(try values(seed, "conv1.1.running_mean"), try tv["features.1.running_mean"]!.floats())
    XCTAssertEqual(seed.batchNormLayers.first?.stats.batchesTracked, 7)
    // The seed net's fc6 is 1×1: the 7×7 classifier cannot go there, and says so.
    XCTAssertTrue(report.unexpected.contains { $0.hasPrefix("classifier.0 (") }, "\(report.unexpected)")
    XCTAssertTrue(try values(seed, "fc7.weight") == tv["classifier.3.weight"]!.floats())

    let paper = try small("fcn32s", backbone: .vgg19bn)
    try importTorchvisionVGG(tv, into: paper)
    XCTAssertEqual(try values(paper, "conv5_4.weight"), try tv["features.49.weight"]!.floats())
    XCTAssertEqual(try values(paper, "bn5_4.weight"), try tv["features.50.weight"]!.floats())
  }

  func testTorchvisionImportRefusesTheWrongBackbone() throws {
    let tv = torchvisionDict(for: .vgg16bn, width: 1.0 / 16, fc: 16)
    XCTAssertThrowsError(try importTorchvisionVGG(tv, into: try small("fcn8s"))) {
      XCTAssertTrue("\($0)".contains("BatchNorm"), "\($0)")
    }
    XCTAssertThrowsError(try importTorchvisionVGG(tv, into: try small("fcn8s", backbone: .vgg19bn))) {
      XCTAssertTrue("\($0)".contains("13 convolutions"), "\($0)")
    }
  }

  func testModelConfigIsCodable() throws {
    let c = try ModelConfig(model: "fcn8s-atonce", classes: 21, backbone: .vgg16bn, width: 0.5, fc: 512, seed: 9)
    let back = try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(c))
    XCTAssertEqual(back, c)
    XCTAssertTrue(c.atOnce)
    XCTAssertEqual(c.outputStride, 8)
    let minimal = try JSONDecoder().decode(ModelConfig.self, from: Data(#"{"name": "seed-fcn16", "classes": 11}"#.utf8))
    // Saved under the course nets' old name: read as the same net, written under the new one.
    XCTAssertEqual(minimal, try ModelConfig(model: "course-fcn16", classes: 11))
    XCTAssertEqual(minimal.model, .courseFCN16)
    let written = String(decoding: try JSONEncoder().encode(minimal), as: UTF8.self)
    XCTAssertTrue(written.contains(#""name":"course-fcn16""#), written)
    XCTAssertEqual(try ModelConfig(model: "SEED-FCN8", classes: 2).model, .courseFCN8)
    XCTAssertEqual(minimal.backbone, .vgg19bn)
    XCTAssertThrowsError(
      try JSONDecoder().decode(ModelConfig.self, from: Data(#"{"name": "fcn2s", "classes": 3}"#.utf8)))
  }
}

final class WeightFilesTests: XCTestCase {
  func testSaveAndLoadModelRebuildsTheSameNet() throws {
    let config = try ModelConfig(model: "fcn16s", classes: 4, backbone: .vgg11bn, width: 1.0 / 16, fc: 8, seed: 5)
    let a = try makeModel(config)
    a.setTraining(false)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-model-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try ModelWeights.save(a, to: url)
    let b = try ModelWeights.loadModel(url)
    b.setTraining(false)
    XCTAssertEqual(b.config, config)
    let x = Variable(try pattern([1, 3, 21, 35], salt: 1))
    XCTAssertEqual(try a(x).value.toArray(), try b(x).value.toArray())
  }

  func testCourseCheckpointLoadsFromThePthFileAndWithoutDataParallelPrefix() throws {
    let m = try makeModel(ModelConfig(model: "course-fcn8", classes: 3, width: 1.0 / 16, fc: 32))
    let report = try ModelWeights.load(Fixtures.url("seed_fcn8_narrow.pth"), into: m)
    XCTAssertTrue(report.loaded.contains("upsample_double.weight"))
    let dict = try WeightFile.open(Fixtures.url("seed_fcn8_narrow.pth")).tensors
    let wrapped = Dictionary(uniqueKeysWithValues: dict.map { ("module.\($0.key)", $0.value) })
    XCTAssertEqual(try ModelWeights.load(wrapped, into: m).loaded.count, report.loaded.count)
  }
}
