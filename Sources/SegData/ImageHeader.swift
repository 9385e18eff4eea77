// An image file's width and height from its header alone, without decoding the pixels: lets
// `export-masks` check COCO's declared sizes against the files it never decodes.

import CImageCodecs
import Foundation

/// Width and height from a PNG's IHDR or a JPEG's frame header; nil when the file is missing
/// or its header cannot be read (the decoder reports those when the image is actually used).
/// Reads the first 64 KiB, and the whole file only for a JPEG whose frame header comes later.
public func imageHeaderSize(_ path: String) -> (width: Int, height: Int)? {
  guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
  defer { try? handle.close() }
  let prefix = [UInt8]((try? handle.read(upToCount: 1 << 16)) ?? Data())
  switch sniffFormat(prefix) {
  case .png:
    // Signature (8), IHDR length (4) and type (4), then big-endian width and height.
    guard prefix.count >= 24, prefix[12..<16].elementsEqual(Array("IHDR".utf8)) else { return nil }
    let field = { (at: Int) in prefix[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (field(16), field(20))
  case .jpeg:
    if let size = jpegHeaderSize(prefix) { return size }
    guard prefix.count == 1 << 16, let rest = try? handle.readToEnd() else { return nil }
    return jpegHeaderSize(prefix + [UInt8](rest))
  case nil:
    return nil
  }
}

private func jpegHeaderSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
  guard let handle = tjInitDecompress() else { return nil }
  defer { tjDestroy(handle) }
  var w: Int32 = 0
  var h: Int32 = 0
  var subsampling: Int32 = 0
  var colourspace: Int32 = 0
  let rc = bytes.withUnsafeBufferPointer {
    tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &w, &h, &subsampling, &colourspace)
  }
  return rc == 0 ? (Int(w), Int(h)) : nil
}
