import CDNNL
import NN
import Tensor
import TestSupport
import XCTest

/// `--freeze-bn`: a frozen BatchNorm2D in training mode normalises with its running statistics,
/// never changes them, gives eval mode's output, and backpropagates through the affine map
/// y = γ (x − μ) / √(σ² + ε) + β with μ, σ² constants — checked against that formula's
/// derivatives written out (dx = dy γ/√(σ²+ε), dγ = Σ dy x̂, dβ = Σ dy), in the plain and the
/// blocked layouts, at channel counts that do and do not fill a block.
final class FrozenBatchNormTests: XCTestCase {
  func testFrozenBatchNormUsesAndKeepsRunningStatistics() throws {
    for channels in [3, 16, 21] {
      for tag in [dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c] {
        var rng = TestRNG(UInt64(40 + channels))
        let shape = [2, channels, 5, 7]
        let count = shape.reduce(1, *)
        let hw = 35
        let x = rng.array(count, scale: 2)
        let r = rng.array(count)
        let bn = try BatchNorm2D("bn", channels: channels)
        let mean = rng.array(channels, scale: 0.5)
        let variance = rng.array(channels).map { 0.5 + abs($0) }
        let gamma = rng.array(channels).map { 1 + $0 / 2 }
        let beta = rng.array(channels)
        for c in 0..<channels {
          bn.stats.mean.floats[c] = Float(mean[c])
          bn.stats.variance.floats[c] = Float(variance[c])
          bn.weight.value.floats[c] = Float(gamma[c])
          bn.bias.value.floats[c] = Float(beta[c])
        }
        bn.frozen = true
        bn.setTraining(true)
        let what = "\(channels) channels, layout \(tag.rawValue)"
        let plain = try tensor(x, shape)
        let xv = Variable(try plain.reordered(to: MemoryDesc(shape, .f32, tag)), requiresGrad: true)
        let y = try runWithSeed(r) { try bn(xv) }
        // Running statistics untouched (bit for bit), no batch counted.
        XCTAssertEqual(try bn.stats.mean.toArray(), mean.map(Float.init), what)
        XCTAssertEqual(try bn.stats.variance.toArray(), variance.map(Float.init), what)
        XCTAssertEqual(bn.stats.batchesTracked, 0, what)
        // Eval mode's output.
        bn.frozen = false
        bn.setTraining(false)
        let eval = try bn(Variable(plain))
        assertClose(try doubles(y.value), try doubles(eval.value), tol: 1e-6, "\(what): frozen = eval output")
        // The affine map and its derivatives, in double precision.
        var expected = [Double](repeating: 0, count: count)
        var dx = [Double](repeating: 0, count: count)
        var dgamma = [Double](repeating: 0, count: channels)
        var dbeta = [Double](repeating: 0, count: channels)
        for b in 0..<2 {
          for c in 0..<channels {
            let s = 1 / (Double(Float(variance[c])) + 1e-5).squareRoot()
            for i in 0..<hw {
              let k = (b * channels + c) * hw + i
              let xhat = (Double(Float(x[k])) - Double(Float(mean[c]))) * s
              expected[k] = Double(Float(gamma[c])) * xhat + Double(Float(beta[c]))
              dx[k] = r[k] * Double(Float(gamma[c])) * s
              dgamma[c] += r[k] * xhat
              dbeta[c] += r[k]
            }
          }
        }
        assertClose(try doubles(y.value), expected, tol: 1e-5, "\(what): output")
        assertClose(try doubles(xv.grad), dx, tol: 1e-5, "\(what): dx")
        assertClose(try doubles(bn.weight.grad), dgamma, tol: 1e-5, "\(what): dgamma")
        assertClose(try doubles(bn.bias.grad), dbeta, tol: 1e-5, "\(what): dbeta")
      }
    }
  }

  /// A frozen BatchNorm's output, like a training one's, is given back after forward and rebuilt
  /// for backward from its input and (running) statistics: the same bits.
  func testFrozenBatchNormOutputIsRebuiltBitForBit() throws {
    for channels in [3, 16, 21] {
      for tag in [dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c] {
        var rng = TestRNG(UInt64(70 + channels))
        let shape = [2, channels, 9, 7]
        let plain = try Tensor(shape: shape, values: rng.array(shape.reduce(1, *), scale: 3).map(Float.init))
        let x = Variable(try plain.reordered(to: MemoryDesc(shape, .f32, tag)), requiresGrad: true)
        let bn = try BatchNorm2D("bn", channels: channels)
        for i in 0..<channels {
          bn.stats.mean.floats[i] = Float(i % 4) / 3 - 0.5
          bn.stats.variance.floats[i] = 0.5 + Float(i) / 10
          bn.weight.value.floats[i] = 0.5 + Float(i) / 8
        }
        bn.frozen = true
        let tape = Tape()
        let y = try tape.record { try relu(bn(x), inPlace: true) }
        let forward = Array(UnsafeBufferPointer(start: y.value.floats, count: y.value.buffer.byteCount / 4))
        XCTAssertNotNil(y.value.recompute)
        y.value.release()
        try y.value.materialize()
        let rebuilt = Array(UnsafeBufferPointer(start: y.value.floats, count: y.value.buffer.byteCount / 4))
        XCTAssertTrue(
          forward.map(\.bitPattern) == rebuilt.map(\.bitPattern), "\(channels) channels, layout \(tag.rawValue)")
        tape.reset()
      }
    }
  }
}
