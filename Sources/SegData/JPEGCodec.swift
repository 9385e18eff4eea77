// JPEG decode/encode with libturbojpeg (TurboJPEG 2.x API: tjInitDecompress / tjDecompress2).

import CImageCodecs

private func tjMessage(_ handle: tjhandle?) -> String {
  if let s = tjGetErrorStr2(handle) { return String(cString: s) }
  return "unknown TurboJPEG error"
}

/// Decodes a baseline or progressive JPEG (gray, YCbCr) to RGB u8. A truncated file is an error
/// (TurboJPEG reports it as a warning and fills the rest gray; we refuse such images).
public func decodeJPEG(_ data: [UInt8], name: String) throws -> RGBImage {
  if data.isEmpty { throw DataError(file: name, problem: "empty file") }
  guard let handle = tjInitDecompress() else { throw DataError(file: name, problem: "cannot create JPEG decoder") }
  defer { tjDestroy(handle) }
  return try data.withUnsafeBytes { raw -> RGBImage in
    let src = raw.bindMemory(to: UInt8.self)
    var w: Int32 = 0
    var h: Int32 = 0
    var subsamp: Int32 = 0
    var colourspace: Int32 = 0
    if tjDecompressHeader3(handle, src.baseAddress, UInt(src.count), &w, &h, &subsamp, &colourspace) != 0 {
      throw DataError(file: name, problem: "not a readable JPEG (\(tjMessage(handle)))")
    }
    if let problem = ImageLimits.problem(width: Int(w), height: Int(h)) {
      throw DataError(file: name, problem: "JPEG header: \(problem)")
    }
    var out = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
    let rc = out.withUnsafeMutableBufferPointer { dst in
      tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, w, 0, h, Int32(TJPF_RGB.rawValue), 0)
    }
    if rc != 0 {
      let message = tjMessage(handle)
      let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
      // Benign warnings (extraneous bytes, odd markers) still give a full image; a premature
      // end of data does not: "Premature end of JPEG file" when the bytes run out, "premature
      // end of data segment" when EOI comes first (e.g. a frame header larger than its data).
      if !isWarning || message.lowercased().contains("premature end") {
        throw DataError(file: name, problem: "truncated or corrupt JPEG (\(message))")
      }
    }
    return RGBImage(width: Int(w), height: Int(h), pixels: out)
  }
}

/// Encodes RGB u8 as a JPEG (4:2:0 chroma subsampling unless quality ≥ 95, then 4:4:4).
public func encodeJPEG(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
  guard let handle = tjInitCompress() else {
    throw DataError(file: "<jpeg encoder>", problem: "cannot create JPEG encoder")
  }
  defer { tjDestroy(handle) }
  var buf: UnsafeMutablePointer<UInt8>? = nil
  var size: UInt = 0
  let subsamp = quality >= 95 ? TJSAMP_444 : TJSAMP_420
  let rc = image.pixels.withUnsafeBufferPointer { src in
    tjCompress2(
      handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
      &buf, &size, Int32(subsamp.rawValue), Int32(max(1, min(100, quality))), 0)
  }
  defer { if let buf { tjFree(buf) } }
  guard rc == 0, let buf else {
    throw DataError(file: "<jpeg encoder>", problem: "JPEG encode failed (\(tjMessage(handle)))")
  }
  return Array(UnsafeBufferPointer(start: buf, count: Int(size)))
}
