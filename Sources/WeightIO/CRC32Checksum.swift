/// CRC-32 (the zip/IEEE polynomial, reflected 0xEDB88320), computed slicing-by-8.
/// ZIPFoundation's own checksum is a byte-at-a-time loop on Linux (no zlib module there) and
/// took most of the time of loading a 500 MB checkpoint; this is several times faster, so
/// entries can still be verified against the checksum in the zip directory.
enum CRC32Checksum {
  /// tables[k][b]: CRC of byte b followed by k zero bytes.
  static let tables: [[UInt32]] = {
    var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
    for b in 0..<256 {
      var crc = UInt32(b)
      for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
      tables[0][b] = crc
    }
    for b in 0..<256 {
      for k in 1..<8 {
        let previous = tables[k - 1][b]
        tables[k][b] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
      }
    }
    return tables
  }()

  static func checksum(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    let flat = tables.flatMap { $0 }  // one contiguous table: t[k * 256 + b]
    flat.withUnsafeBufferPointer { t in
      bytes.withUnsafeBufferPointer { p in
        var i = 0
        let n = p.count
        while i + 8 <= n {
          let low = crc ^ (UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24)
          crc =
            t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
            ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
            ^ t[3 * 256 + Int(p[i + 4])] ^ t[2 * 256 + Int(p[i + 5])]
            ^ t[1 * 256 + Int(p[i + 6])] ^ t[Int(p[i + 7])]
          i += 8
        }
        while i < n {
          crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p[i])) & 0xFF)]
          i += 1
        }
      }
    }
    return crc ^ 0xFFFF_FFFF
  }
}
