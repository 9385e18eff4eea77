import SeededRandom
import XCTest

@testable import WeightIO

final class HalfPrecisionTests: XCTestCase {
  // Bit patterns from the IEEE 754 binary16 definition.
  func testKnownF16Values() {
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x3C00), 1.0)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0xC000), -2.0)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x3555), 0.333251953125)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x7BFF), 65504)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x0400), 0x1p-14)  // smallest normal
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x0001), 0x1p-24)  // smallest subnormal
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x03FF), 0x1.ff8p-15)  // largest subnormal
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x7C00), .infinity)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0xFC00), -.infinity)
    XCTAssertTrue(HalfPrecision.float(fromF16Bits: 0x7E00).isNaN)
    XCTAssertEqual(HalfPrecision.float(fromF16Bits: 0x8000).sign, .minus)

    XCTAssertEqual(HalfPrecision.f16Bits(from: 1.0), 0x3C00)
    XCTAssertEqual(HalfPrecision.f16Bits(from: 65504), 0x7BFF)
    XCTAssertEqual(HalfPrecision.f16Bits(from: 65520), 0x7C00)  // halfway to 2^16 rounds to even = Inf
    XCTAssertEqual(HalfPrecision.f16Bits(from: 1e6), 0x7C00)
    XCTAssertEqual(HalfPrecision.f16Bits(from: 0x1p-25), 0x0000)  // exactly half the smallest subnormal: even
    XCTAssertEqual(HalfPrecision.f16Bits(from: 0x1.8p-25), 0x0001)
    XCTAssertEqual(HalfPrecision.f16Bits(from: 1 + 0x1p-11), 0x3C00)  // tie, rounds to even
    XCTAssertEqual(HalfPrecision.f16Bits(from: 1 + 0x3p-11), 0x3C02)  // tie, rounds to even (up)
  }

  /// Every finite f16 value converts to Float and back to the same bits.
  func testEveryF16RoundTrips() {
    for bits in 0...UInt16.max {
      let f = HalfPrecision.float(fromF16Bits: bits)
      if f.isNaN {
        XCTAssertTrue(HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: f)).isNaN)
      } else {
        XCTAssertEqual(HalfPrecision.f16Bits(from: f), bits, "f16 bits \(String(bits, radix: 16))")
      }
    }
  }

  #if !(os(macOS) && arch(x86_64))
    /// Compare rounding against the standard library's Float16 where the platform has it.
    func testF16RoundingMatchesStandardLibrary() {
      var generator = SplitMix64(seed: 17)  // seeded: a failure repeats
      for _ in 0..<200_000 {
        let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
        if f.isNaN { continue }
        XCTAssertEqual(HalfPrecision.f16Bits(from: f), Float16(f).bitPattern, "\(f)")
      }
    }
  #endif

  func testBF16() {
    XCTAssertEqual(HalfPrecision.float(fromBF16Bits: 0x3F80), 1.0)
    XCTAssertEqual(HalfPrecision.float(fromBF16Bits: 0xC040), -3.0)
    XCTAssertEqual(HalfPrecision.bf16Bits(from: 1.0), 0x3F80)
    XCTAssertEqual(HalfPrecision.bf16Bits(from: Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie to even (down)
    XCTAssertEqual(HalfPrecision.bf16Bits(from: Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie to even (up)
    XCTAssertEqual(HalfPrecision.bf16Bits(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)
    XCTAssertTrue(HalfPrecision.float(fromBF16Bits: HalfPrecision.bf16Bits(from: .nan)).isNaN)
  }
}
