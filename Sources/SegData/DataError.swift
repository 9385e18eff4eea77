// Errors from reading data sets. Every message names the file (and, for COCO, the
// annotation id) and says what is wrong, so the CLI can print it and exit with status 1.

public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file the problem is in (path as given), or the data set spec when no file applies.
  public var file: String
  /// COCO annotation id, when the problem is one annotation.
  public var annotationID: Int?
  /// What is wrong, in words.
  public var problem: String

  public init(file: String, annotationID: Int? = nil, problem: String) {
    self.file = file
    self.annotationID = annotationID
    self.problem = problem
  }

  public var description: String {
    if let id = annotationID { return "\(file): annotation \(id): \(problem)" }
    return "\(file): \(problem)"
  }
}

/// Where warnings about skipped samples go (stderr unless the caller routes them elsewhere).
public typealias WarningSink = @Sendable (String) -> Void

public let standardErrorWarningSink: WarningSink = { message in
  FileHandleStderr.write("warning: \(message)\n")
}
