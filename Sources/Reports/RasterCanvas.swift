import SegData

/// An RGB image to draw on: filled rectangles, pasted images and bitmap-font text. Drawing
/// outside the image is clipped, never a crash.
struct RasterCanvas {
  typealias Colour = (UInt8, UInt8, UInt8)
  var image: RGBImage

  init(width: Int, height: Int, background: Colour = (255, 255, 255)) {
    image = RGBImage(width: max(width, 1), height: max(height, 1), fill: background)
  }

  mutating func set(_ x: Int, _ y: Int, _ c: Colour) {
    guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
    let i = (y * image.width + x) * 3
    image.pixels[i] = c.0
    image.pixels[i + 1] = c.1
    image.pixels[i + 2] = c.2
  }

  mutating func fill(x: Int, y: Int, width: Int, height: Int, _ c: Colour) {
    for yy in max(y, 0)..<max(min(y + height, image.height), max(y, 0)) {
      for xx in max(x, 0)..<max(min(x + width, image.width), max(x, 0)) { set(xx, yy, c) }
    }
  }

  /// A one-pixel rectangle outline.
  mutating func outline(x: Int, y: Int, width: Int, height: Int, _ c: Colour) {
    fill(x: x, y: y, width: width, height: 1, c)
    fill(x: x, y: y + height - 1, width: width, height: 1, c)
    fill(x: x, y: y, width: 1, height: height, c)
    fill(x: x + width - 1, y: y, width: 1, height: height, c)
  }

  mutating func paste(_ source: RGBImage, x: Int, y: Int) {
    for sy in 0..<source.height {
      for sx in 0..<source.width {
        let i = (sy * source.width + sx) * 3
        set(x + sx, y + sy, (source.pixels[i], source.pixels[i + 1], source.pixels[i + 2]))
      }
    }
  }

  /// Draws `text` with its top-left corner at (x, y); each font pixel becomes scale×scale.
  mutating func text(_ text: String, x: Int, y: Int, scale: Int = 2, _ c: Colour = (30, 30, 30)) {
    var left = x
    for character in text {
      for (row, bits) in BitmapFont.rows(of: character).enumerated() {
        for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
          fill(x: left + column * scale, y: y + row * scale, width: scale, height: scale, c)
        }
      }
      left += BitmapFont.advance * scale
    }
  }
}
