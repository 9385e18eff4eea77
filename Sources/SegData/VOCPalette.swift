// The Pascal VOC colour map: class i's colour comes from the bits of i spread over R, G, B
// (the bitget construction in VOCdevkit's VOClabelcolormap.m). Index 255 is (224, 224, 192).

public enum VOCPalette {
  /// 256 colours, index = class id.
  public static let colours: [(UInt8, UInt8, UInt8)] = (0..<256).map(colour(of:))

  public static func colour(of index: Int) -> (UInt8, UInt8, UInt8) {
    var r = 0
    var g = 0
    var b = 0
    var c = index
    for j in 0..<8 {
      r |= ((c >> 0) & 1) << (7 - j)
      g |= ((c >> 1) & 1) << (7 - j)
      b |= ((c >> 2) & 1) << (7 - j)
      c >>= 3
    }
    return (UInt8(r), UInt8(g), UInt8(b))
  }

  /// Packed 0xRRGGBB → index (first index wins; all 256 colours are distinct).
  static let colourToIndex: [Int: UInt8] = {
    var d = [Int: UInt8]()
    for (i, c) in colours.enumerated() {
      let key = Int(c.0) << 16 | Int(c.1) << 8 | Int(c.2)
      if d[key] == nil { d[key] = UInt8(i) }
    }
    return d
  }()

  /// Colours a label map for viewing (ignore pixels get the VOC border colour).
  public static func colourize(_ labels: LabelMap) -> RGBImage {
    var px = [UInt8](repeating: 0, count: labels.labels.count * 3)
    for (i, l) in labels.labels.enumerated() {
      let c = colours[Int(l)]
      px[3 * i] = c.0
      px[3 * i + 1] = c.1
      px[3 * i + 2] = c.2
    }
    return RGBImage(width: labels.width, height: labels.height, pixels: px)
  }
}
