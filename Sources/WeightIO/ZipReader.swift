import Foundation

/// A read-only zip reader whose every offset and size is checked against the file before use.
///
/// A weight file must never crash the program, and general zip libraries trap on some corrupted
/// archives (ZIPFoundation did on a local-header offset beyond Int64, found by fuzzing). So the
/// structure — end of central directory (incl. zip64), central directory, local headers — is
/// parsed here, and zlib inflates deflated entries (torch.save stores entries uncompressed, but
/// a re-zipped checkpoint may deflate them) and checks every entry's CRC-32.
struct ZipReader {
  struct Entry {
    var path: String
    var method: UInt16
    var flags: UInt16
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var crc32: UInt32
    var localHeaderOffset: UInt64
  }

  let source: String
  /// The whole file, memory-mapped.
  let data: Data
  /// Entries in central-directory order.
  private(set) var entries: [Entry] = []

  init(contentsOf url: URL) throws {
    source = url.path
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw WeightIOError(file: url.path, "cannot read file: \(error.localizedDescription)")
    }
    entries = try readCentralDirectory()
  }

  private func corrupt(_ problem: String, entry: String? = nil) -> WeightIOError {
    WeightIOError(file: source, key: entry, "corrupt zip archive: \(problem)")
  }

  // MARK: little-endian fields, bounds-checked

  private func bytesAvailable(at offset: UInt64, _ count: UInt64) -> Bool {
    offset <= UInt64(data.count) && count <= UInt64(data.count) - offset
  }

  private func uint(_ offset: UInt64, _ size: Int) throws -> UInt64 {
    guard bytesAvailable(at: offset, UInt64(size)) else {
      throw corrupt("field at byte \(offset) lies beyond the end of the file (\(data.count) bytes)")
    }
    var value: UInt64 = 0
    let start = data.startIndex + Int(offset)
    for i in 0..<size { value |= UInt64(data[start + i]) << (8 * UInt64(i)) }
    return value
  }

  private func u16(_ offset: UInt64) throws -> UInt16 { UInt16(try uint(offset, 2)) }
  private func u32(_ offset: UInt64) throws -> UInt32 { UInt32(try uint(offset, 4)) }
  private func u64(_ offset: UInt64) throws -> UInt64 { try uint(offset, 8) }

  private func slice(_ offset: UInt64, _ count: UInt64) throws -> Data {
    guard bytesAvailable(at: offset, count) else {
      throw corrupt("\(count) bytes at byte \(offset) lie beyond the end of the file (\(data.count) bytes)")
    }
    let start = data.startIndex + Int(offset)
    return data[start..<(start + Int(count))]
  }

  // MARK: structure

  private static let endOfCentralDirectory: UInt32 = 0x0605_4B50
  private static let zip64Locator: UInt32 = 0x0706_4B50
  private static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
  private static let centralDirectoryEntry: UInt32 = 0x0201_4B50
  private static let localHeader: UInt32 = 0x0403_4B50

  private func readCentralDirectory() throws -> [Entry] {
    // The end record is 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
    let size = UInt64(data.count)
    guard size >= 22 else { throw corrupt("file is too short (\(size) bytes) to be a zip archive") }
    var endOffset: UInt64?
    var candidate = size - 22
    let lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0
    while true {
      if try u32(candidate) == ZipReader.endOfCentralDirectory {
        endOffset = candidate
        break
      }
      if candidate == lowest { break }
      candidate -= 1
    }
    guard let endOffset else { throw corrupt("no end-of-central-directory record") }

    var entryCount = UInt64(try u16(endOffset + 10))
    var directorySize = UInt64(try u32(endOffset + 12))
    var directoryOffset = UInt64(try u32(endOffset + 16))
    if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      // Zip64: the locator sits just before the end record and points at the zip64 end record.
      guard endOffset >= 20, try u32(endOffset - 20) == ZipReader.zip64Locator else {
        throw corrupt("zip64 sizes without a zip64 end-of-central-directory locator")
      }
      let zip64End = try u64(endOffset - 20 + 8)
      guard try u32(zip64End) == ZipReader.zip64EndOfCentralDirectory else {
        throw corrupt("zip64 end-of-central-directory record missing at byte \(zip64End)")
      }
      entryCount = try u64(zip64End + 32)
      directorySize = try u64(zip64End + 40)
      directoryOffset = try u64(zip64End + 48)
    }
    guard bytesAvailable(at: directoryOffset, directorySize) else {
      throw corrupt(
        "central directory (\(directorySize) bytes at byte \(directoryOffset)) lies beyond the end of the file")
    }

    var entries: [Entry] = []
    var offset = directoryOffset
    let directoryEnd = directoryOffset + directorySize
    // The count comes from the file: never allocate by it, stop at the directory's end.
    while UInt64(entries.count) < entryCount {
      guard offset + 46 <= directoryEnd, try u32(offset) == ZipReader.centralDirectoryEntry else {
        throw corrupt("central directory entry \(entries.count) of \(entryCount) is missing or damaged")
      }
      let flags = try u16(offset + 8)
      let method = try u16(offset + 10)
      let crc = try u32(offset + 16)
      var compressed = UInt64(try u32(offset + 20))
      var uncompressed = UInt64(try u32(offset + 24))
      let nameLength = UInt64(try u16(offset + 28))
      let extraLength = UInt64(try u16(offset + 30))
      let commentLength = UInt64(try u16(offset + 32))
      var localOffset = UInt64(try u32(offset + 42))
      let nameData = try slice(offset + 46, nameLength)
      let path = String(decoding: nameData, as: UTF8.self)

      // Zip64 extended information (header id 1) replaces the fields that are all ones, in order.
      var extra = offset + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = try u16(extra)
        let length = UInt64(try u16(extra + 2))
        var field = extra + 4
        guard field + length <= extraEnd else { throw corrupt("extra field overruns its entry", entry: path) }
        if id == 1 {
          func next() throws -> UInt64 {
            guard field + 8 <= extra + 4 + length else { throw corrupt("zip64 extra field is too short", entry: path) }
            defer { field += 8 }
            return try u64(field)
          }
          if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
          if compressed == 0xFFFF_FFFF { compressed = try next() }
          if localOffset == 0xFFFF_FFFF { localOffset = try next() }
        }
        extra += 4 + length
      }
      entries.append(
        Entry(
          path: path, method: method, flags: flags, compressedSize: compressed, uncompressedSize: uncompressed,
          crc32: crc, localHeaderOffset: localOffset))
      offset = extraEnd + commentLength
      guard offset <= directoryEnd else { throw corrupt("central directory entry overruns the directory", entry: path) }
    }
    return entries
  }

  /// The uncompressed bytes of an entry, verified against its CRC-32.
  func contents(of entry: Entry) throws -> [UInt8] {
    let header = entry.localHeaderOffset
    guard try u32(header) == ZipReader.localHeader else {
      throw corrupt("no local header at byte \(header)", entry: entry.path)
    }
    guard entry.flags & 1 == 0 else {
      throw WeightIOError(file: source, key: entry.path, "encrypted zip entries are not supported")
    }
    let dataStart = header + 30 + UInt64(try u16(header + 26)) + UInt64(try u16(header + 28))
    let compressed = try slice(dataStart, entry.compressedSize)

    var bytes: [UInt8]
    switch entry.method {
    case 0:  // stored
      guard entry.compressedSize == entry.uncompressedSize else {
        throw corrupt(
          "stored entry has compressed size \(entry.compressedSize) ≠ size \(entry.uncompressedSize)", entry: entry.path
        )
      }
      bytes = [UInt8](compressed)
    case 8:  // deflate, inflated by zlib; output capped at the declared size
      // Deflate expands at most 1032:1, so a larger declared size is corrupt: refuse it before
      // reserving memory for it.
      guard entry.uncompressedSize / 1032 <= entry.compressedSize else {
        throw corrupt(
          "declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) deflated bytes, more than deflate can produce",
          entry: entry.path)
      }
      do {
        bytes = try Zlib.inflateRaw(compressed, limit: entry.uncompressedSize)
      } catch Zlib.InflateError.tooLarge {
        throw WeightIOError(
          file: source, key: entry.path, "entry inflates to more than its declared \(entry.uncompressedSize) bytes")
      } catch {
        throw corrupt("cannot inflate: \(error)", entry: entry.path)
      }
    default:
      throw WeightIOError(
        file: source, key: entry.path,
        "zip compression method \(entry.method) is not supported (only stored and deflate)")
    }
    guard UInt64(bytes.count) == entry.uncompressedSize else {
      throw corrupt("entry has \(bytes.count) bytes, the directory says \(entry.uncompressedSize)", entry: entry.path)
    }
    let checksum = Zlib.crc32(bytes)
    guard checksum == entry.crc32 else {
      throw WeightIOError(
        file: source, key: entry.path,
        "checksum mismatch (CRC-32 \(String(checksum, radix: 16)), the zip directory says \(String(entry.crc32, radix: 16))): the file is corrupted"
      )
    }
    return bytes
  }
}
