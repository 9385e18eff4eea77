// Bilinear resampling of float planes with half-pixel centres, PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) without antialiasing: output index d
// reads source position max(0, (d + 0.5) · src / dst − 0.5), between the two nearest source
// cells (the second clamped to the border). Users compare TTA against PyTorch code, so this is
// the convention they expect; at src == dst it copies exactly.

/// For each output index along one axis: the two source indices and the second one's weight.
struct BilinearTaps {
  var first: [Int]
  var second: [Int]
  var weight: [Float]

  /// Taps of output indices `indices` (already flipped where a flip is being undone) for a
  /// resize from `source` to `destination` cells.
  init(destination: Int, source: Int, indices: [Int]) {
    let scale = Double(source) / Double(destination)
    first = []
    second = []
    weight = []
    first.reserveCapacity(indices.count)
    second.reserveCapacity(indices.count)
    weight.reserveCapacity(indices.count)
    for d in indices {
      let position = max(0, (Double(d) + 0.5) * scale - 0.5)
      let i0 = min(Int(position), source - 1)
      first.append(i0)
      second.append(min(i0 + 1, source - 1))
      weight.append(Float(position - Double(i0)))
    }
  }

  /// Output indices lo..<lo+count of an axis of `size` cells, mirrored when `flipped`.
  static func indices(_ lo: Int, _ count: Int, size: Int, flipped: Bool) -> [Int] {
    (lo..<(lo + count)).map { flipped ? size - 1 - $0 : $0 }
  }
}

/// Resamples `channels` planes of srcHeight × srcWidth from `source` onto a dstHeight × dstWidth
/// grid, flipped horizontally and/or vertically, and calls `emit(channel, row, column, value)`
/// for the `window` of that grid (rows y0..<y0+height, columns x0..<x0+width).
func resampleBilinear(
  _ source: UnsafeBufferPointer<Float>, channels: Int, srcHeight: Int, srcWidth: Int,
  dstHeight: Int, dstWidth: Int, window: PixelWindow, flipX: Bool = false, flipY: Bool = false,
  emit: (_ channel: Int, _ row: Int, _ column: Int, _ value: Float) -> Void
) {
  let xs = BilinearTaps(
    destination: dstWidth, source: srcWidth,
    indices: BilinearTaps.indices(window.x0, window.width, size: dstWidth, flipped: flipX))
  let ys = BilinearTaps(
    destination: dstHeight, source: srcHeight,
    indices: BilinearTaps.indices(window.y0, window.height, size: dstHeight, flipped: flipY))
  let plane = srcHeight * srcWidth
  for c in 0..<channels {
    let base = c * plane
    for y in 0..<window.height {
      let r0 = base + ys.first[y] * srcWidth
      let r1 = base + ys.second[y] * srcWidth
      let wy = ys.weight[y]
      for x in 0..<window.width {
        let x0 = xs.first[x]
        let x1 = xs.second[x]
        let wx = xs.weight[x]
        let top = source[r0 + x0] + wx * (source[r0 + x1] - source[r0 + x0])
        let bottom = source[r1 + x0] + wx * (source[r1 + x1] - source[r1 + x0])
        emit(c, y, x, top + wy * (bottom - top))
      }
    }
  }
}

/// `channels` planes resized bilinearly (align_corners=False) to height × width.
public func resizeBilinear(
  _ planes: [Float], channels: Int, from source: (height: Int, width: Int), to height: Int, _ width: Int
) -> [Float] {
  var out = [Float](repeating: 0, count: channels * height * width)
  let plane = height * width
  planes.withUnsafeBufferPointer { src in
    resampleBilinear(
      src, channels: channels, srcHeight: source.height, srcWidth: source.width, dstHeight: height, dstWidth: width,
      window: PixelWindow(y0: 0, x0: 0, height: height, width: width)
    ) { c, y, x, v in out[c * plane + y * width + x] = v }
  }
  return out
}

/// A rectangle of pixels: rows y0..<y0+height, columns x0..<x0+width.
public struct PixelWindow: Equatable, Sendable, CustomStringConvertible {
  public var y0: Int
  public var x0: Int
  public var height: Int
  public var width: Int

  public init(y0: Int, x0: Int, height: Int, width: Int) {
    self.y0 = y0
    self.x0 = x0
    self.height = height
    self.width = width
  }

  public var description: String { "\(width)x\(height) at (\(x0), \(y0))" }
}
