/// A cursor over bytes whose every read is bounds-checked and throws on running off the end,
/// so a truncated or hostile file becomes an error, never a crash.
struct ByteReader {
  let bytes: [UInt8]
  private(set) var position = 0
  /// Names the data in errors.
  let source: String

  init(_ bytes: [UInt8], source: String, position: Int = 0) {
    self.bytes = bytes
    self.source = source
    self.position = min(max(position, 0), bytes.count)
  }

  var isAtEnd: Bool { position >= bytes.count }
  var remaining: Int { bytes.count - position }

  private func truncated(_ needed: Int, _ what: String) -> WeightIOError {
    WeightIOError(file: source, "truncated at byte \(position): \(what) needs \(needed) bytes, \(remaining) left")
  }

  mutating func readByte(_ what: String = "a byte") throws -> UInt8 {
    guard position < bytes.count else { throw truncated(1, what) }
    defer { position += 1 }
    return bytes[position]
  }

  /// `count` bytes; `count` may come from the file, so it is checked before any allocation.
  mutating func readBytes(_ count: UInt64, _ what: String) throws -> ArraySlice<UInt8> {
    guard count <= UInt64(remaining) else { throw truncated(Int(clamping: count), what) }
    let n = Int(count)
    defer { position += n }
    return bytes[position..<(position + n)]
  }

  /// An unsigned little-endian integer of `size` bytes (1...8).
  mutating func readUnsignedLE(_ size: Int, _ what: String) throws -> UInt64 {
    let slice = try readBytes(UInt64(size), what)
    var value: UInt64 = 0
    for (i, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
    return value
  }

  /// Bytes up to (not including) the next newline, which is consumed.
  mutating func readLine(_ what: String) throws -> ArraySlice<UInt8> {
    guard let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
      throw WeightIOError(file: source, "truncated at byte \(position): \(what) has no terminating newline")
    }
    defer { position = newline + 1 }
    return bytes[position..<newline]
  }
}
