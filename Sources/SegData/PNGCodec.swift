// PNG decode/encode with libspng. Images decode to RGB u8 (any bit depth / colour type);
// label maps decode to the stored values: palette *indices* (VOC) or gray levels, as u8 class ids.

import CImageCodecs

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

private final class SpngContext {
  let ctx: OpaquePointer
  init?(flags: Int32) {
    guard let c = spng_ctx_new(flags) else { return nil }
    ctx = c
  }
  deinit { spng_ctx_free(ctx) }
}

private func spngMessage(_ code: Int32) -> String {
  if let s = spng_strerror(code) { return String(cString: s) }
  return "libspng error \(code)"
}

/// Largest text/metadata chunk kept while decoding (libspng's default is unlimited).
private let maxAncillaryChunkBytes = 1 << 26

/// The raw decode: header plus pixels in the requested spng format.
private struct DecodedPNG {
  var ihdr: spng_ihdr
  var bytes: [UInt8]
}

private func decodePNGRaw(_ data: [UInt8], name: String, format: spng_format) throws -> DecodedPNG {
  if data.isEmpty { throw DataError(file: name, problem: "empty file") }
  guard let box = SpngContext(flags: 0) else { throw DataError(file: name, problem: "cannot create PNG decoder") }
  let ctx = box.ctx
  return try data.withUnsafeBytes { raw -> DecodedPNG in
    var rc = spng_set_png_buffer(ctx, raw.baseAddress, raw.count)
    if rc != 0 { throw DataError(file: name, problem: "not a PNG (\(spngMessage(rc)))") }
    // Limits before the header is read, so a hostile size or chunk never reaches an allocation.
    _ = spng_set_image_limits(ctx, UInt32(ImageLimits.maxSide), UInt32(ImageLimits.maxSide))
    _ = spng_set_chunk_limits(ctx, maxAncillaryChunkBytes, maxAncillaryChunkBytes)
    var ihdr = spng_ihdr()
    rc = spng_get_ihdr(ctx, &ihdr)
    if rc == Int32(SPNG_EUSER_WIDTH.rawValue) || rc == Int32(SPNG_EUSER_HEIGHT.rawValue) {
      throw DataError(
        file: name, problem: "PNG header: a side is longer than \(ImageLimits.maxSide) pixels, the most accepted")
    }
    if rc != 0 { throw DataError(file: name, problem: "not a readable PNG (\(spngMessage(rc)))") }
    if let problem = ImageLimits.problem(width: Int(ihdr.width), height: Int(ihdr.height)) {
      throw DataError(file: name, problem: "PNG header: \(problem)")
    }
    var size = 0
    let fmt = Int32(format.rawValue)
    rc = spng_decoded_image_size(ctx, fmt, &size)
    if rc != 0 { throw DataError(file: name, problem: "unsupported PNG layout (\(spngMessage(rc)))") }
    var out = [UInt8](repeating: 0, count: size)
    rc = out.withUnsafeMutableBytes { spng_decode_image(ctx, $0.baseAddress, size, fmt, 0) }
    if rc != 0 { throw DataError(file: name, problem: "truncated or corrupt PNG (\(spngMessage(rc)))") }
    return DecodedPNG(ihdr: ihdr, bytes: out)
  }
}

/// Decodes any PNG to 8-bit RGB (alpha dropped, 16-bit scaled down, palette expanded).
public func decodePNG(_ data: [UInt8], name: String) throws -> RGBImage {
  let d = try decodePNGRaw(data, name: name, format: SPNG_FMT_RGB8)
  let w = Int(d.ihdr.width)
  let h = Int(d.ihdr.height)
  guard d.bytes.count == w * h * 3 else {
    throw DataError(file: name, problem: "PNG decoder returned \(d.bytes.count) bytes for \(w)x\(h) RGB")
  }
  return RGBImage(width: w, height: h, pixels: d.bytes)
}

/// Unpacks 1/2/4-bit samples (MSB first, rows padded to a byte) to one byte per sample.
private func unpackBits(_ packed: [UInt8], width: Int, height: Int, depth: Int) -> [UInt8] {
  let rowBytes = (width * depth + 7) / 8
  let mask = UInt8((1 << depth) - 1)
  var out = [UInt8](repeating: 0, count: width * height)
  for y in 0..<height {
    for x in 0..<width {
      let bit = x * depth
      let byte = packed[y * rowBytes + bit / 8]
      let shift = 8 - depth - (bit % 8)
      out[y * width + x] = (byte >> UInt8(shift)) & mask
    }
  }
  return out
}

/// Decodes a label PNG to class ids: palette indices for indexed PNGs, gray values for
/// grayscale (16-bit values must be < 256). Colour masks are accepted when they are gray
/// (R = G = B) or use only VOC palette colours.
public func decodePNGLabels(_ data: [UInt8], name: String) throws -> LabelMap {
  let d = try decodePNGRaw(data, name: name, format: SPNG_FMT_PNG)
  let w = Int(d.ihdr.width)
  let h = Int(d.ihdr.height)
  let depth = Int(d.ihdr.bit_depth)
  switch Int(d.ihdr.color_type) {
  case Int(SPNG_COLOR_TYPE_INDEXED.rawValue), Int(SPNG_COLOR_TYPE_GRAYSCALE.rawValue):
    let rowBytes = (w * depth + 7) / 8
    guard d.bytes.count >= rowBytes * h else {
      throw DataError(file: name, problem: "PNG decoder returned \(d.bytes.count) bytes for \(w)x\(h) at \(depth) bits")
    }
    if depth == 8 {
      return LabelMap(width: w, height: h, labels: Array(d.bytes.prefix(w * h)))
    } else if depth < 8 {
      return LabelMap(width: w, height: h, labels: unpackBits(d.bytes, width: w, height: h, depth: depth))
    } else {
      // 16-bit gray, host-endian after SPNG_FMT_PNG.
      var labels = [UInt8](repeating: 0, count: w * h)
      for i in 0..<(w * h) {
        let v = UInt16(d.bytes[2 * i]) | (UInt16(d.bytes[2 * i + 1]) << 8)
        guard v < 256 else {
          throw DataError(
            file: name,
            problem: "16-bit mask value \(v) at pixel (\(i % w), \(i / w)) does not fit a class id (0...255)")
        }
        labels[i] = UInt8(v)
      }
      return LabelMap(width: w, height: h, labels: labels)
    }
  default:
    let rgb = try decodePNG(data, name: name)
    return try labelsFromColourMask(rgb, name: name)
  }
}

