/// Element types of stored tensors. Raw values are the dtype strings of the safetensors format,
/// which the other readers (PyTorch storages, NumPy descriptors) map onto.
public enum ElementType: String, Sendable, CaseIterable {
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"
  case f64 = "F64"
  case i64 = "I64"
  case i32 = "I32"
  case u8 = "U8"
  /// Signed bytes: int8-quantised weights.
  case i8 = "I8"
  case bool = "BOOL"

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .f64, .i64: return 8
    case .f32, .i32: return 4
    case .f16, .bf16: return 2
    case .u8, .i8, .bool: return 1
    }
  }

  /// Whether the elements are floating point (f32, f16, bf16, f64).
  public var isFloatingPoint: Bool {
    switch self {
    case .f32, .f16, .bf16, .f64: return true
    case .i64, .i32, .u8, .i8, .bool: return false
    }
  }
}
