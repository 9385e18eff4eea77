import FCN
import Foundation
import NN
import Tensor
import WeightIO
import XCTest

/// Every model at 1, 2, 3, 8, 11, 16 and 21 classes and at three input sizes (score maps of one
/// row, one column, several of both; odd sizes and sizes that are not multiples of 32), logits
/// and gradients of sum(logits · pattern(salt 2)) against PyTorch in float64
/// (tools/make_model_golden_matrix.py). Issue 11: oneDNN's blocked deconvolution added the bias
/// wrongly from 8 classes on, and every 3-class golden test passed.
///
/// Backbones are narrow (width 1/16, fc 32); heads and class counts are real. Weights come from
/// `GoldenWeights` on both sides; the fixture holds a subsample and row statistics of each
/// reference tensor (`SampledGolden`), compared at 1e-4 of the reference's largest magnitude.
final class ModelGoldenMatrixTests: XCTestCase {
  static let fixtures: [String: HostArray] =
    (try? SafeTensors.read(contentsOf: Fixtures.url("model_golden_matrix.safetensors")).tensors) ?? [:]
  static let classCounts = [1, 2, 3, 8, 11, 16, 21]
  /// (N, H, W). Course nets pad to multiples of 32: score maps 1×3, 3×1 (96×32), 3×2 (96×64).
  static let courseSizes = [[1, 32, 96], [1, 70, 20], [2, 90, 45]]
  /// Paper nets (conv1_1 pad 100, 7×7 fc6): score maps 1×3, 3×1, 3×4.
  static let paperSizes = [[1, 21, 75], [1, 60, 17], [2, 67, 93]]

  static let courseCommon = ["conv1.0.weight", "fc6.weight", "score.weight", "score.bias"]
  static let courseSkip4 = ["pool4_conv.weight", "pool4_conv.bias", "upsample_double.weight", "upsample_double.bias"]
  static let paperCommon = ["conv1_1.weight", "fc6.weight", "score_fr.weight", "score_fr.bias"]
  static let paperSkip4 = ["score_pool4.weight", "score_pool4.bias", "upscore2.weight"]
  static let paperSkip3 = ["score_pool3.weight", "score_pool3.bias", "upscore_pool4.weight", "upscore8.weight"]
  /// The head (score, skips, every deconvolution's weight and bias), fc6, and the first backbone
  /// convolution, which every other gradient flows into.
  static let gradients: [String: [String]] = [
    "seed-fcn32": courseCommon + ["upsample32.weight", "upsample32.bias"],
    "seed-fcn16": courseCommon + courseSkip4 + ["upsample16.weight", "upsample16.bias"],
    "seed-fcn8": courseCommon + courseSkip4 + [
      "pool3_conv.weight", "pool3_conv.bias", "upsample8.weight", "upsample8.bias",
    ],
    "fcn32s": paperCommon + ["upscore.weight"],
    "fcn16s": paperCommon + paperSkip4 + ["upscore16.weight"],
    "fcn8s": paperCommon + paperSkip4 + paperSkip3,
    "fcn8s-atonce": paperCommon + paperSkip4 + paperSkip3,
  ]

  /// The worst error per model, printed when the class finishes.
  static var worst: [String: (error: Double, what: String)] = [:]

  override class func tearDown() {
    for (model, w) in worst.sorted(by: { $0.key < $1.key }) {
      print(String(format: "model golden matrix %@: worst relative error %.2e (%@)", model, w.error, w.what))
    }
  }

  // The course nets are named by their old alias here on purpose: the names are the fixture tags
  // and weight seeds of tools/make_model_golden_matrix.py (the alias builds the same net).
  func testSeedFCN32() throws { try checkModel("seed-fcn32") }
  func testSeedFCN16() throws { try checkModel("seed-fcn16") }
  func testSeedFCN8() throws { try checkModel("seed-fcn8") }
  func testFCN32s() throws { try checkModel("fcn32s") }
  func testFCN16s() throws { try checkModel("fcn16s") }
  func testFCN8s() throws { try checkModel("fcn8s") }
  func testFCN8sAtOnce() throws { try checkModel("fcn8s-atonce") }

  func checkModel(_ name: String) throws {
    XCTAssertFalse(Self.fixtures.isEmpty, "model_golden_matrix.safetensors did not load")
    let grads = try XCTUnwrap(Self.gradients[name])
    for classes in Self.classCounts {
      let model = try makeModel(
        ModelConfig(model: name, classes: classes, width: 1.0 / 16, fc: 32, frozenUpsampling: false))
      try GoldenWeights.load(model, tag: try weightsTag(name, classes))
      model.setTraining(false)
      for size in name.hasPrefix("seed-") ? Self.courseSizes : Self.paperSizes {
        try checkCase(model, name, classes, size, grads)
      }
    }
  }

  /// The generator draws other weights where a gradient hangs on a max-pool or ReLU near-tie
  /// (tools/kink_check.py): float32 may then rightly take the other branch. It records the draw.
  func weightsTag(_ name: String, _ classes: Int) throws -> String {
    let key = "\(name).c\(classes).redraw"
    guard let redraw = try Self.fixtures[key]?.floats().first else { throw GoldenMissing(key: key) }
    return redraw == 0 ? "\(name)/\(classes)" : "\(name)/\(classes)/\(Int(redraw))"
  }

  func checkCase(_ model: FCNModel, _ name: String, _ classes: Int, _ size: [Int], _ grads: [String]) throws {
    let label = "\(name), \(classes) classes, \(size[0])×3×\(size[1])×\(size[2])"
    let prefix = "\(name).c\(classes).\(size[0])x\(size[1])x\(size[2])"
    model.zeroGrad()
    let x = Variable(try pattern([size[0], 3, size[1], size[2]], salt: 1))
    let tape = Tape()
    let y = try tape.record { try model(x) }
    try compare(y.value, "\(prefix).logits", label: "\(label): logits", model: name)
    try tape.backward(from: y, seed: pattern(y.shape, salt: 2))
    let byName = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter) })
    for p in grads {
      guard let grad = byName[p]?.grad else {
        XCTFail("\(label): \(p) has no gradient")
        continue
      }
      try compare(grad, "\(prefix).grad.\(p)", label: "\(label): gradient of \(p)", model: name)
    }
  }

  func compare(_ got: Tensor, _ key: String, label: String, model: String) throws {
    let ref: SampledGolden
    do { ref = try SampledGolden(Self.fixtures, key: key) } catch {
      return XCTFail("\(label): \(error)")
    }
    XCTAssertEqual(got.shape, ref.shape, "\(label): shape")
    let values = try got.toArray()
    guard got.shape == ref.shape, ref.fits(values) else {
      return XCTFail("\(label): \(got.shape) does not fit the fixture's summary of \(ref.shape)")
    }
    let (error, worst) = ref.error(of: values)
    if error >= (Self.worst[model]?.error ?? -1) { Self.worst[model] = (error, "\(label), \(worst)") }
    XCTAssertLessThanOrEqual(error, 1e-4, "\(label): relative error \(error) at \(worst)")
  }
}
