import NN

/// Where a feature map's cells sit in input-image pixels: cell `j` of the map is centred on
/// image coordinate `stride · j + offset` (Caffe's coord_map idea, composed layer by layer).
///
/// Strides are powers of two and offsets multiples of ½ for every net here, so Doubles hold them
/// exactly; crop offsets come out as exact integers or the graph is rejected.
public struct CoordMap: Equatable, Sendable {
  public var stride: Double
  public var offset: Double

  public init(stride: Double, offset: Double) {
    self.stride = stride
    self.offset = offset
  }

  public static let identity = CoordMap(stride: 1, offset: 0)

  /// After a convolution or pooling window of `kernel` (dilated size), `stride` and `padding`:
  /// output cell j covers input cells j·s − p … j·s − p + k − 1, so its centre is input cell
  /// j·s + (k − 1)/2 − p.
  public func throughWindow(kernel: Int, stride s: Int, padding p: Int) -> CoordMap {
    CoordMap(stride: stride * Double(s), offset: offset + stride * (Double(kernel - 1) / 2 - Double(p)))
  }

  /// After a transposed convolution: input cell i spreads over output cells i·s − p … i·s − p + k − 1,
  /// centred on output cell i·s + (k − 1)/2 − p; inverted, output cell j sits at input cell
  /// (j − (k − 1)/2 + p) / s.
  public func throughTransposed(kernel: Int, stride s: Int, padding p: Int) -> CoordMap {
    CoordMap(stride: stride / Double(s), offset: offset - stride * (Double(kernel - 1) / 2 - Double(p)) / Double(s))
  }

  /// The crop that aligns `self` (the bigger map) with `reference`: cell `c + j` of this map and
  /// cell j of the reference must sit on the same image pixel, so c = (o_ref − o_self) / stride.
  /// Nil when the strides differ or the offset is not a whole number of cells.
  public func cropOffset(toAlignWith reference: CoordMap) -> Int? {
    guard stride == reference.stride else { return nil }
    let c = (reference.offset - offset) / stride
    guard c == c.rounded() else { return nil }
    return Int(c)
  }
}

/// Per-layer facts of the geometry report: what one output cell sees and how far apart cells are.
public struct Receptive: Equatable, Sendable {
  /// Distance in input pixels between neighbouring cells (the "jump"); < 1 after upsampling.
  public var jump: Double
  /// Side of the input window that can influence one cell, in input pixels.
  public var field: Double

  public init(jump: Double, field: Double) {
    self.jump = jump
    self.field = field
  }

  public static let pixel = Receptive(jump: 1, field: 1)

  public func throughWindow(kernel: Int, stride: Int) -> Receptive {
    Receptive(jump: jump * Double(stride), field: field + Double(kernel - 1) * jump)
  }

  /// An upsampled cell gathers ⌈k/s⌉ input cells per axis.
  public func throughTransposed(kernel: Int, stride: Int) -> Receptive {
    let taps = (kernel + stride - 1) / stride
    return Receptive(jump: jump / Double(stride), field: field + Double(taps - 1) * jump)
  }
}

/// Spatial output sizes, the same formulas the ops use (so the report never disagrees with a run).
enum SpatialSize {
  static func conv(_ n: Int, kernel: Int, stride: Int, padding: Int, dilation: Int = 1) -> Int {
    ConvGeometry.convOutput(n, kernel: kernel, stride: stride, padding: padding, dilation: dilation)
  }
  static func pool(_ n: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
    poolOutput(n, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
  }
  static func deconv(_ n: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    ConvGeometry.deconvOutput(n, kernel: kernel, stride: stride, padding: padding, dilation: 1, outputPadding: 0)
  }
  /// Rounds up to a multiple of `m` (the compact and seed heads pad the input to /32).
  static func padded(_ n: Int, multiple m: Int) -> Int { (n + m - 1) / m * m }
}
