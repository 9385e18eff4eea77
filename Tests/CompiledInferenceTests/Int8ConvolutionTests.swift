import CDNNL
import CompiledInference
import NN
import SeededRandom
import Tensor
import XCTest

/// oneDNN's int8 convolution against the definition computed on the same integers: the int32
/// sum of u8/s8 input × s8 weight products (exact), then the scales, bias and ReLU in Double,
/// then the output's rounding and saturation.
final class Int8ConvolutionTests: XCTestCase {
  struct Case {
    var n = 2, c = 13, h = 9, w = 7, o = 11, k = 3, pad = 1, stride = 1
    var signedInput = false
    var relu = true
    var quantizedOutput = true
  }

  func run(_ t: Case, file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = Xoshiro256(seed: UInt64(t.o * 31 + t.c + (t.signedInput ? 7 : 0)))
    let inputValues: [Int] = (0..<(t.n * t.c * t.h * t.w)).map { _ in
      t.signedInput ? Int(rng.next() % 255) - 127 : Int(rng.next() % 256)
    }
    let weights: [Int8] = (0..<(t.o * t.c * t.k * t.k)).map { _ in Int8(Int(rng.next() % 255) - 127) }
    let weightScales = (0..<t.o).map { _ in 0.001 + rng.nextUnitFloat() * 0.01 }
    let bias = (0..<t.o).map { _ in rng.nextUnitFloat() - 0.5 }
    let inputScale: Float = 0.02
    let outputScale: Float = 0.05

    let input = try Tensor(shape: [t.n, t.c, t.h, t.w], dtype: t.signedInput ? .s8 : .u8)
    let raw = input.buffer.pointer.assumingMemoryBound(to: UInt8.self)
    for (i, v) in inputValues.enumerated() { raw[i] = UInt8(truncatingIfNeeded: v) }

    let conv = try InferenceConv(
      name: "q", geometry: ConvGeometry(stride: t.stride, padding: t.pad),
      weight: Tensor.zeros(shape: [t.o, t.c, t.k, t.k]), bias: Tensor(shape: [t.o], values: bias), fuseReLU: t.relu)
    try conv.setWeights(
      int8Tensor(shape: [t.o, t.c, t.k, t.k], values: weights), bias: Tensor(shape: [t.o], values: bias),
      quantization: ConvQuantization(
        weightScales: weightScales, inputScale: inputScale, inputType: t.signedInput ? .s8 : .u8,
        outputScale: t.quantizedOutput ? outputScale : nil))
    let y = try conv(Activation(input, scale: inputScale))
    XCTAssertEqual(y.scale, t.quantizedOutput ? outputScale : nil, file: file, line: line)
    let got = try y.dequantized().toArray()

    let oh = (t.h + 2 * t.pad - t.k) / t.stride + 1
    let ow = (t.w + 2 * t.pad - t.k) / t.stride + 1
    XCTAssertEqual(got.count, t.n * t.o * oh * ow, file: file, line: line)
    var offByOne = 0
    for b in 0..<t.n {
      for oc in 0..<t.o {
        for y0 in 0..<oh {
          for x0 in 0..<ow {
            var acc = 0  // exact integer sum
            for ic in 0..<t.c {
              for ky in 0..<t.k {
                for kx in 0..<t.k {
                  let iy = y0 * t.stride - t.pad + ky
                  let ix = x0 * t.stride - t.pad + kx
                  guard iy >= 0, iy < t.h, ix >= 0, ix < t.w else { continue }
                  acc +=
                    inputValues[((b * t.c + ic) * t.h + iy) * t.w + ix]
                    * Int(weights[((oc * t.c + ic) * t.k + ky) * t.k + kx])
                }
              }
            }
            var real = Double(inputScale) * Double(weightScales[oc]) * Double(acc) + Double(bias[oc])
            if t.relu { real = max(real, 0) }
            let index = ((b * t.o + oc) * oh + y0) * ow + x0
            if t.quantizedOutput {
              let levels = t.relu ? 255.0 : 127.0
              let q = min(max((real / Double(outputScale)).rounded(.toNearestOrEven), t.relu ? 0 : -levels), levels)
              let gotQ = Double(got[index]) / Double(outputScale)
              // oneDNN multiplies in fp32: a value within an ulp of a .5 boundary may round the
              // other way, never further.
              let diff = abs(gotQ.rounded() - q)
              XCTAssertLessThanOrEqual(diff, 1, "at \(index)", file: file, line: line)
              if diff > 0 { offByOne += 1 }
            } else {
              XCTAssertEqual(Double(got[index]), real, accuracy: 1e-5 * max(1, abs(real)), file: file, line: line)
            }
          }
        }
      }
    }
    XCTAssertLessThanOrEqual(
      offByOne, got.count / 200, "\(offByOne) of \(got.count) outputs off by one", file: file, line: line)
  }

  func testU8InputReLUQuantizedOutput() throws { try run(Case()) }
  func testU8InputFloatOutputNoReLU() throws { try run(Case(relu: false, quantizedOutput: false)) }
  func testS8InputStrided() throws { try run(Case(c: 3, h: 17, w: 12, o: 21, stride: 2, signedInput: true)) }
  func testOneByOneManyChannels() throws { try run(Case(n: 1, c: 40, h: 5, w: 6, o: 21, k: 1, pad: 0)) }
}
