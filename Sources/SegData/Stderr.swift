#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to stderr with C stdio (thread-safe, no Foundation needed).
enum FileHandleStderr {
  static func write(_ text: String) {
    fputs(text, stderr)
  }
}
