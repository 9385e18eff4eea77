import CDNNL

/// Element types the engine stores: fp32 (master weights, default compute), bf16 (mixed
/// precision compute where the CPU has it) and int32 (label maps).
public enum DType: String, Sendable, CustomStringConvertible {
  case f32, bf16, s32
  /// Bytes: oneDNN's max-pooling workspace (argmax indices) and image data; also quantised
  /// activations after a ReLU (int8 inference).
  case u8
  /// Signed bytes: quantised weights and signed activations (int8 inference).
  case s8

  public var dnnl: dnnl_data_type_t {
    switch self {
    case .f32: return dnnl_f32
    case .bf16: return dnnl_bf16
    case .s32: return dnnl_s32
    case .u8: return dnnl_u8
    case .s8: return dnnl_s8
    }
  }

  public var byteSize: Int {
    switch self {
    case .f32, .s32: return 4
    case .bf16: return 2
    case .u8, .s8: return 1
    }
  }
  public var description: String { rawValue }

  /// Throws unless oneDNN computes in this type here: bf16 needs bf16 hardware or AVX-512, on
  /// which oneDNN emulates it (`BF16Support`).
  public func checkSupported() throws {
    if self == .bf16 { try BF16Support.current.check(option: "bf16") }
  }
}
