import FCN
import CompiledInference
import NN
import Tensor
import XCTest

/// bf16 inference (`InferenceNetwork.useBF16`): runs only where the CPU computes in bf16, and
/// skips elsewhere with the reason; the refusal itself is checked everywhere else.
final class BF16InferenceTests: XCTestCase {
  func testRefusedWithoutBF16() throws {
    guard !Engine.isa.hasBF16 else {
      throw XCTSkip("this CPU has bf16 (ISA: \(Engine.isa)); the refusal cannot be tested")
    }
    let network = try InferenceNetwork(folding: smallModel(classes: 11))
    XCTAssertThrowsError(try network.useBF16()) { error in
      XCTAssertTrue("\(error)".contains("no bf16 support"), "\(error)")
    }
  }

  /// bf16 keeps 8 mantissa bits: each layer's output is rounded to a relative 2^-9 ≈ 0.2 %, and
  /// products are summed in fp32; over 20 layers the logits stay within a few percent of fp32
  /// (bound 5 % in relative L2), with the same class at ≥ 95 % of the pixels.
  func testLogitsCloseToFP32() throws {
    guard Engine.isa.hasBF16 else { throw XCTSkip("this CPU has no bf16 support (ISA: \(Engine.isa))") }
    for classes in [11, 21] {
      let fp32 = try InferenceNetwork(folding: smallModel(classes: classes))
      let bf16 = try InferenceNetwork(folding: smallModel(classes: classes))
      try bf16.useBF16()
      let image = try testImages([1, 3, 45, 70], seed: 4)
      let reference = try fp32(Variable(image)).value.toArray()
      let got = try bf16(Variable(image)).value.toArray()
      XCTAssertLessThan(relativeL2(got, reference), 0.05)
      let shape = [1, classes, 45, 70]
      let same = zip(argmax(got, shape: shape), argmax(reference, shape: shape)).filter { $0 == $1 }.count
      XCTAssertGreaterThanOrEqual(Double(same) / Double(45 * 70), 0.95)
    }
  }
}
