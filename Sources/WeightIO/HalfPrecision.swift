/// Bit-level conversions between Float and the two 16-bit float formats stored in weight files.
/// Written by hand rather than with Swift's `Float16` because `Float16` is not available on every
/// platform Swift targets (e.g. macOS on x86_64), and bf16 has no standard-library type at all.
public enum HalfPrecision {
  /// IEEE 754 binary16 bits to Float (exact: every half value is representable).
  public static func float(fromF16Bits h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x03FF)
    if exponent == 0 {
      if mantissa == 0 { return Float(bitPattern: sign) }  // ±0
      // Subnormal half: value = mantissa * 2^-24.
      let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
      return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 0x1F {  // Inf or NaN; keep NaN payload bits.
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
  }

  /// Float to IEEE 754 binary16 bits, rounding to nearest even; overflow gives ±Inf.
  public static func f16Bits(from f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF {  // Inf / NaN (keep NaN quiet and non-zero)
      return sign | 0x7C00 | (mantissa != 0 ? 0x0200 | UInt16(mantissa >> 13) : 0)
    }
    let unbiased = exponent - 127
    if unbiased > 15 { return sign | 0x7C00 }
    if unbiased >= -14 {
      // Normal half. Round the 13 dropped mantissa bits to nearest even; a carry may ripple
      // into the exponent, which is exactly right (and gives Inf at the top).
      var half = UInt32(unbiased + 15) << 10 | (mantissa >> 13)
      let dropped = mantissa & 0x1FFF
      if dropped > 0x1000 || (dropped == 0x1000 && (half & 1) == 1) { half += 1 }
      return sign | UInt16(half)
    }
    if unbiased < -25 { return sign }  // rounds to ±0
    // Subnormal half: shift the full significand (with implicit 1) into place, rounding.
    let significand = mantissa | 0x0080_0000
    let shift = UInt32(-unbiased - 14 + 13)  // 14...24
    var half = significand >> shift
    let dropped = significand & ((1 << shift) - 1)
    let halfway = UInt32(1) << (shift - 1)
    if dropped > halfway || (dropped == halfway && (half & 1) == 1) { half += 1 }
    return sign | UInt16(half)
  }

  /// bfloat16 bits to Float (exact: bf16 is the top half of a Float).
  public static func float(fromBF16Bits b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
  }

  /// Float to bfloat16 bits, rounding to nearest even as PyTorch and oneDNN do.
  public static func bf16Bits(from f: Float) -> UInt16 {
    let bits = f.bitPattern
    if f.isNaN { return UInt16(bits >> 16) | 0x0040 }  // keep it a (quiet) NaN
    let roundingBias = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16((bits &+ roundingBias) >> 16)
  }
}
