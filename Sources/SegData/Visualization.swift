// Pictures people look at: coloured masks blended over images, and writing them to disk.

/// Blends the VOC colour of each label over the image (`alpha` = weight of the colour).
/// Background (0) and ignore (255) pixels keep the image unchanged, so objects stand out.
public func overlay(_ image: RGBImage, labels: LabelMap, alpha: Double = 0.5) -> RGBImage {
  precondition(image.width == labels.width && image.height == labels.height, "overlay: image and labels differ in size")
  var out = image
  let a = max(0, min(1, alpha))
  for (i, l) in labels.labels.enumerated() where l != 0 && l != LabelMap.ignore {
    let c = VOCPalette.colours[Int(l)]
    let colour = [c.0, c.1, c.2]
    for k in 0..<3 {
      let v = (1 - a) * Double(image.pixels[3 * i + k]) + a * Double(colour[k])
      out.pixels[3 * i + k] = UInt8(max(0, min(255, v.rounded())))
    }
  }
  return out
}

/// Writes an image as PNG, or as JPEG when the path ends in .jpg/.jpeg.
public func writeImage(_ image: RGBImage, to path: String, jpegQuality: Int = 90) throws {
  let lower = path.lowercased()
  let bytes =
    lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
    ? try encodeJPEG(image, quality: jpegQuality) : try encodePNG(image)
  try writeFileBytes(bytes, to: path)
}

/// Writes a label map as a palette PNG (indices = class ids, VOC colours).
public func writeLabelMap(_ labels: LabelMap, to path: String) throws {
  try writeFileBytes(try encodePalettePNG(labels), to: path)
}
