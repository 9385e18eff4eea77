import FCN
import Foundation
import NN
import Tensor
import WeightIO
import XCTest

/// Whole models against PyTorch (tools/make_model_golden.py): state_dicts saved by torch and read
/// by the .pth reader, logits and parameter gradients of sum(logits · r) computed by PyTorch in
/// float64. Tolerance: max abs error ≤ 1e-4 of the reference's largest magnitude.
final class ModelGoldenTests: XCTestCase {
  static let golden: [String: HostArray] =
    (try? SafeTensors.read(contentsOf: Fixtures.url("model_golden.safetensors")).tensors) ?? [:]
  static var report: [String: (relative: Double, absolute: Double)] = [:]

  override class func tearDown() {
    for (k, v) in report.sorted(by: { $0.key < $1.key }) {
      print(String(format: "model golden %@ max rel err %.2e, max abs err %.2e", k, v.relative, v.absolute))
    }
  }

  func reference(_ key: String) throws -> HostArray {
    guard let a = Self.golden[key] else {
      XCTFail("missing fixture \(key): run tools/make_model_golden.py")
      throw FCNError.unsupportedInput("missing fixture \(key)")
    }
    return a
  }

  func expect(_ got: Tensor?, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard let got else { return XCTFail("\(key): no value", file: file, line: line) }
    let ref = try reference(key)
    XCTAssertEqual(got.shape, ref.shape, key, file: file, line: line)
    guard got.shape == ref.shape else { return }
    let a = try got.toArray()
    let b = try ref.floats()
    let err = relativeError(a, b)
    Self.report[key] = (err, zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0)
    XCTAssertLessThanOrEqual(err, 1e-4, "\(key): max relative error \(err)", file: file, line: line)
  }

  func seedModel() throws -> FCNModel {
    let m = try makeModel(ModelConfig(model: "course-fcn8", classes: 3, width: 1.0 / 16, fc: 32))
    try m.loadStateDict(TorchCheckpoint.load(contentsOf: Fixtures.url("seed_fcn8_narrow.pth")), strict: true)
    m.setTraining(false)
    return m
  }

  func paperModel() throws -> FCNModel {
    let m = try makeModel(ModelConfig(model: "fcn8s", classes: 3, width: 1.0 / 16, fc: 32, frozenUpsampling: false))
    try m.loadStateDict(TorchCheckpoint.load(contentsOf: Fixtures.url("fcn8s_narrow.pth")), strict: true)
    m.setTraining(false)
    return m
  }

  /// Runs forward (and backward on sum(logits · pattern(salt 2)) when `grads` is not empty) and
  /// compares with the fixtures under `prefix`.
  func check(_ model: FCNModel, _ prefix: String, _ shape: [Int], grads: [String]) throws {
    model.zeroGrad()
    let x = Variable(try pattern(shape, salt: 1))
    if grads.isEmpty {
      try expect(model(x).value, "\(prefix).logits")
      return
    }
    let tape = Tape()
    let y = try tape.record { try model(x) }
    try expect(y.value, "\(prefix).logits")
    try tape.backward(from: y, seed: pattern(y.shape, salt: 2))
    let byName = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter) })
    for name in grads {
      guard let p = byName[name] else {
        XCTFail("\(model.config.name) has no parameter \(name)")
        continue
      }
      try expect(p.grad, "\(prefix).grad.\(name)")
    }
  }

  static let seedGrads = [
    "conv1.0.weight", "conv1.1.weight", "conv3.10.bias", "fc6.weight", "score.weight", "pool3_conv.weight",
    "pool4_conv.bias", "upsample_double.weight", "upsample8.bias",
  ]
  static let paperGrads = [
    "conv1_1.weight", "conv3_2.bias", "conv5_3.weight", "fc6.weight", "fc7.bias", "score_fr.weight",
    "score_pool4.weight",
    "score_pool3.bias", "upscore2.weight", "upscore_pool4.weight", "upscore8.weight",
  ]

  func testSeedFCN8MatchesTheCourseClass() throws {
    let m = try seedModel()
    try check(m, "seed.2x64x64", [2, 3, 64, 64], grads: Self.seedGrads)
    try check(m, "seed.1x32x96", [1, 3, 32, 96], grads: Self.seedGrads)
  }

  /// Where the course class crashes (250×250: 14 vs 15 at the pool4 skip) ours pads to 256×256
  /// and crops back: equal to the class run on the zero-padded input.
  func testSeedFCN8At250MatchesTheClassOnThePaddedInput() throws {
    try check(try seedModel(), "seed.1x250x250", [1, 3, 250, 250], grads: [])
  }

  func testSeedFCN8TrainingModeBatchNorm() throws {
    let m = try seedModel()
    for bn in m.batchNormLayers { bn.setTraining(true) }  // batch statistics; dropout stays off
    try check(m, "seed.train.2x64x64", [2, 3, 64, 64], grads: Self.seedGrads)
    let buffers = Dictionary(uniqueKeysWithValues: m.buffers.map { ($0.name, $0.tensor) })
    for key in ["conv1.1.running_mean", "conv1.1.running_var", "conv5.10.running_var"] {
      try expect(buffers[key], "seed.train.2x64x64.after.\(key)")
    }
  }

  func testPaperFCN8sMatchesThePyTorchPort() throws {
    let m = try paperModel()
    try check(m, "fcn8s.1x64x64", [1, 3, 64, 64], grads: Self.paperGrads)
    try check(m, "fcn8s.2x75x100", [2, 3, 75, 100], grads: Self.paperGrads)
    try check(m, "fcn8s.1x1x1", [1, 3, 1, 1], grads: [])
  }
}

