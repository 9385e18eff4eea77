import FCN
import NN
import Tensor
import XCTest

/// The memory levers change where values live, never what they are: the model trained with
/// SGD applied during backward (no gradient kept per parameter) ends with the same weights, bit
/// for bit, as the ordinary path; and a BatchNorm output given back after forward is rebuilt
/// with the forward's exact bits.
final class MemoryModeTests: XCTestCase {
  /// Trains a small course FCN-8 (BatchNorm, dropout, one deconvolution used twice) for a few
  /// steps and returns its weights and its BatchNorm running statistics.
  func train(immediate: Bool, steps: Int = 4) throws -> [[Float]] {
    let config = try ModelConfig(model: "course-fcn8", classes: 5, width: 1.0 / 16, fc: 32, seed: 3)
    let m = try makeModel(config)
    m.setTraining(true)
    let (b, h, w) = (2, 64, 64)
    let x = Variable(try pattern([b, 3, h, w], salt: 7))
    let labels = try Tensor(shape: [b, h, w], labels: (0..<(b * h * w)).map { Int32(($0 / 7) % 5) })
    let sgd = SGD(m.parameters, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3)
    let update = ImmediateUpdate(m.parameters) { sgd.update($0, gradient: $1) }
    for _ in 0..<steps {
      if immediate {
        try update.during {
          let tape = Tape()
          let loss = try tape.record { try softmaxCrossEntropy(m(x), labels: labels) }
          try tape.backward(from: loss)
        }
        XCTAssertTrue(m.parameters.allSatisfy { $0.grad == nil }, "no gradient outlives the step")
      } else {
        m.zeroGrad()
        let tape = Tape()
        let loss = try tape.record { try softmaxCrossEntropy(m(x), labels: labels) }
        try tape.backward(from: loss)
        try sgd.step()
      }
    }
    return try m.parameters.map { try $0.value.toArray() } + m.buffers.map { try $0.tensor.toArray() }
  }

  func testUpdatingDuringBackwardGivesTheSameWeightsBitForBit() throws {
    let ordinary = try train(immediate: false)
    let during = try train(immediate: true)
    XCTAssertEqual(ordinary.count, during.count)
    let initial = try makeModel(ModelConfig(model: "course-fcn8", classes: 5, width: 1.0 / 16, fc: 32, seed: 3))
      .parameters.map { try $0.value.toArray() }
    XCTAssertNotEqual(initial, Array(ordinary.prefix(initial.count)), "training must move the weights")
    for (i, (a, b)) in zip(ordinary, during).enumerated() {
      XCTAssertTrue(a.map(\.bitPattern) == b.map(\.bitPattern), "tensor \(i) differs")
    }
  }

}
