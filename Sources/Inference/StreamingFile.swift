import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file written piece by piece into a temporary file beside its target and renamed over it
/// only by `commit()`: readers never see half a submission, an earlier file of that name stays
/// intact until the new one is complete, and a run that stops early (bad image, error, kill)
/// leaves the target as it was. Files of hundreds of MB (an 819-image CSV, probabilities)
/// stream through it without being held in memory.
final class StreamingFile {
  let path: String
  let temporaryPath: String
  private var fd: Int32
  private var offset = 0
  private var buffer: [UInt8] = []
  private var finished = false
  /// Data is handed to the kernel in pieces of about this size.
  private static let flushBytes = 1 << 20

  init(path: String) throws {
    self.path = path
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw InferenceError.file(path, "its folder \(directory) does not exist")
    }
    temporaryPath =
      directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
      throw InferenceError.file(path, "cannot create temporary file \(temporaryPath): \(Self.errnoText())")
    }
  }

  deinit { abandon() }

  /// Appends bytes (buffered).
  func append(_ bytes: [UInt8]) throws {
    buffer += bytes
    if buffer.count >= Self.flushBytes { try flush() }
  }

  func append<S: Sequence>(contentsOf bytes: S) throws where S.Element == UInt8 {
    buffer.append(contentsOf: bytes)
    if buffer.count >= Self.flushBytes { try flush() }
  }

  /// Overwrites bytes already written at `position` (e.g. a header whose count is known only at the end).
  func overwrite(_ bytes: [UInt8], at position: Int) throws {
    try flush()
    try write(bytes, at: position)
  }

  private func flush() throws {
    guard !buffer.isEmpty else { return }
    try write(buffer, at: offset)
    offset += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  /// All of `bytes` at `position`: pwrite may write less than asked, or be interrupted.
  private func write(_ bytes: [UInt8], at position: Int) throws {
    try bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(position + done))
        if n < 0 {
          if errno == EINTR { continue }
          throw InferenceError.file(path, "write failed: \(Self.errnoText())")
        }
        done += n
      }
    }
  }

  /// Makes the file durable and renames it over the target.
  func commit() throws {
    try flush()
    guard fsync(fd) == 0 else { throw InferenceError.file(path, "fsync failed: \(Self.errnoText())") }
    let closing = fd
    fd = -1
    guard close(closing) == 0 else { throw InferenceError.file(path, "close failed: \(Self.errnoText())") }
    guard rename(temporaryPath, path) == 0 else {
      throw InferenceError.file(path, "rename from \(temporaryPath) failed: \(Self.errnoText())")
    }
    finished = true
    let directory = (path as NSString).deletingLastPathComponent
    let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY)
    if directoryFD >= 0 {
      _ = fsync(directoryFD)
      close(directoryFD)
    }
  }

  /// Drops the temporary file; the target is untouched.
  func abandon() {
    guard !finished else { return }
    finished = true
    if fd >= 0 { close(fd) }
    fd = -1
    unlink(temporaryPath)
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
