import NN
import SeededRandom
import Tensor
import TestSupport
import XCTest

/// A chain of convolution → BatchNorm → ReLU layers, as the VGG-BN backbones run it: with the
/// ReLU fused into the BatchNorm (BatchNorm2D.fusesFollowingReLU, .readsInputAlone) the tape
/// keeps one activation per layer, the convolution's output, and backward needs two more at
/// most; the separate ReLU needed four more. Gradients are the same either way.
final class BatchNormReLUMemoryTests: XCTestCase {
  struct Run {
    /// What the pool had in use after forward (what the tape keeps), over what it had before.
    var kept: Int
    /// The pool's high-water mark during backward, over what it had in use after forward.
    var backwardExtra: Int
    /// One activation: [2, channels, size, size] fp32 in the blocked layout.
    var activation: Int
    var gradients: [String: [Float]]
    var output: [Float]
  }

  /// Forward and backward of `layers` conv–BN–ReLU layers and a 2×2 max pool (a VGG block),
  /// releasing each BatchNorm output after the layer that reads it, as FCNModel does.
  func run(fused: Bool, layers n: Int = 4, channels c: Int = 16, size s: Int = 64) throws -> Run {
    var rng = Xoshiro256(seed: 13)
    var test = TestRNG(29)
    let convs = try (0..<n).map {
      try Conv2D("conv\($0)", in: $0 == 0 ? 3 : c, out: c, kernel: 3, padding: 1, rng: &rng)
    }
    let norms = try (0..<n).map { i -> BatchNorm2D in
      let bn = try BatchNorm2D("bn\(i)", channels: c)
      for k in 0..<c {
        bn.weight.value.floats[k] = Float(0.5 + test.uniform() / 4)
        bn.bias.value.floats[k] = Float(test.uniform() / 2)
      }
      bn.fusesFollowingReLU = fused
      bn.readsInputAlone = fused
      return bn
    }
    let image = Variable(try Tensor(shape: [2, 3, s, s], values: test.array(2 * 3 * s * s).map(Float.init)))
    let seed = try Tensor(shape: [2, c, s / 2, s / 2], values: test.array(2 * c * s * s / 4).map(Float.init))

    let pool = BufferPool.shared
    pool.trim()
    let before = pool.bytesInUse
    let tape = Tape()
    var activation = 0
    let out = try tape.record { () throws -> Variable in
      var h = image
      for i in 0..<n {
        let x = try convs[i](h)
        if i > 0 { h.value.release() }
        activation = x.value.buffer.byteCount
        h = try relu(norms[i](x), inPlace: true)
      }
      let y = try maxPool2d(h, kernel: 2)
      h.value.release()
      return y
    }
    // No idle buffers (a small request may take one up to 8× its size, which would count), and
    // the high-water mark counts from here.
    pool.trim()
    pool.trimForNewShapes()
    let afterForward = pool.bytesInUse
    try tape.backward(from: out, seed: seed)
    let backwardExtra = pool.recentPeakBytesInUse - afterForward
    var gradients: [String: [Float]] = [:]
    for p in convs.flatMap(\.parameters) + norms.flatMap(\.parameters) {
      gradients[p.name] = try p.grad?.toArray() ?? []
    }
    return Run(
      kept: afterForward - before, backwardExtra: backwardExtra, activation: activation, gradients: gradients,
      output: try out.value.toArray())
  }

  func testFusedChainGivesTheSameGradients() throws {
    let separate = try run(fused: false)
    let fused = try run(fused: true)
    XCTAssertEqual(fused.output, separate.output)
    XCTAssertEqual(Set(fused.gradients.keys), Set(separate.gradients.keys))
    for (name, g) in separate.gradients {
      XCTAssertFalse(g.isEmpty, name)
      // Equal as numbers: the fused ReLU writes +0 where the separate one wrote −0.
      XCTAssertEqual(fused.gradients[name], g, name)
    }
  }

  /// After forward the tape keeps the n convolution outputs (one activation per BatchNorm
  /// layer), the pool's output and workspace, and one-bit masks. Backward needs at most about
  /// one activation more with the ReLU fused: while convolution k's backward runs, the kept
  /// outputs before it, its incoming gradient and either the rebuilt input or backward-data's
  /// output (the gradient replaces the kept output k, which its BatchNorm's backward gave back);
  /// plus a quarter for the pool's gradient at the start. The separate ReLU needed about 2.7:
  /// the ReLU's backward reads the rebuilt output and writes a new gradient, the BatchNorm's
  /// writes another, the convolution's output stays until its own backward.
  func testTheTapeKeepsOneActivationPerBatchNormLayer() throws {
    let n = 4
    let fused = try run(fused: true, layers: n)
    let separate = try run(fused: false, layers: n)
    let a = Double(fused.activation)
    print(
      String(
        format:
          "BN-ReLU block of %d, activation %d KiB: kept %.2f / %.2f activations, backward's extra %.2f / %.2f (fused / separate)",
        n, fused.activation >> 10, Double(fused.kept) / a, Double(separate.kept) / a, Double(fused.backwardExtra) / a,
        Double(separate.backwardExtra) / a))
    XCTAssertLessThanOrEqual(Double(fused.kept), (Double(n) + 0.5) * a, "kept \(fused.kept) bytes")
    XCTAssertLessThanOrEqual(Double(fused.backwardExtra), 1.5 * a, "backward's extra \(fused.backwardExtra) bytes")
    XCTAssertGreaterThan(
      Double(separate.backwardExtra), 2.5 * a, "the separate ReLU's extra \(separate.backwardExtra) bytes")
  }
}
