import CDNNL
import Tensor

/// PyTorch-style convolution hyper-parameters, and their translation to oneDNN's (zero-based
/// dilation, explicit right/bottom padding that can be smaller than the left when the division
/// by the stride drops a remainder).
public struct ConvGeometry: Sendable, Equatable {
  public var stride: (h: Int, w: Int)
  public var padding: (h: Int, w: Int)
  public var dilation: (h: Int, w: Int)

  public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1) {
    self.stride = (stride, stride)
    self.padding = (padding, padding)
    self.dilation = (dilation, dilation)
  }

  public init(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1)) {
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
  }

  public static func == (a: ConvGeometry, b: ConvGeometry) -> Bool {
    a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
  }

  /// Output size of a convolution along one axis (PyTorch's formula).
  public static func convOutput(_ input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
    (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
  }

  /// Output size of a transposed convolution along one axis (PyTorch's formula).
  public static func deconvOutput(
    _ input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, outputPadding: Int
  ) -> Int {
    (input - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
  }

  /// oneDNN's strides, dilations and paddings for a convolution from the `big` spatial size to
  /// the `small` one (for a transposed convolution the roles swap: `small` is its input).
  func dnnlParams(small: (Int, Int), big: (Int, Int), kernel: (Int, Int)) -> ConvParams {
    func right(_ s: Int, _ b: Int, _ k: Int, _ st: Int, _ d: Int, _ pl: Int) -> Int {
      (s - 1) * st + (k - 1) * d + 1 - b - pl
    }
    return ConvParams(
      strides: [dnnl_dim_t(stride.h), dnnl_dim_t(stride.w)],
      dilates: [dnnl_dim_t(dilation.h - 1), dnnl_dim_t(dilation.w - 1)],
      padL: [dnnl_dim_t(padding.h), dnnl_dim_t(padding.w)],
      padR: [
        dnnl_dim_t(right(small.0, big.0, kernel.0, stride.h, dilation.h, padding.h)),
        dnnl_dim_t(right(small.1, big.1, kernel.1, stride.w, dilation.w, padding.w)),
      ]
    )
  }

  var key: String { "s\(stride.h),\(stride.w)p\(padding.h),\(padding.w)d\(dilation.h),\(dilation.w)" }
}

/// oneDNN's form of the geometry: strides, zero-based dilations, left and right paddings.
struct ConvParams {
  var strides: [dnnl_dim_t]
  var dilates: [dnnl_dim_t]
  var padL: [dnnl_dim_t]
  var padR: [dnnl_dim_t]
}
