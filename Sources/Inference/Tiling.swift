import Foundation

/// How overlapping windows are blended: every pixel's probabilities are the weighted mean over
/// the windows that cover it.
public enum TileWeighting: String, CaseIterable, Sendable {
  /// Every window pixel counts the same.
  case uniform
  /// A separable Gaussian centred on the window, σ = 1/8 of its side (nnU-Net's choice):
  /// window borders, where the net sees the least context, count the least (at the very
  /// border exp(−8) ≈ 3·10⁻⁴ of the centre, never 0, so an image corner covered by one window
  /// still gets its value).
  case gaussian
}

/// Sliding-window inference settings: window size, overlap as a fraction of it, blending.
public struct Tiling: Equatable, Sendable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public var overlap: Double
  public var weighting: TileWeighting

  public init(height: Int, width: Int, overlap: Double = 0.25, weighting: TileWeighting = .uniform) throws {
    guard height >= 1, width >= 1 else {
      throw InferenceError.option("--tile", "window must be at least 1x1, got \(width)x\(height)")
    }
    guard overlap.isFinite, overlap >= 0, overlap < 1 else {
      throw InferenceError.option("--overlap", "must be a fraction in [0, 1), got \(overlap)")
    }
    self.height = height
    self.width = width
    self.overlap = overlap
    self.weighting = weighting
  }

  /// Distance between neighbouring windows' origins along an axis of `side`-pixel windows.
  static func stride(side: Int, overlap: Double) -> Int { max(1, side - Int((Double(side) * overlap).rounded())) }

  /// The windows covering a height × width image, row by row. As mmsegmentation's
  /// slide_inference: origins every stride, the last row and column moved back to end at the
  /// border (so every window has the full size and one shape serves all), and one window of
  /// the image's own size along an axis the window does not fit.
  public func windows(height imageHeight: Int, width imageWidth: Int) -> [PixelWindow] {
    func origins(_ image: Int, _ side: Int) -> [Int] {
      guard image > side else { return [0] }
      let step = Self.stride(side: side, overlap: overlap)
      let count = (image - side + step - 1) / step + 1
      return (0..<count).map { min($0 * step, image - side) }
    }
    let h = min(height, imageHeight)
    let w = min(width, imageWidth)
    return origins(imageHeight, h).flatMap { y in
      origins(imageWidth, w).map { x in PixelWindow(y0: y, x0: x, height: h, width: w) }
    }
  }

  /// The blending weight of each pixel of a height × width window, row-major.
  public func weights(height h: Int, width w: Int) -> [Float] {
    switch weighting {
    case .uniform:
      return [Float](repeating: 1, count: h * w)
    case .gaussian:
      func profile(_ n: Int) -> [Double] {
        let sigma = Double(n) / 8
        let centre = Double(n - 1) / 2
        return (0..<n).map { exp(-(Double($0) - centre) * (Double($0) - centre) / (2 * sigma * sigma)) }
      }
      let ys = profile(h)
      let xs = profile(w)
      return ys.flatMap { y in xs.map { Float(y * $0) } }
    }
  }

  public var description: String {
    "\(height)x\(width) (HxW) windows, overlap \(overlap), \(weighting.rawValue) blending"
  }
}
