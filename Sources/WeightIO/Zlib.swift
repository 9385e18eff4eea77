import CZlib
import Foundation

/// zlib's two services WeightIO needs: raw deflate decompression for zip entries and CRC-32.
enum Zlib {
  /// CRC-32 (zip's polynomial), zlib's table-driven implementation.
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { p in
      UInt32(truncatingIfNeeded: crc32_z(0, p.baseAddress, p.count))
    }
  }

  /// Inflates raw deflate data (zip method 8, no zlib header) to at most `limit` bytes.
  /// Throws `.tooLarge` as soon as the output would pass `limit`, and `.corrupt` with zlib's
  /// message when the stream is damaged or ends early.
  static func inflateRaw(_ input: Data, limit: UInt64) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw InflateError.corrupt("zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(Int(min(limit, 1 << 30)))
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    let input = [UInt8](input)
    return try input.withUnsafeBufferPointer { source -> [UInt8] in
      stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
      var remaining = source.count
      while true {
        // avail_in is 32-bit: feed the input in pieces below 4 GiB.
        let feed = min(remaining, Int(UInt32.max))
        if stream.avail_in == 0 && remaining > 0 {
          stream.avail_in = uInt(feed)
          remaining -= feed
        }
        let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          return inflate(&stream, Z_NO_FLUSH)
        }
        let produced = chunk.count - Int(stream.avail_out)
        guard UInt64(output.count) + UInt64(produced) <= limit else { throw InflateError.tooLarge }
        output.append(contentsOf: chunk[0..<produced])
        switch status {
        case Z_STREAM_END: return output
        case Z_OK: continue
        case Z_BUF_ERROR where stream.avail_in == 0 && remaining == 0:
          throw InflateError.corrupt("the deflate stream ends early")
        case Z_BUF_ERROR: continue
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
          throw InflateError.corrupt(message)
        }
      }
    }
  }

  enum InflateError: Error {
    case tooLarge
    case corrupt(String)
  }
}
