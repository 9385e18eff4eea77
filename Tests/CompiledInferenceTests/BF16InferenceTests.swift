import CompiledInference
import FCN
import NN
import SeededRandom
import Tensor
import XCTest

/// bf16 inference (`InferenceNetwork.useBF16`, `fcn eval|predict --precision bf16`): runs where
/// oneDNN runs bf16 (bf16 hardware, or emulated on AVX-512) and skips elsewhere with the
/// reason; the refusal itself is checked where bf16 cannot run.
final class BF16InferenceTests: XCTestCase {
  func testRefusedWhereOneDNNRunsNoBF16() throws {
    guard BF16Support.current == .unavailable else {
      throw XCTSkip("oneDNN runs bf16 here (\(BF16Support.current), ISA \(Engine.isa)); the refusal cannot be tested")
    }
    let network = try InferenceNetwork(folding: smallModel(classes: 11))
    XCTAssertThrowsError(try network.useBF16()) { error in
      XCTAssertTrue("\(error)".contains("no bf16 kernels for this CPU"), "\(error)")
    }
  }

  func skipUnlessBF16Runs() throws {
    guard BF16Support.current != .unavailable else {
      throw XCTSkip(
        "oneDNN runs no bf16 on this CPU (ISA \(Engine.isa)): bf16 inference needs AVX-512 or bf16 hardware")
    }
  }

  /// bf16 keeps 8 significant bits: each layer's output is rounded to a relative 2^-9 ≈ 0.2 %,
  /// and products are summed in fp32; over 20 layers the logits stay within a few percent of
  /// fp32 (bound 5 % in relative L2), with the same class at ≥ 95 % of the pixels.
  func testSmallNetLogitsCloseToFP32() throws {
    try skipUnlessBF16Runs()
    for classes in [11, 21] {
      let fp32 = try InferenceNetwork(folding: smallModel(classes: classes))
      let bf16 = try InferenceNetwork(folding: smallModel(classes: classes))
      try bf16.useBF16()
      XCTAssertEqual(bf16.computeType, .bf16)
      let image = try testImages([1, 3, 45, 70], seed: 4)
      let reference = try fp32(Variable(image)).value.toArray()
      let out = try bf16(Variable(image)).value
      XCTAssertEqual(out.dtype, .f32, "logits leave the network in fp32")
      let got = try out.toArray()
      XCTAssertLessThan(relativeL2(got, reference), 0.05)
      let shape = [1, classes, 45, 70]
      let same = zip(argmax(got, shape: shape), argmax(reference, shape: shape)).filter { $0 == $1 }.count
      XCTAssertGreaterThanOrEqual(Double(same) / Double(45 * 70), 0.95)
    }
  }

  /// The whole course-fcn8 at full width (VGG19-BN, fc 4096), 21 classes, batch 2, 70×90 (not
  /// a multiple of 32): bf16 logits within 5 % (relative L2) of fp32's and the same class at
  /// ≥ 95 % of the pixels; every deconvolution, crop and skip sum ran in bf16.
  func testCourseFCN8FullWidthLogitsCloseToFP32() throws {
    try skipUnlessBF16Runs()
    let config = try ModelConfig(model: .courseFCN8, classes: 21, seed: 7)
    func model() throws -> FCNModel {
      let m = try FCNModel(config)
      var rng = Xoshiro256(seed: 70)
      for bn in m.batchNormLayers {
        for i in 0..<bn.weight.shape[0] {
          bn.weight.value.floats[i] = 0.5 + rng.nextUnitFloat()
          bn.bias.value.floats[i] = rng.nextUnitFloat() - 0.5
          bn.stats.mean.floats[i] = (rng.nextUnitFloat() - 0.5) * 0.4
          bn.stats.variance.floats[i] = 0.2 + rng.nextUnitFloat()
        }
      }
      for p in m.parameters where p.name.hasPrefix("score") || p.name.hasPrefix("up") {
        for i in 0..<p.value.count { p.value.floats[i] = (rng.nextUnitFloat() - 0.5) * 0.05 }
      }
      m.setTraining(false)
      return m
    }
    let fp32 = try InferenceNetwork(folding: model())
    let bf16 = try InferenceNetwork(folding: model())
    try bf16.useBF16()
    let image = try testImages([2, 3, 70, 90], seed: 8)
    let reference = try keepingInferenceCopies(of: fp32.parameters) { try fp32(Variable(image)).value.toArray() }
    let got = try keepingInferenceCopies(of: bf16.parameters) { try bf16(Variable(image)).value.toArray() }
    XCTAssertEqual(bf16.fusedSums, fp32.fusedSums, "the skip sums ran as sum post-ops into bf16 maps")
    XCTAssertGreaterThan(fp32.fusedSums, 0)
    let e = relativeL2(got, reference)
    print("course-fcn8 21 classes 2×70×90: bf16 vs fp32 logits relative L2 \(e)")
    XCTAssertLessThan(e, 0.05)
    let shape = [2, 21, 70, 90]
    let same = zip(argmax(got, shape: shape), argmax(reference, shape: shape)).filter { $0 == $1 }.count
    XCTAssertGreaterThanOrEqual(Double(same) / Double(2 * 70 * 90), 0.95)
  }

  func testInt8NetworkRefusesBF16() throws {
    try skipUnlessBF16Runs()
    let network = try InferenceNetwork(folding: smallModel(classes: 11))
    var calibration = Calibration()
    try calibration.observe(network, image: testImages([1, 3, 64, 48], seed: 9))
    _ = try network.quantize(calibration, options: .recommended)
    XCTAssertThrowsError(try network.useBF16()) { error in
      XCTAssertTrue("\(error)".contains("int8 model") && "\(error)".contains("--precision fp32"), "\(error)")
    }
  }
}
