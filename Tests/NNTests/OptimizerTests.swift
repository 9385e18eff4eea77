import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// Optimizers, schedules and gradient clipping, against PyTorch and hand-computed values.
final class OptimizerTests: XCTestCase {
  func testOptimizerSteps() throws {
    let makers: [(String, ([Parameter]) -> Optimizer)] = [
      ("sgd", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3) }),
      ("sgd_nesterov", { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }),
      ("adamw", { Adam.adamW($0, learningRate: 0.01, weightDecay: 0.05) }),
      ("adam", { Adam($0, learningRate: 0.01, weightDecay: 0.05, decoupled: false) }),
    ]
    for (name, make) in makers {
      let p = try Parameter("p", tensor("optim.p0"))
      let opt = make([p])
      for g in ["optim.g1", "optim.g2"] {
        try reorder(from: tensor(g), to: p.gradient())
        try opt.step()
      }
      try expect(p.value, "optim.\(name)")
    }
  }

  func testSchedulesByHand() {
    let poly = LRSchedule(.poly(power: 0.9), base: 0.01, totalSteps: 100)
    XCTAssertEqual(poly.learningRate(at: 0), 0.01, accuracy: 1e-9)
    XCTAssertEqual(poly.learningRate(at: 50), 0.01 * Float(pow(0.5, 0.9)), accuracy: 1e-7)
    XCTAssertEqual(poly.learningRate(at: 100), 0, accuracy: 1e-9)
    let step = LRSchedule(.step(every: 10, gamma: 0.1), base: 1, totalSteps: 100)
    XCTAssertEqual(step.learningRate(at: 9), 1, accuracy: 1e-7)
    XCTAssertEqual(step.learningRate(at: 25), 0.01, accuracy: 1e-7)
    let cosine = LRSchedule(.cosine(minLR: 0), base: 2, totalSteps: 10)
    XCTAssertEqual(cosine.learningRate(at: 5), 1, accuracy: 1e-6)
    XCTAssertEqual(cosine.learningRate(at: 10), 0, accuracy: 1e-6)
    let warm = LRSchedule(.constant, base: 1, totalSteps: 100, warmupSteps: 10, warmupStart: 0.1)
    XCTAssertEqual(warm.learningRate(at: 0), 0.1, accuracy: 1e-7)
    XCTAssertEqual(warm.learningRate(at: 5), 0.55, accuracy: 1e-6)
    XCTAssertEqual(warm.learningRate(at: 10), 1, accuracy: 1e-7)
  }

  func testClipGradNorm() throws {
    let a = try Parameter("a", shape: [2], values: [0, 0])
    let b = try Parameter("b", shape: [1], values: [0])
    try reorder(from: Tensor(shape: [2], values: [3, 0]), to: a.gradient())
    try reorder(from: Tensor(shape: [1], values: [4]), to: b.gradient())
    let norm = clipGradNorm([a, b], maxNorm: 1)
    XCTAssertEqual(norm, 5, accuracy: 1e-6)
    XCTAssertEqual(try a.grad!.toArray()[0], 3 / (5 + 1e-6), accuracy: 1e-6)
    XCTAssertEqual(try b.grad!.toArray()[0], 4 / (5 + 1e-6), accuracy: 1e-6)
    XCTAssertEqual(clipGradNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)  // under the bound: unchanged
  }
}
