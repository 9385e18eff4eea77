/// A refused inference configuration or input; the message names the option or file.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
  /// An option's value is wrong: the option, then what is wrong.
  case option(String, String)
  /// A file cannot be used or written: the file, then what is wrong.
  case file(String, String)
  /// The image needs more memory than there is (the message carries the estimate and advice).
  case memory(String)

  public var description: String {
    switch self {
    case .option(let name, let problem): return "\(name): \(problem)"
    case .file(let path, let problem): return "\(path): \(problem)"
    case .memory(let message): return message
    }
  }
}
