import FCN
import NN
import Tensor
import XCTest

/// The paper initialisation trains: a small FCN-8s fits one batch of a simple layout.
final class TrainingSmokeTests: XCTestCase {
  func testSmallFCN8sFitsOneBatch() throws {
    let m = try makeModel(ModelConfig(model: "fcn8s", classes: 3, width: 1.0 / 16, fc: 32, seed: 1))
    let (n, h, w) = (1, 40, 36)
    // Class 0 on the left third, 1 in the middle, 2 on the right; the image says so in its channels.
    var pixels = [Float](repeating: 0, count: n * 3 * h * w)
    var labels = [Int32](repeating: 0, count: n * h * w)
    for b in 0..<n {
      for y in 0..<h {
        for x in 0..<w {
          let c = min(2, 3 * x / w)
          labels[(b * h + y) * w + x] = Int32(c)
          pixels[((b * 3 + c) * h + y) * w + x] = 1
        }
      }
    }
    let image = Variable(try Tensor(shape: [n, 3, h, w], values: pixels))
    let target = try Tensor(shape: [n, h, w], labels: labels)
    m.setTraining(false)  // no dropout: a deterministic check of the gradients' direction
    let sgd = SGD(m.parameters, learningRate: 0.02, momentum: 0.9)
    var losses: [Float] = []
    for _ in 0..<15 {
      m.zeroGrad()
      let tape = Tape()
      let loss = try tape.record { try softmaxCrossEntropy(m(image), labels: target) }
      try tape.backward(from: loss)
      try sgd.step()
      losses.append(try loss.value.toArray()[0])
    }
    XCTAssertEqual(losses[0], logf(3), accuracy: 1e-5, "zero score layers give uniform logits")
    XCTAssertLessThan(losses.last!, 0.5 * losses[0], "loss should at least halve: \(losses)")
  }
}
