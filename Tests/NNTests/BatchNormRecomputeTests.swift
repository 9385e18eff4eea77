import CDNNL
import NN
import Tensor
import TestSupport
import XCTest

/// A training BatchNorm's output (with the in-place ReLU after it) may be given back after
/// forward and rebuilt from the kept input and batch statistics when backward needs it; the
/// rebuild must give exactly the forward's bits, or gradients would depend on the memory mode.
final class BatchNormRecomputeTests: XCTestCase {
  /// Released after forward and rebuilt in backward: the same bits as forward wrote, in the
  /// plain and the blocked layouts, at channel counts that do and do not fill a block.
  func testBatchNormOutputIsRebuiltBitForBit() throws {
    for fused in [false, true] {
      try checkRebuild(fusingReLU: fused)
    }
  }

  /// Unfused: BatchNorm, then the in-place ReLU, then a rebuild by both; fused: one training
  /// pass with the ReLU (dnnl_fuse_norm_relu) and a rebuild by the inference pass with it.
  func checkRebuild(fusingReLU fused: Bool) throws {
    for channels in [3, 16, 21] {
      for tag in [dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c] {
        var rng = TestRNG(UInt64(channels))
        let plain = try Tensor(
          shape: [2, channels, 9, 7], values: rng.array(2 * channels * 63, scale: 3).map(Float.init))
        let x = Variable(try plain.reordered(to: MemoryDesc([2, channels, 9, 7], .f32, tag)), requiresGrad: true)
        let bn = try BatchNorm2D("bn", channels: channels)
        bn.fusesFollowingReLU = fused
        for i in 0..<channels {
          bn.weight.value.floats[i] = 0.5 + Float(i) / 8
          bn.bias.value.floats[i] = Float(i % 3) - 1
        }
        let tape = Tape()
        let y = try tape.record { try relu(bn(x), inPlace: true) }
        XCTAssertEqual(tape.count, fused ? 1 : 2, "a fused ReLU records nothing of its own")
        let forward = Array(UnsafeBufferPointer(start: y.value.floats, count: y.value.buffer.byteCount / 4))
        XCTAssertNotNil(y.value.recompute, "a training BatchNorm output can be rebuilt")
        y.value.release()
        XCTAssertTrue(y.value.isReleased)
        try y.value.materialize()
        let rebuilt = Array(UnsafeBufferPointer(start: y.value.floats, count: y.value.buffer.byteCount / 4))
        XCTAssertTrue(
          forward.map(\.bitPattern) == rebuilt.map(\.bitPattern),
          "\(channels) channels, layout \(tag.rawValue), ReLU \(fused ? "fused" : "separate")")
        tape.reset()
      }
    }
  }

}
