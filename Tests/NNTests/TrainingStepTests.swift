import NN
import SeededRandom
import Tensor
import XCTest

/// Properties of whole training steps: no allocation after the first, primitives reused,
/// blocked layouts inside, schedules and clipping.
final class TrainingStepTests: XCTestCase {
  func makeNet(_ rng: inout Xoshiro256) throws -> (Conv2D, Conv2D, BatchNorm2D, ConvTranspose2D) {
    (
      try Conv2D("c1", in: 3, out: 16, kernel: 3, padding: 1, fuseReLU: true, rng: &rng),
      try Conv2D("c2", in: 16, out: 5, kernel: 1, rng: &rng),
      try BatchNorm2D("bn", channels: 16),
      try ConvTranspose2D("up", in: 5, out: 5, kernel: 4, stride: 2, padding: 1, rng: &rng)
    )
  }

  func testRepeatedStepAllocatesNothingAfterTheFirst() throws {
    var rng = Xoshiro256(seed: 1)
    let (c1, c2, bn, up) = try makeNet(&rng)
    let params = c1.parameters + c2.parameters + bn.parameters + up.parameters
    let opt = SGD(params, learningRate: 0.01, momentum: 0.9)
    let image = try Tensor(shape: [2, 3, 16, 16], values: (0..<1536).map { _ in rng.nextUnitFloat() })
    let labels = try Tensor(shape: [2, 16, 16], labels: (0..<512).map { _ in Int32(rng.next() % 5) })
    var losses = [Float]()
    func step() throws {
      for p in params { p.zeroGrad() }
      let tape = Tape()
      let loss = try tape.record { () -> Variable in
        let h = try maxPool2d(relu(bn(c1(Variable(image))), inPlace: true), kernel: 2)
        let logits = try up(c2(h))
        return try softmaxCrossEntropy(logits, labels: labels)
      }
      try tape.backward(from: loss)
      try opt.step()
      losses.append(loss.value.floats[0])
    }
    try step()
    try step()
    let allocations = BufferPool.shared.allocations
    let primitives = PrimitiveCache.shared.misses
    for _ in 0..<3 { try step() }
    XCTAssertEqual(BufferPool.shared.allocations, allocations, "steps 3-5 must take every buffer from the pool")
    XCTAssertEqual(PrimitiveCache.shared.misses, primitives, "steps 3-5 must reuse every primitive")
    XCTAssertLessThan(losses.last!, losses.first!, "training should reduce the loss: \(losses)")
  }

  func testConvolutionOutputsStayInBlockedLayout() throws {
    var rng = Xoshiro256(seed: 2)
    let conv = try Conv2D("c", in: 3, out: 32, kernel: 3, padding: 1, rng: &rng)
    let y = try conv(Variable(Tensor.zeros(shape: [1, 3, 32, 32])))
    XCTAssertFalse(y.value.isPlain, "conv output layout \(y.value.desc) should be oneDNN's blocked one")
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

  func testBilinearKernelMatchesCaffeSurgery() {
    // upsample_filt(4): factor 2, centre 1.5, og = [0.25, 0.75, 0.75, 0.25] per axis.
    let k = bilinearKernel(in: 2, out: 2, size: 4)
    let axis: [Float] = [0.25, 0.75, 0.75, 0.25]
    for i in 0..<4 { for j in 0..<4 { XCTAssertEqual(k[i * 4 + j], axis[i] * axis[j], accuracy: 1e-7) } }
    XCTAssertEqual(k[16..<32].reduce(0, +), 0)  // weight[0][1] is zero: channels do not mix
    XCTAssertEqual(k[(3 * 16)..<(4 * 16)].reduce(0, +), 4)  // weight[1][1]: the same filter
  }
}