/// The other variants on the same weights, and every layer's shape against PyTorch's.
final class ModelVariantGoldenTests: XCTestCase {
  let golden = ModelGoldenTests.golden

  func compare(_ got: Tensor, _ key: String) throws {
    guard let ref = golden[key] else { return XCTFail("missing fixture \(key): run tools/make_model_golden.py") }
    XCTAssertEqual(got.shape, ref.shape, key)
    guard got.shape == ref.shape else { return }
    let a = try got.toArray()
    let b = try ref.floats()
    let err = relativeError(a, b)
    let absolute = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    print(String(format: "model golden %@ max rel err %.2e, max abs err %.2e", key, err, absolute))
    XCTAssertLessThanOrEqual(err, 1e-4, "\(key): max relative error \(err)")
  }

  func testPaperVariantsMatchThePyTorchPort() throws {
    for name in ["fcn32s", "fcn16s", "fcn8s-atonce"] {
      let m = try makeModel(ModelConfig(model: name, classes: 3, width: 1.0 / 16, fc: 32))
      // fcn8s's weights; upscore / upscore16 keep their bilinear initialisation on both sides.
      let report = try m.loadStateDict(
        TorchCheckpoint.load(contentsOf: Fixtures.url("fcn8s_narrow.pth")), strict: false)
      XCTAssertEqual(
        report.missing, name == "fcn32s" ? ["upscore.weight"] : name == "fcn16s" ? ["upscore16.weight"] : [])
      m.setTraining(false)
      let key = name == "fcn8s-atonce" ? "fcnatonce" : name
      try compare(m(Variable(pattern([1, 3, 40, 56], salt: 1))).value, "\(key).1x40x56.logits")
    }
  }

  func testSeedFCN32And16MatchTheCourseClass() throws {
    for stride in [32, 16] {
      let m = try makeModel(ModelConfig(model: "course-fcn\(stride)", classes: 3, width: 1.0 / 16, fc: 32))
      // The course class registers every module whatever its resolution: the same state_dict loads strictly.
      try m.loadStateDict(TorchCheckpoint.load(contentsOf: Fixtures.url("seed_fcn8_narrow.pth")), strict: true)
      m.setTraining(false)
      try compare(m(Variable(pattern([1, 3, 64, 96], salt: 1))).value, "seed\(stride).1x64x96.logits")
    }
  }

  /// Shapes recorded by forward hooks on the PyTorch modules, for many input sizes.
  func checkShapes(_ prefix: String, _ config: ModelConfig, rename: (String) -> String) throws {
    var bySize: [String: [(layer: String, shape: [Int])]] = [:]
    for (key, value) in golden where key.hasPrefix("shapes.\(prefix).") {
      let parts = key.dropFirst("shapes.\(prefix).".count).split(separator: ".", maxSplits: 1).map(String.init)
      bySize[parts[0], default: []].append((parts[1], try value.floats().map { Int($0) }))
    }
    XCTAssertGreaterThanOrEqual(bySize.count, 3, "shape fixtures for \(prefix)")
    for (size, layers) in bySize {
      let hw = size.split(separator: "x").map { Int($0)! }
      let info = try modelInfo(config: config, height: hw[0], width: hw[1])
      let ours = Dictionary(uniqueKeysWithValues: info.layers.map { ($0.name, $0.outputShape) })
      for (layer, shape) in layers {
        XCTAssertEqual(ours[rename(layer)], shape, "\(prefix) at \(size): \(layer)")
      }
    }
  }

  func testEveryLayerShapeMatchesPyTorch() throws {
    try checkShapes("fcn8s", ModelConfig(model: "fcn8s", classes: 3, width: 1.0 / 16, fc: 32)) { $0 }
    // The course class's block outputs are its nn.Sequential's last module, the pool: conv1.6 … conv5.12.
    let poolOf = [
      "conv1": "conv1.6", "conv2": "conv2.6", "conv3": "conv3.12", "conv4": "conv4.12", "conv5": "conv5.12",
    ]
    try checkShapes("seed8", ModelConfig(model: "course-fcn8", classes: 3, width: 1.0 / 16, fc: 32)) { poolOf[$0] ?? $0 }
  }
}
