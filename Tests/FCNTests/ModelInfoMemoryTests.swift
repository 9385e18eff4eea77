import FCN
import NN
import Tensor
import XCTest

/// The memory estimate of `fcn info` (used by the trainer to refuse runs that would not fit)
/// against the buffer pool's real high-water mark.
final class ModelInfoMemoryTests: XCTestCase {
  func measure(_ name: String, batch b: Int, height h: Int, width w: Int) throws -> (
    estimate: ModelInfo, training: Int, inference: Int
  ) {
    let config = try ModelConfig(model: name, classes: 21, width: 1.0 / 8, fc: 128)
    let info = try modelInfo(config: config, height: h, width: w, batch: b)
    BufferPool.shared.trim()
    var base = BufferPool.shared.bytesAllocated
    let m = try makeModel(config)
    let x = Variable(try pattern([b, 3, h, w], salt: 1))
    m.setTraining(false)
    _ = try m(x)
    let inference = BufferPool.shared.bytesAllocated - base
    BufferPool.shared.trim()
    base = BufferPool.shared.bytesAllocated - 4 * m.parameterCount  // the weights stay allocated
    let labels = try Tensor(shape: [b, h, w], labels: (0..<(b * h * w)).map { Int32($0 % 21) })
    let sgd = SGD(m.parameters, learningRate: 0.001, momentum: 0.9)
    m.setTraining(true)
    for _ in 0..<2 {
      m.zeroGrad()
      let tape = Tape()
      let loss = try tape.record { try softmaxCrossEntropy(m(x), labels: labels) }
      try tape.backward(from: loss)
      try sgd.step()
    }
    // SGD's momentum lives in Swift arrays, outside the pool, one per parameter that got a
    // gradient (the course class's modules its forward never calls get none).
    let momentum = sgd.stateDict().values.reduce(0) { $0 + 4 * $1.count }
    let training = BufferPool.shared.bytesAllocated - base + momentum
    return (info, training, inference)
  }

  func testEstimatesAreWithin20PercentOfThePool() throws {
    for (name, b, h, w) in [("fcn8s", 2, 96, 96), ("course-fcn16", 1, 100, 70)] {
      let (info, training, inference) = try measure(name, batch: b, height: h, width: w)
      let t = Double(info.trainingBytes) / Double(training)
      let i = Double(info.inferenceBytes) / Double(inference)
      print(String(format: "memory %@ %dx%dx%d: training estimate/measured %.2f, inference %.2f", name, b, h, w, t, i))
      XCTAssertTrue((0.8...1.2).contains(t), "\(name): training estimate \(info.trainingBytes) vs measured \(training)")
      XCTAssertTrue(
        (0.8...1.2).contains(i), "\(name): inference estimate \(info.inferenceBytes) vs measured \(inference)")
    }
  }
}
