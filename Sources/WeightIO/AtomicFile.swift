import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a file so that readers see either the old content or the complete new content, never
/// a torn file: write a temporary file in the same directory, fsync it, rename it over the
/// target (atomic within one file system), then fsync the directory so the rename survives a
/// crash. Checkpoints are written this way because a run may be killed at any moment.
public enum AtomicFile {
  public static func write(_ bytes: [UInt8], to url: URL) throws {
    try write(chunks: [bytes], to: url)
  }

  /// Writes the concatenation of `chunks` (so large tensors need not be copied into one buffer).
  public static func write(chunks: [[UInt8]], to url: URL) throws {
    let path = url.path
    let directory = url.deletingLastPathComponent().path
    let temporaryPath =
      directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
      throw WeightIOError(file: path, "cannot create temporary file \(temporaryPath): \(errnoText())")
    }
    var closed = false
    defer {
      if !closed { close(fd) }
    }
    do {
      for chunk in chunks {
        try chunk.withUnsafeBytes { raw in
          guard let base = raw.baseAddress else { return }
          var offset = 0
          while offset < raw.count {
            let written = Glibc_write(fd, base + offset, raw.count - offset)
            if written < 0 {
              if errno == EINTR { continue }
              throw WeightIOError(file: path, "write failed: \(errnoText())")
            }
            offset += written
          }
        }
      }
      guard fsync(fd) == 0 else { throw WeightIOError(file: path, "fsync failed: \(errnoText())") }
      closed = true
      guard close(fd) == 0 else { throw WeightIOError(file: path, "close failed: \(errnoText())") }
      guard rename(temporaryPath, path) == 0 else {
        throw WeightIOError(file: path, "rename from \(temporaryPath) failed: \(errnoText())")
      }
    } catch {
      unlink(temporaryPath)
      throw error
    }
    // Make the rename itself durable; failure here does not undo the (already visible) write.
    let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY)
    if directoryFD >= 0 {
      _ = fsync(directoryFD)
      close(directoryFD)
    }
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, named apart from Swift's many `write` methods.
@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
    return write(fd, buffer, count)
  #endif
}

/// Removes the temporary files that killed writers left in `directory`. A process killed
/// between creating `.NAME.tmp-PID-N` and renaming it leaves it behind, as large as the file it
/// was writing (a VGG16 checkpoint with optimiser state: about 1 GB), and nothing else would
/// ever delete it. Only files of processes that no longer exist are removed, so a live
/// writer is never disturbed. Returns the names removed.
@discardableResult
public func removeAbandonedTemporaryFiles(in directory: URL) -> [String] {
  guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
  var removed = [String]()
  for name in names where name.hasPrefix(".") {
    guard let range = name.range(of: ".tmp-", options: .backwards),
      let pid = name[range.upperBound...].split(separator: "-").first.flatMap({ Int32($0) }), pid > 0
    else { continue }
    // kill(pid, 0) checks existence without sending anything; EPERM means it exists.
    if kill(pid, 0) == 0 || errno == EPERM { continue }
    if (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil { removed.append(name) }
  }
  return removed
}
