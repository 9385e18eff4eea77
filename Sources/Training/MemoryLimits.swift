import Foundation

/// How much memory this process may use: the cgroup limit when one is set (containers, CI),
/// else the kernel's MemAvailable estimate; `FCN_MEMORY_LIMIT` (bytes, or with a K, M or G
/// suffix) lowers it, e.g. to leave room for other jobs. The planners compare with this.
public struct MemoryLimits: Sendable {
  public var availableBytes: Int64
  public var source: String

  public init(availableBytes: Int64, source: String) {
    self.availableBytes = availableBytes
    self.source = source
  }

  public static func current() -> MemoryLimits {
    let machine = machineLimits()
    guard let text = ProcessInfo.processInfo.environment["FCN_MEMORY_LIMIT"] else { return machine }
    guard let bytes = byteCount(text) else {
      FileHandle.standardError.write(
        Data("warning: FCN_MEMORY_LIMIT=\(text) is not a byte count (e.g. 8G); ignoring it\n".utf8))
      return machine
    }
    return bytes < machine.availableBytes ? MemoryLimits(availableBytes: bytes, source: "FCN_MEMORY_LIMIT") : machine
  }

  /// "123", "64K", "512M", "8G" (powers of 1024).
  static func byteCount(_ text: String) -> Int64? {
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    let shifts: [Character: Int64] = ["K": 10, "M": 20, "G": 30]
    if let last = t.last, let shift = shifts[last] {
      guard let n = Int64(t.dropLast()), n >= 0, n <= Int64.max >> shift else { return nil }
      return n << shift
    }
    return Int64(t).flatMap { $0 >= 0 ? $0 : nil }
  }

  static func machineLimits() -> MemoryLimits {
    let meminfo = memAvailable()
    // cgroup v2, then v1; "max" or absurdly large values mean "no limit".
    for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
      guard let text = try? String(contentsOfFile: path, encoding: .utf8),
        let limit = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit < (1 << 50)
      else { continue }
      let usage = cgroupUsage(path)
      let headroom = max(0, limit - usage)
      if meminfo == nil || headroom < meminfo! {
        return MemoryLimits(availableBytes: headroom, source: "cgroup limit \(path)")
      }
    }
    return MemoryLimits(availableBytes: meminfo ?? Int64.max, source: "MemAvailable in /proc/meminfo")
  }

  static func memAvailable() -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let kb = line.split(separator: " ").compactMap { Int64($0) }.first
      return kb.map { $0 * 1024 }
    }
    return nil
  }

  static func cgroupUsage(_ limitPath: String) -> Int64 {
    let usagePath =
      limitPath.hasSuffix("memory.max")
      ? "/sys/fs/cgroup/memory.current" : "/sys/fs/cgroup/memory/memory.usage_in_bytes"
    let text = (try? String(contentsOfFile: usagePath, encoding: .utf8)) ?? "0"
    return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
  }
}

/// Peak resident set size of this process so far (getrusage; Linux reports KiB).
public func peakRSSBytes() -> Int64 {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Int64(usage.ru_maxrss) * 1024
}
