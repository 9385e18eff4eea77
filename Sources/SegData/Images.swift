// In-memory images: what codecs produce and transforms consume.

/// An 8-bit RGB image, row-major, interleaved (HWC): pixel (x, y) channel c is at (y * width + x) * 3 + c.
public struct RGBImage: Equatable, Sendable {
  public var width: Int
  public var height: Int
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "RGBImage: pixel count does not match size")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
    self.width = width
    self.height = height
    var p = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<(width * height) {
      p[3 * i] = fill.0
      p[3 * i + 1] = fill.1
      p[3 * i + 2] = fill.2
    }
    self.pixels = p
  }
}

/// A label map: one class id per pixel, row-major. 255 means "ignore" (VOC borders, crop padding).
public struct LabelMap: Equatable, Sendable {
  public var width: Int
  public var height: Int
  public var labels: [UInt8]

  public static let ignore: UInt8 = 255

  public init(width: Int, height: Int, labels: [UInt8]) {
    precondition(labels.count == width * height, "LabelMap: label count does not match size")
    self.width = width
    self.height = height
    self.labels = labels
  }

  public init(width: Int, height: Int, fill: UInt8 = 0) {
    self.init(width: width, height: height, labels: [UInt8](repeating: fill, count: width * height))
  }

  public subscript(x: Int, y: Int) -> UInt8 {
    get { labels[y * width + x] }
    set { labels[y * width + x] = newValue }
  }
}

/// One item of a data set: the image, its label map (same size), and a name for messages and outputs.
public struct Sample: Sendable {
  public var image: RGBImage
  public var mask: LabelMap
  /// A stable name: the file stem or image id, used in errors and as the output file stem.
  public var id: String

  public init(image: RGBImage, mask: LabelMap, id: String) {
    self.image = image
    self.mask = mask
    self.id = id
  }
}