/// Gray-looking colour masks (R = G = B) give the gray value; otherwise each colour must be a
/// VOC palette colour and gives its index.
func labelsFromColourMask(_ img: RGBImage, name: String) throws -> LabelMap {
  var labels = [UInt8](repeating: 0, count: img.width * img.height)
  let p = img.pixels
  var isGray = true
  for i in 0..<(img.width * img.height) where p[3 * i] != p[3 * i + 1] || p[3 * i] != p[3 * i + 2] {
    isGray = false
    break
  }
  if isGray {
    for i in 0..<labels.count { labels[i] = p[3 * i] }
    return LabelMap(width: img.width, height: img.height, labels: labels)
  }
  let lookup = VOCPalette.colourToIndex
  for i in 0..<labels.count {
    let key = Int(p[3 * i]) << 16 | Int(p[3 * i + 1]) << 8 | Int(p[3 * i + 2])
    guard let idx = lookup[key] else {
      throw DataError(
        file: name,
        problem:
          "colour mask pixel (\(i % img.width), \(i / img.width)) has colour (\(p[3*i]), \(p[3*i+1]), \(p[3*i+2])) that is not a VOC palette colour; save masks as palette or grayscale PNGs of class ids"
      )
    }
    labels[i] = idx
  }
  return LabelMap(width: img.width, height: img.height, labels: labels)
}

/// PNG encode: colour type 2 (RGB), 0 (gray) or 3 (palette), 8-bit.
private func encodePNGRaw(
  width: Int, height: Int, colourType: spng_color_type, pixels: [UInt8], palette: [(UInt8, UInt8, UInt8)]?
) throws -> [UInt8] {
  guard let box = SpngContext(flags: Int32(SPNG_CTX_ENCODER.rawValue)) else {
    throw DataError(file: "<png encoder>", problem: "cannot create PNG encoder")
  }
  let ctx = box.ctx
  _ = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1)
  var ihdr = spng_ihdr(
    width: UInt32(width), height: UInt32(height), bit_depth: 8,
    color_type: UInt8(colourType.rawValue), compression_method: 0,
    filter_method: 0, interlace_method: 0)
  var rc = spng_set_ihdr(ctx, &ihdr)
  if rc != 0 { throw DataError(file: "<png encoder>", problem: "bad PNG header (\(spngMessage(rc)))") }
  if let palette {
    var plte = spng_plte()
    plte.n_entries = UInt32(palette.count)
    withUnsafeMutableBytes(of: &plte.entries) { raw in
      let entries = raw.bindMemory(to: spng_plte_entry.self)
      for (i, c) in palette.enumerated() {
        entries[i] = spng_plte_entry(red: c.0, green: c.1, blue: c.2, alpha: 255)
      }
    }
    rc = spng_set_plte(ctx, &plte)
    if rc != 0 { throw DataError(file: "<png encoder>", problem: "bad palette (\(spngMessage(rc)))") }
  }
  rc = pixels.withUnsafeBytes {
    spng_encode_image(ctx, $0.baseAddress, $0.count, Int32(SPNG_FMT_PNG.rawValue), Int32(SPNG_ENCODE_FINALIZE.rawValue))
  }
  if rc != 0 { throw DataError(file: "<png encoder>", problem: "PNG encode failed (\(spngMessage(rc)))") }
  var len = 0
  var err: Int32 = 0
  guard let buf = spng_get_png_buffer(ctx, &len, &err), err == 0 else {
    throw DataError(file: "<png encoder>", problem: "PNG encode produced no buffer (\(spngMessage(err)))")
  }
  defer { free(buf) }
  return Array(UnsafeRawBufferPointer(start: buf, count: len))
}

public func encodePNG(_ image: RGBImage) throws -> [UInt8] {
  try encodePNGRaw(
    width: image.width, height: image.height, colourType: SPNG_COLOR_TYPE_TRUECOLOR, pixels: image.pixels, palette: nil)
}

/// Grayscale PNG whose values are the class ids (what Cityscapes-style tools expect).
public func encodeGrayPNG(_ labels: LabelMap) throws -> [UInt8] {
  try encodePNGRaw(
    width: labels.width, height: labels.height, colourType: SPNG_COLOR_TYPE_GRAYSCALE, pixels: labels.labels,
    palette: nil)
}

/// Palette PNG whose indices are the class ids and whose colours are the VOC colour map
/// (what VOC tools and image viewers expect; decodes back to the same ids).
public func encodePalettePNG(_ labels: LabelMap) throws -> [UInt8] {
  try encodePNGRaw(
    width: labels.width, height: labels.height, colourType: SPNG_COLOR_TYPE_INDEXED, pixels: labels.labels,
    palette: VOCPalette.colours)
}
