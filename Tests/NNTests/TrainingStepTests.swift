import CDNNL
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

  /// A full primitive cache evicts the least recently used, never what the current step needs:
  /// after filling it with unrelated entries, steps 3-5 still create no primitive.
  func testAFullPrimitiveCacheKeepsTheStepsPrimitives() throws {
    var rng = Xoshiro256(seed: 3)
    let (c1, c2, bn, up) = try makeNet(&rng)
    let image = try Tensor(shape: [2, 3, 12, 12], values: (0..<864).map { _ in rng.nextUnitFloat() })
    let labels = try Tensor(shape: [2, 12, 12], labels: (0..<288).map { _ in Int32(rng.next() % 5) })
    let cache = PrimitiveCache.shared
    let filler = try reorderPrimitive(MemoryDesc([4], .f32, dnnl_a), MemoryDesc([4], .f32, dnnl_a))
    for i in 0..<cache.capacity { _ = cache.get("filler|\(i)") { filler } }
    XCTAssertEqual(cache.count, cache.capacity)
    func step() throws {
      let tape = Tape()
      let loss = try tape.record { () -> Variable in
        let h = try maxPool2d(relu(bn(c1(Variable(image))), inPlace: true), kernel: 2)
        return try softmaxCrossEntropy(up(c2(h)), labels: labels)
      }
      try tape.backward(from: loss)
    }
    let evictions = cache.evictions
    try step()
    try step()
    XCTAssertGreaterThan(cache.evictions, evictions, "the steps' primitives must have pushed fillers out")
    let misses = cache.misses
    for _ in 0..<3 { try step() }
    XCTAssertEqual(cache.misses, misses, "steps 3-5 must find every primitive in the full cache")
    XCTAssertLessThanOrEqual(cache.count, cache.capacity)
  }

  func testConvolutionOutputsStayInBlockedLayout() throws {
    var rng = Xoshiro256(seed: 2)
    let conv = try Conv2D("c", in: 3, out: 32, kernel: 3, padding: 1, rng: &rng)
    let y = try conv(Variable(Tensor.zeros(shape: [1, 3, 32, 32])))
    XCTAssertFalse(y.value.isPlain, "conv output layout \(y.value.desc) should be oneDNN's blocked one")
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
