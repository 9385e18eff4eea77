import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// Softmax cross-entropy: ignore label, class weights, reductions, against the reference and PyTorch.
final class CrossEntropyTests: XCTestCase {
  func testCrossEntropyWithIgnoreWeightsAndReductions() throws {
    var rng = TestRNG(11)
    let zs = [2, 4, 3, 3]
    let z = rng.array(72, scale: 3)
    var labels = (0..<18).map { _ in Int32(rng.next() % 4) }
    labels[3] = 255
    labels[10] = 255
    let weights: [Double] = [0.5, 1, 2, 1.5]
    let labelTensor = try Tensor(shape: [2, 3, 3], labels: labels)
    for (w, reduction) in [(nil, Reduction.mean), (weights, .mean), (weights, .sum), (nil, .sum)]
      as [([Double]?, Reduction)]
    {
      let zv = try variable(z, zs)
      let tape = Tape()
      let loss = try tape.record {
        try softmaxCrossEntropy(
          zv, labels: labelTensor, classWeights: w.map { $0.map(Float.init) }, reduction: reduction)
      }
      try tape.backward(from: loss)
      let ref = Ref.crossEntropy(z, zs, labels: labels, weights: w, ignore: 255, mean: reduction == .mean)
      XCTAssertEqual(Double(loss.value.floats[0]), ref, accuracy: 1e-5 * max(1, abs(ref)))
      let g = Ref.numericGradient(z) {
        Ref.crossEntropy($0, zs, labels: labels, weights: w, ignore: 255, mean: reduction == .mean)
      }
      assertClose(try doubles(zv.grad), g, tol: 1e-4, "cross entropy \(reduction) weights \(w != nil)")
    }
    var bad = labels
    bad[0] = 7
    XCTAssertThrowsError(
      try softmaxCrossEntropy(Variable(tensor(z, zs)), labels: Tensor(shape: [2, 3, 3], labels: bad))
    ) {
      XCTAssertTrue("\($0)".contains("label 7"), "\($0)")
    }
  }

  func testCrossEntropy() throws {
    let labels = try Tensor(shape: array("xent.labels").shape, labels: values("xent.labels").map { Int32($0) })
    let weights = try values("xent.weights")
    for (suffix, reduction, w) in [("mean", Reduction.mean, nil), ("sum", .sum, nil), ("wmean", .mean, weights)]
      as [(String, Reduction, [Float]?)]
    {
      let z = try variable("xent.logits")
      let tape = Tape()
      let loss = try tape.record { try softmaxCrossEntropy(z, labels: labels, classWeights: w, reduction: reduction) }
      try tape.backward(from: loss)
      try expect(loss.value, "xent.loss_\(suffix)")
      try expect(z.grad, "xent.dlogits_\(suffix)")
    }
  }
}
