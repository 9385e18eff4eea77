/// A zip archive of *stored* (uncompressed) entries, laid out the way PyTorch's
/// PyTorchStreamWriter lays out a `torch.save` file: each entry's data starts at a multiple of
/// 64 bytes (padding goes into an extra field with id "FB" in the local header, as PyTorch's),
/// so that `torch.load(..., mmap=True)` can map storages in place. CRC-32 from zlib.
///
/// The archive is built as a list of chunks (headers and the entries' own byte arrays), so a
/// large tensor is never copied into one big buffer before it reaches the file.
struct ZipWriter {
  static let alignment = 64
  private(set) var chunks: [[UInt8]] = []
  private var offset = 0
  private var central: [UInt8] = []
  private var count = 0
  let source: String

  init(source: String) { self.source = source }

  mutating func add(_ name: String, _ data: [UInt8]) throws {
    let nameBytes = Array(name.utf8)
    let headerStart = offset
    // Local header (30 bytes) + name + "FB" extra field (4 bytes + padding) ends on the alignment.
    let unpadded = headerStart + 30 + nameBytes.count + 4
    let padding = (Self.alignment - unpadded % Self.alignment) % Self.alignment
    guard headerStart + 30 + nameBytes.count + 4 + padding + data.count < Int(UInt32.max), nameBytes.count < 0xFFFF
    else {
      throw WeightIOError(
        file: source, "the archive would pass 4 GiB at \(name): .pth files that large (zip64) are not written")
    }
    let crc = Zlib.crc32(data)
    var local = [UInt8]()
    local.le32(0x0403_4B50)
    local.le16(20)  // version needed: 2.0
    local.le16(0)  // flags
    local.le16(0)  // method: stored
    local.le16(0)  // time
    local.le16(0x21)  // date: 1980-01-01, the zip epoch
    local.le32(crc)
    local.le32(UInt32(data.count))
    local.le32(UInt32(data.count))
    local.le16(UInt16(nameBytes.count))
    local.le16(UInt16(4 + padding))
    local += nameBytes
    local += [UInt8(ascii: "F"), UInt8(ascii: "B")]
    local.le16(UInt16(padding))
    local += [UInt8](repeating: UInt8(ascii: "Z"), count: padding)
    chunks.append(local)
    chunks.append(data)
    offset += local.count + data.count

    central.le32(0x0201_4B50)
    central.le16(20)  // version made by
    central.le16(20)  // version needed
    central.le16(0)
    central.le16(0)
    central.le16(0)
    central.le16(0x21)
    central.le32(crc)
    central.le32(UInt32(data.count))
    central.le32(UInt32(data.count))
    central.le16(UInt16(nameBytes.count))
    central.le16(0)  // extra
    central.le16(0)  // comment
    central.le16(0)  // disk
    central.le16(0)  // internal attributes
    central.le32(0)  // external attributes
    central.le32(UInt32(headerStart))
    central += nameBytes
    count += 1
  }

  /// The central directory and its end record; after this `chunks` is the whole file.
  mutating func finish() throws {
    guard count < 0xFFFF, offset + central.count < Int(UInt32.max) else {
      throw WeightIOError(file: source, "too many entries or bytes for a zip without zip64")
    }
    var end = [UInt8]()
    end.le32(0x0605_4B50)
    end.le16(0)
    end.le16(0)
    end.le16(UInt16(count))
    end.le16(UInt16(count))
    end.le32(UInt32(central.count))
    end.le32(UInt32(offset))
    end.le16(0)
    chunks.append(central)
    chunks.append(end)
  }
}

extension Array where Element == UInt8 {
  mutating func le16(_ v: UInt16) {
    append(UInt8(v & 0xFF))
    append(UInt8(v >> 8))
  }
  mutating func le32(_ v: UInt32) { for i in 0..<4 { append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
}
