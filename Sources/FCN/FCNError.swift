import Tensor

/// Everything the FCN module refuses, with the model, layer or state_dict key involved and, for
/// shape problems, both shapes.
public enum FCNError: Error, CustomStringConvertible, Equatable {
  /// `--model NAME` that is not one of ours.
  case unknownModel(String, valid: [String])
  case unknownBackbone(String, valid: [String])
  case invalidConfig(String)
  /// A state_dict entry whose shape differs from the layer's.
  case shapeMismatch(key: String, expected: [Int], got: [Int])
  /// Strict loading: keys the model has that the file lacks, and keys the file has that the
  /// model lacks.
  case missingKeys([String])
  case unexpectedKeys([String])
  /// A graph that cannot be built (e.g. a skip layer whose computed crop offset is negative).
  case geometry(String)
  case unsupportedInput(String)

  public var description: String {
    switch self {
    case .unknownModel(let name, let valid):
      return "unknown model '\(name)'; valid models: \(valid.joined(separator: ", "))"
    case .unknownBackbone(let name, let valid):
      return "unknown backbone '\(name)'; valid backbones: \(valid.joined(separator: ", "))"
    case .invalidConfig(let s): return "invalid model configuration: \(s)"
    case .shapeMismatch(let key, let expected, let got):
      return
        "state_dict key '\(key)': the model's tensor has shape \(describe(expected)), the file's has shape \(describe(got))"
    case .missingKeys(let keys):
      return
        "state_dict lacks \(keys.count) key(s) the model needs: \(keys.prefix(12).joined(separator: ", "))\(keys.count > 12 ? ", …" : "")"
    case .unexpectedKeys(let keys):
      return
        "state_dict has \(keys.count) key(s) the model does not have: \(keys.prefix(12).joined(separator: ", "))\(keys.count > 12 ? ", …" : "")"
    case .geometry(let s): return "geometry: \(s)"
    case .unsupportedInput(let s): return s
    }
  }
}
