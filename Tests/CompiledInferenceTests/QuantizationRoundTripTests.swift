import CDNNL
import CompiledInference
import SeededRandom
import Tensor
import XCTest

/// Quantise → dequantise: weights per channel, activations through oneDNN's reorders.
final class QuantizationRoundTripTests: XCTestCase {
  func testWeightsPerChannelWithinHalfAStep() {
    var rng = Xoshiro256(seed: 5)
    // Channel 1 is 100× larger than channel 0: per-channel scales keep channel 0 fine-grained.
    let shape = [3, 4, 3, 3]
    var w = (0..<108).map { _ in rng.nextUnitFloat() - 0.5 }
    for i in 36..<72 { w[i] *= 100 }
    for i in 72..<108 { w[i] = 0 }  // an all-zero channel stays exactly zero
    let q = QuantizedWeights(quantizing: w, shape: shape)
    XCTAssertEqual(q.scales.count, 3)
    XCTAssertEqual(q.scales[2], 1)
    XCTAssertEqual(q.values.map { Int($0) }.max(), 127)
    XCTAssertFalse(q.values.contains(-128))
    let back = q.dequantized()
    for i in w.indices {
      XCTAssertLessThanOrEqual(abs(back[i] - w[i]), q.scales[i / 36] / 2 * 1.0001, "weight \(i)")
    }
    // The largest |w| of each channel maps to ±127 exactly.
    for c in 0..<2 {
      let row = Array(w[(c * 36)..<((c + 1) * 36)])
      let maxAbs = row.map(abs).max()!
      XCTAssertEqual(q.scales[c], maxAbs / 127, accuracy: maxAbs * 1e-7)
    }
  }

  func testScalarQuantizeRoundsHalfToEvenAndSaturates() {
    XCTAssertEqual(quantize(0.25, scale: 0.1, levels: 255, signed: false).value, 2)  // 2.5 → 2
    XCTAssertEqual(quantize(0.35, scale: 0.1, levels: 255, signed: false).value, 4)  // 3.5 → 4
    XCTAssertEqual(quantize(-1, scale: 0.1, levels: 255, signed: false).value, 0)
    XCTAssertEqual(quantize(1000, scale: 0.1, levels: 255, signed: false).value, 255)
    XCTAssertEqual(quantize(-1000, scale: 0.1, levels: 127, signed: true).value, -127)
  }

  /// oneDNN's quantising reorder (into a blocked u8 layout and back) agrees with `quantize`
  /// integer for integer, and dequantises to exactly scale · integer.
  func testActivationReorderRoundTrip() throws {
    var rng = Xoshiro256(seed: 9)
    let shape = [2, 19, 5, 7]
    let values = (0..<shape.reduce(1, *)).map { _ in rng.nextUnitFloat() * 3 - 0.5 }  // some negative, some > 2.55
    let x = Activation(try Tensor(shape: shape, values: values))
    for (dtype, tag, signed) in [(DType.u8, dnnl_nhwc, false), (DType.s8, dnnl_nChw16c, true)] {
      let scale: Float = 0.01
      let q = try x.quantized(as: MemoryDesc(shape, dtype, tag), scale: scale)
      XCTAssertEqual(q.scale, scale)
      let back = try q.dequantized().toArray()
      for i in values.indices {
        let expected = quantize(values[i], scale: scale, levels: signed ? 127 : 255, signed: signed).value
        XCTAssertEqual(back[i], Float(expected) * scale, accuracy: 1e-6, "\(dtype) element \(i) = \(values[i])")
      }
    }
  }

  func testCalibrationMethodsOrderThresholds() {
    // 10000 values uniform in [0, 1) and one outlier at 50: min-max follows the outlier,
    // the percentile method does not.
    var stats = ActivationStatistics()
    var rng = Xoshiro256(seed: 2)
    var values = (0..<10000).map { _ in rng.nextUnitFloat() }
    values.append(50)
    values.withUnsafeBufferPointer { stats.observe($0) }
    XCTAssertEqual(stats.scale(.minmax), 50 / 255, accuracy: 1e-6)
    XCTAssertLessThan(stats.scale(.percentile), 1.1 / 255)
    XCTAssertGreaterThan(stats.scale(.percentile), 0.9 / 255)
    // Entropy calibration sees the bulk in only ~41 of its 2048 bins here, too coarse to show
    // quantisation error inside it, so it may keep the outlier; it never goes above min-max.
    XCTAssertLessThanOrEqual(stats.scale(.entropy), stats.scale(.minmax))
    XCTAssertGreaterThan(stats.scale(.entropy), 1.0 / 255)
    XCTAssertFalse(stats.isSigned)
    // Without the outlier nothing should clip much: the entropy threshold stays near the top of
    // the uniform range (a search that does not charge for clipping picks 255/2048 of it).
    var uniform = ActivationStatistics()
    values.dropLast().withUnsafeBufferPointer { uniform.observe($0) }
    XCTAssertGreaterThan(uniform.scale(.entropy), 0.8 / 255)
    // Observed in two parts with a growing range, the histogram counts everything once.
    var split = ActivationStatistics()
    values[0..<100].withUnsafeBufferPointer { split.observe($0) }
    values[100...].withUnsafeBufferPointer { split.observe($0) }
    XCTAssertEqual(split.histogram.reduce(0, +), Double(values.count))
    XCTAssertEqual(split.maxAbs, 50)
  }
}
