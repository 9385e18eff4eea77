import FCN
import NN
import Tensor
import WeightIO
import XCTest

/// Whole models with their convolution weights kept blocked (`BlockedWeights`, threshold
/// lowered to 0 so that small models use it): the state dict (what checkpoints, .pth and
/// safetensors files hold) and the optimiser state are byte for byte those of plain storage,
/// and loading a state dict into a model whose weights are blocked puts back the same values.
final class BlockedWeightsModelTests: XCTestCase {
  override func tearDown() { BlockedWeights.threshold = 16 << 20 }

  func train(_ name: String, threshold: Int) throws -> (
    model: FCNModel, state: [String: HostArray], optimizer: [String: [Float]], blocked: Int
  ) {
    BlockedWeights.threshold = threshold
    let config = try ModelConfig(model: name, classes: 5, width: 1.0 / 8, fc: 64, seed: 5)
    let m = try makeModel(config)
    m.setTraining(true)
    let (b, h, w) = (2, 40, 52)
    let x = Variable(try pattern([b, 3, h, w], salt: 3))
    let labels = try Tensor(shape: [b, h, w], labels: (0..<(b * h * w)).map { Int32(($0 / 5) % 5) })
    let sgd = SGD(m.parameters, learningRate: 0.02, momentum: 0.9, weightDecay: 1e-3)
    let update = ImmediateUpdate(m.parameters) { sgd.update($0, gradient: $1) }
    for _ in 0..<3 {
      try update.during {
        let tape = Tape()
        let loss = try tape.record { try softmaxCrossEntropy(m(x), labels: labels) }
        try tape.backward(from: loss)
      }
    }
    return (m, try m.exportStateDict(), sgd.stateDict(), m.parameters.filter(\.isBlocked).count)
  }

  func testStateDictAndOptimizerStateAreThePlainOnesByteForByte() throws {
    for name in ["fcn8s", "course-fcn8"] {
      let plain = try train(name, threshold: Int.max)
      let blocked = try train(name, threshold: 0)
      XCTAssertEqual(plain.blocked, 0)
      XCTAssertGreaterThan(blocked.blocked, 3, "\(name): most convolution weights should be blocked")
      XCTAssertEqual(plain.state, blocked.state, "\(name): state dicts differ")
      XCTAssertEqual(Set(plain.optimizer.keys), Set(blocked.optimizer.keys))
      for (k, v) in plain.optimizer {
        XCTAssertTrue(v.map(\.bitPattern) == blocked.optimizer[k]!.map(\.bitPattern), "\(name): \(k) differs")
      }
      // Loading into blocked weights (resume, --init) writes through the layout.
      try blocked.model.loadStateDict(plain.state)
      XCTAssertEqual(try blocked.model.exportStateDict(), plain.state, "\(name): state dict after a load")
      XCTAssertGreaterThan(blocked.model.parameters.filter(\.isBlocked).count, 3, "a load keeps the layout")
    }
  }

  /// After training has moved weights into blocked layouts, eval mode in the same process (what
  /// a run's evaluations and its final scores use) gives the logits of the same training with
  /// plain storage, bit for bit.
  func testEvalModeAfterTrainingReadsBlockedWeightsRight() throws {
    for name in ["fcn8s", "course-fcn8"] {
      let plain = try train(name, threshold: Int.max)
      let blocked = try train(name, threshold: 0)
      XCTAssertGreaterThan(blocked.blocked, 3)
      let x = Variable(try pattern([1, 3, 37, 45], salt: 9))
      plain.model.setTraining(false)
      blocked.model.setTraining(false)
      let want = try plain.model(x).value.toArray()
      let got = try blocked.model(x).value.toArray()
      XCTAssertEqual(want.count, got.count)
      XCTAssertTrue(want.map(\.bitPattern) == got.map(\.bitPattern), "\(name): eval logits differ after training")
      XCTAssertGreaterThan(want.map(abs).max() ?? 0, 0)
    }
  }
}
