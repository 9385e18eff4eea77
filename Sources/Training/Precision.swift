import Tensor

/// The compute precision `--precision` chooses (train and bench); the raw values are what
/// config.json stores.
public enum Precision: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
  case fp32, bf16

  public var description: String { rawValue }

  /// The engine's element type for this precision's compute.
  public var dtype: DType {
    switch self {
    case .fp32: return .f32
    case .bf16: return .bf16
    }
  }
}
