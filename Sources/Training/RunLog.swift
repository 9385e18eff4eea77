import Foundation

/// Appends one JSON object per line to `log.jsonl` in the run folder, flushed per line so that a
/// killed run keeps everything it logged.
public final class RunLog {
  private let handle: FileHandle
  public let path: String

  public init(path: String, truncate: Bool) throws {
    self.path = path
    let fm = FileManager.default
    if truncate || !fm.fileExists(atPath: path) { fm.createFile(atPath: path, contents: nil) }
    guard let h = FileHandle(forWritingAtPath: path) else {
      throw TrainingError.io("cannot open \(path) for writing")
    }
    handle = h
    handle.seekToEndOfFile()
  }

  deinit { try? handle.close() }

  public func write(_ record: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
    handle.write(data)
    handle.write(Data([0x0A]))
  }
}

/// Failures of the training loop that are the user's to fix (exit status 1).
public enum TrainingError: Error, CustomStringConvertible {
  case io(String)
  case config(String)
  case memory(String)

  public var description: String {
    switch self {
    case .io(let s), .config(let s), .memory(let s): return s
    }
  }
}
