import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// TFRecord framing of one record: length (uint64 LE), masked CRC-32C of the length bytes,
/// the data, masked CRC-32C of the data.
public func tfRecord(_ data: [UInt8]) -> [UInt8] {
  var length = [UInt8]()
  for i in 0..<8 { length.append(UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64(i)))) }
  func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
  return length + le32(CRC32C.masked(length)) + data + le32(CRC32C.masked(data))
}

/// An event file `events.out.tfevents.<seconds>.<host>` in a log directory, written record by
/// record and flushed each time, so `tensorboard --logdir` sees a run while it trains and a
/// killed run keeps everything it wrote. Each writer starts a new file (a resumed run gets a
/// second one; TensorBoard reads every file of the directory in name order).
public final class EventFileWriter {
  public let path: String
  private let handle: FileHandle

  /// Creates the directory and the file, and writes the `brain.Event:2` version record.
  public init(
    directory: URL, wallTime: Double = Date().timeIntervalSince1970, host: String? = nil, writer: String = "swift-fcn"
  ) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let hostName = (host ?? Self.hostName()).replacingOccurrences(of: "/", with: "_")
    var name = String(format: "events.out.tfevents.%010d.%@", Int(wallTime), hostName)
    // Two writers in one second (a quick resume) must not share a file.
    var suffix = 1
    while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
      name = String(format: "events.out.tfevents.%010d.%@.%d", Int(wallTime), hostName, suffix)
      suffix += 1
    }
    path = directory.appendingPathComponent(name).path
    guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path)
    else { throw EventFileError(path: path, problem: "cannot create the event file") }
    handle = h
    try write(Event(wallTime: wallTime, step: 0, .fileVersion("brain.Event:2"), sourceWriter: writer))
  }

  deinit { try? handle.close() }

  /// gethostname(2): unlike ProcessInfo.hostName it never waits on a name server.
  static func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(cString: buffer)
  }

  public func write(_ event: Event) throws {
    do { try handle.write(contentsOf: tfRecord(event.encoded)) } catch {
      throw EventFileError(path: path, problem: "cannot write: \(error.localizedDescription)")
    }
  }
}

public struct EventFileError: Error, CustomStringConvertible {
  public var path: String
  public var problem: String
  public var description: String { "\(path): \(problem)" }
}
