/// The one error type of WeightIO: every failure names the file it came from, the tensor key
/// (or pickle opcode, zip entry, ...) when there is one, and what was wrong, so a user who
/// brings a broken or unsupported weight file can see at a glance what to fix.
public struct WeightIOError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file (or a caller-chosen source name for in-memory data).
  public var file: String
  /// The tensor key, zip entry, or pickle opcode the problem is about, if any.
  public var key: String?
  /// What went wrong, in words.
  public var problem: String

  public init(file: String, key: String? = nil, _ problem: String) {
    self.file = file
    self.key = key
    self.problem = problem
  }

  public var description: String {
    if let key { return "\(file): '\(key)': \(problem)" }
    return "\(file): \(problem)"
  }
}
