import SegData

/// A tiny RGB canvas for plots: lines, rectangles and 3×5-pixel digits (enough for axis
/// labels without a font library).
struct Canvas {
  var image: RGBImage

  init(width: Int, height: Int) { image = RGBImage(width: width, height: height, fill: (255, 255, 255)) }

  mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
    guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
    let i = (y * image.width + x) * 3
    image.pixels[i] = c.0
    image.pixels[i + 1] = c.1
    image.pixels[i + 2] = c.2
  }

  mutating func fill(_ x0: Int, _ y0: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
    for y in y0..<(y0 + h) { for x in x0..<(x0 + w) { set(x, y, c) } }
  }

  /// Bresenham, 2 pixels thick so curves stay visible when scaled down.
  mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (UInt8, UInt8, UInt8)) {
    var (x, y) = (x0, y0)
    let dx = abs(x1 - x0)
    let dy = -abs(y1 - y0)
    let sx = x0 < x1 ? 1 : -1
    let sy = y0 < y1 ? 1 : -1
    var err = dx + dy
    while true {
      set(x, y, c)
      set(x, y + 1, c)
      if x == x1 && y == y1 { break }
      let e2 = 2 * err
      if e2 >= dy {
        err += dy
        x += sx
      }
      if e2 <= dx {
        err += dx
        y += sy
      }
    }
  }

  /// Digits, '.', '-', 'e', at 2× scale.
  mutating func text(_ s: String, _ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8) = (60, 60, 60)) {
    var cx = x
    for ch in s {
      if let rows = Canvas.glyphs[ch] {
        for (r, bits) in rows.enumerated() {
          for col in 0..<3 where bits & (4 >> col) != 0 { fill(cx + col * 2, y + r * 2, 2, 2, c) }
        }
      }
      cx += 8
    }
  }

  static let glyphs: [Character: [UInt8]] = [
    "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
    "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
    ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], "e": [0, 7, 7, 4, 7],
  ]
}

/// Shortest readable form of an axis value.
func axisLabel(_ v: Double) -> String {
  if v == 0 { return "0" }
  if abs(v) >= 1000 || abs(v) < 0.01 { return String(format: "%.0e", v) }
  if abs(v) >= 10 { return String(format: "%.0f", v) }
  return String(format: "%.2f", v)
}
