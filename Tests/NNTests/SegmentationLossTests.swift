import CDNNL
import Foundation
import Tensor
import TestSupport
import WeightIO
import XCTest

@testable import NN

/// The losses of `fcn train --loss` (NN/Losses): values and hand-written gradients against
/// PyTorch autograd on segmentation_models_pytorch's formulas (tools/make_loss_golden.py: 3, 11
/// and 21 classes, N = 2, sizes not multiples of 32, ignored pixels, one class absent), against
/// finite differences, and the parsing of `--loss`.
final class SegmentationLossTests: XCTestCase {
  static let fixtures: [String: HostArray] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/golden_losses.safetensors")
    return (try? SafeTensors.read(contentsOf: url).tensors) ?? [:]
  }()

  func fixture(_ key: String) throws -> HostArray {
    guard let a = Self.fixtures[key] else {
      XCTFail("missing fixture \(key): run tools/make_loss_golden.py")
      throw TensorError.unsupported("missing fixture \(key)")
    }
    return a
  }

  /// Fixture terms and the `--loss` text that computes each; "_w" ones take the class weights.
  static let terms: [(key: String, spec: String, weighted: Bool)] = [
    ("ce", "ce", false), ("ce_w", "ce", true), ("dice", "dice", false), ("dice_w", "dice", true),
    ("focal", "focal", false), ("focal_w", "focal", true), ("focal_g05", "focal:1:gamma=0.5", false),
    ("lovasz", "lovasz", false), ("mix", "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.75", true),
  ]

  /// max |a − b| / max |b|: relative to the reference's scale, with no floor (loss gradients are
  /// ~1e-3 per element: a floor of 1 would hide errors).
  func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    let scale = b.map { abs(Double($0)) }.max() ?? 0
    let err = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    return scale > 0 ? err / scale : err
  }

  func testValuesAndGradientsMatchPyTorch() throws {
    for classes in [3, 11, 21] {
      let c = "c\(classes)"
      let logitsArray = try fixture("\(c).logits")
      let logits = try Tensor(shape: logitsArray.shape, values: logitsArray.floats())
      let labelsArray = try fixture("\(c).labels")
      let labels = try Tensor(shape: labelsArray.shape, labels: labelsArray.int64s().map { Int32($0) })
      XCTAssertTrue(labelsArray.shape[1] % 32 != 0 && labelsArray.shape[2] % 32 != 0)
      let weights = try fixture("\(c).weights").floats()
      for term in Self.terms {
        let loss = try SegmentationLoss(parsing: term.spec)
        let (value, gradient) = try loss.evaluate(
          logits, labels: labels, classWeights: term.weighted ? weights : nil, gradient: true)
        let refValue = try fixture("\(c).\(term.key).loss").floats()[0]
        let refGrad = try fixture("\(c).\(term.key).grad").floats()
        let valueError = abs(value - Double(refValue)) / max(abs(Double(refValue)), 1e-30)
        let gradError = relativeError(try gradient!.toArray(), refGrad)
        print(
          String(
            format: "loss golden %@ %@: value rel err %.1e, gradient rel err %.1e", c, term.key, valueError, gradError))
        XCTAssertLessThanOrEqual(valueError, 1e-5, "\(c) \(term.key) value \(value) vs \(refValue)")
        XCTAssertLessThanOrEqual(gradError, 1e-5, "\(c) \(term.key) gradient")
      }
    }
  }

  /// The same through the tape, with logits in oneDNN's blocked layouts (classes padded to the
  /// block): what training does with a model's output.
  func testBlockedLogitsThroughTheTape() throws {
    for classes in [3, 11, 21] {
      let c = "c\(classes)"
      let logitsArray = try fixture("\(c).logits")
      let labelsArray = try fixture("\(c).labels")
      let labels = try Tensor(shape: labelsArray.shape, labels: labelsArray.int64s().map { Int32($0) })
      let weights = try fixture("\(c).weights").floats()
      let plain = try Tensor(shape: logitsArray.shape, values: logitsArray.floats())
      for tag in [dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c] {
        let z = Variable(try plain.reordered(to: MemoryDesc(plain.shape, .f32, tag)), requiresGrad: true)
        let loss = try SegmentationLoss(parsing: "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.75")
        let tape = Tape()
        let value = try tape.record { try loss(z, labels: labels, classWeights: weights) }
        // A seed other than 1 (as gradient accumulation uses) scales the gradient.
        try tape.backward(from: value, seed: Tensor(shape: [1], values: [0.5]))
        XCTAssertEqual(
          Double(value.value.floats[0]), Double(try fixture("\(c).mix.loss").floats()[0]), accuracy: 1e-5,
          "\(c) layout \(tag.rawValue)")
        let ref = try fixture("\(c).mix.grad").floats().map { $0 * 0.5 }
        XCTAssertLessThanOrEqual(relativeError(try z.grad!.toArray(), ref), 1e-5, "\(c) layout \(tag.rawValue)")
      }
    }
  }

  /// Central differences of the double-precision value. Logits are multiples of 2^-10 below 4
  /// and the step 2^-20, so every perturbed logit is exact in fp32 and the difference is the
  /// function's. Lovász-softmax has kinks where two errors swap places in the sort: where the
  /// two one-sided differences disagree by more than curvature explains, the step crossed one
  /// (no derivative there), and that element is not compared.
  func testGradientsMatchFiniteDifferences() throws {
    var rng = TestRNG(14)
    let shape = [2, 5, 3, 5]
    let z = (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform() * 3 * 1024).rounded() / 1024 }
    var labels = (0..<30).map { _ in Int32(rng.next() % 5) }
    for i in [2, 11, 29] { labels[i] = 255 }
    labels = labels.map { $0 == 3 ? 4 : $0 }  // class 3 absent
    let labelTensor = try Tensor(shape: [2, 3, 5], labels: labels)
    let weights: [Float] = [0.5, 1.25, 2, 0.75, 1.5]
    let h = 1.0 / 1_048_576
    for spec in ["ce", "dice", "focal", "focal:1:gamma=0.5", "focal:1:gamma=3", "lovasz", "ce:0.5,dice:1,lovasz:2"] {
      for weighted in [false, true] {
        let loss = try SegmentationLoss(parsing: spec)
        let w = weighted ? weights : nil
        func value(_ values: [Float]) throws -> Double {
          try loss.evaluate(Tensor(shape: shape, values: values), labels: labelTensor, classWeights: w, gradient: false)
            .value
        }
        let analytic = try loss.evaluate(
          Tensor(shape: shape, values: z), labels: labelTensor, classWeights: w, gradient: true
        )
        .gradient!.toArray()
        let center = try value(z)
        var compared = 0
        var worst = 0.0
        let scale = analytic.map { abs(Double($0)) }.max()!
        for i in z.indices {
          var up = z
          var down = z
          up[i] += Float(h)
          down[i] -= Float(h)
          let (f1, f0) = (try value(up), try value(down))
          let (forward, backward) = ((f1 - center) / h, (center - f0) / h)
          if spec.contains("lovasz") && abs(forward - backward) > 1e-4 * scale { continue }
          worst = max(worst, abs((f1 - f0) / (2 * h) - Double(analytic[i])) / scale)
          compared += 1
        }
        XCTAssertGreaterThan(compared, z.count * 9 / 10, "\(spec): too few smooth points")
        print(
          String(
            format: "finite differences %@ weighted %d: %d of %d compared, max rel err %.1e", spec, weighted ? 1 : 0,
            compared, z.count, worst))
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(spec) weighted \(weighted): finite differences")
      }
    }
  }

  /// A batch of only ignored pixels (a crop of padding) is worth 0 with a zero gradient, not NaN.
  func testOnlyIgnoredPixelsGiveZero() throws {
    let logits = try Tensor(shape: [1, 4, 2, 3], values: (0..<24).map { Float($0 % 5) - 2 })
    let labels = try Tensor(shape: [1, 2, 3], labels: [Int32](repeating: 255, count: 6))
    let loss = try SegmentationLoss(parsing: "ce:1,dice:1,focal:1,lovasz:1")
    let (value, gradient) = try loss.evaluate(logits, labels: labels, gradient: true)
    XCTAssertEqual(value, 0)
    XCTAssertEqual(try gradient!.toArray(), [Float](repeating: 0, count: 24))
  }

  func testParsingAndErrors() throws {
    let loss = try SegmentationLoss(parsing: " ce:1, dice:0.5 ,focal:0.25:gamma=3,lovasz")
    XCTAssertEqual(
      loss.terms,
      [
        LossTerm(.crossEntropy), LossTerm(.dice, weight: 0.5), LossTerm(.focal(gamma: 3), weight: 0.25),
        LossTerm(.lovasz),
      ])
    XCTAssertEqual(loss.spec, "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:1")
    XCTAssertEqual(try SegmentationLoss(parsing: loss.spec), loss)
    XCTAssertEqual(try SegmentationLoss(parsing: "ce"), .crossEntropy)
    XCTAssertEqual(try SegmentationLoss(parsing: "focal").terms, [LossTerm(.focal(gamma: 2))])
    XCTAssertEqual(loss.termsWithoutClassWeights.map(\.name), ["lovasz"])
    for (bad, named) in [
      ("ce:1,dcie:0.5", "dcie:0.5"), ("ce:-1", "ce:-1"), ("ce:0", "ce:0"), ("dice:x", "dice:x"),
      ("ce:gamma=2", "ce:gamma=2"), ("focal:gamma=-1", "focal:gamma=-1"), ("focal:3:0.5", "focal:3:0.5"),
      ("ce,ce:2", "ce:2"), ("ce:1,", "ce:1,"), ("", "--loss"), ("lovasz:nan", "lovasz:nan"),
    ] {
      XCTAssertThrowsError(try SegmentationLoss(parsing: bad), bad) {
        XCTAssertTrue("\($0)".contains(named), "'\(bad)': \($0)")
      }
    }
  }

  func testBadLabelsAndWeightsAreRefused() throws {
    let logits = try Tensor(shape: [1, 3, 2, 2], values: [Float](repeating: 0, count: 12))
    let loss = try SegmentationLoss(parsing: "dice")
    XCTAssertThrowsError(
      try loss.evaluate(logits, labels: Tensor(shape: [1, 2, 2], labels: [0, 1, 7, 255]), gradient: true)
    ) { XCTAssertTrue("\($0)".contains("label 7"), "\($0)") }
    XCTAssertThrowsError(
      try loss.evaluate(
        logits, labels: Tensor(shape: [1, 2, 2], labels: [0, 1, 2, 255]), classWeights: [1, 2], gradient: true)
    ) { XCTAssertTrue("\($0)".contains("2 class weights for 3 classes"), "\($0)") }
  }
}

/// The Lovász sort: decreasing errors, ties in increasing index, exactly as a comparison sort
/// in fp64 (values that tie in fp32 but not in fp64 included).
final class LovaszSortTests: XCTestCase {
  func testSortDecreasingEqualsComparisonSort() {
    var rng = TestRNG(5)
    var errors = (0..<5000).map { _ in abs(rng.uniform()) }
    for i in stride(from: 0, to: 5000, by: 7) { errors[i] = errors[(i * 31) % 5000] }  // exact ties
    for i in stride(from: 3, to: 5000, by: 11) { errors[i] = errors[i - 3] + 1e-12 }  // fp32 ties only
    for i in stride(from: 5, to: 5000, by: 13) { errors[i] = 0 }
    var order = [UInt64](repeating: 0, count: errors.count)
    sortDecreasing(errors, into: &order)
    let expected = errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
    XCTAssertEqual(order.map { Int($0 & 0xFFFF_FFFF) }, expected)
  }
}
