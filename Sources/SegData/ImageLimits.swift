// The largest image accepted from any file: PNG and JPEG headers, COCO "width"/"height".
// A size read from a file is checked against these before anything is allocated, because a
// corrupt or hostile header (a COCO "height": 1e12) otherwise asks for terabytes and the
// allocation aborts the process.

public enum ImageLimits {
  /// Longest side, in pixels.
  public static let maxSide = 32768
  /// Pixels in all (2^27, e.g. 16384 × 8192: 384 MiB as RGB). Decoders need several bytes per
  /// pixel on top (16-bit PNG rows, JPEG coefficient buffers), so this bounds them too.
  public static let maxPixels = 1 << 27

  /// What is wrong with a declared size, or nil when it is acceptable.
  public static func problem(width: Int, height: Int) -> String? {
    if width <= 0 || height <= 0 { return "size \(width)x\(height) is not positive" }
    if width > maxSide || height > maxSide {
      return "size \(width)x\(height) has a side longer than \(maxSide) pixels, the most accepted"
    }
    if width * height > maxPixels {
      return "size \(width)x\(height) is \(width * height) pixels, more than the \(maxPixels) accepted"
    }
    return nil
  }
}
