import CDNNL
import Tensor

/// 2-D transposed convolution, PyTorch semantics: x [N, C, H, W], weight [C, O, kh, kw] (PyTorch's
/// ConvTranspose2d layout, which oneDNN reads directly as IOHW), optional bias [O].
public func convTranspose2d(
  _ x: Variable, weight: Parameter, bias: Parameter?, stride: Int = 1, padding: Int = 0,
  outputPadding: Int = 0, name: String = "conv_transpose2d"
) throws -> Variable {
  let xs = x.shape
  let ws = weight.shape
  guard xs.count == 4, ws.count == 4 else {
    throw TensorError.shapeMismatch(
      op: name, detail: "input \(describe(xs)) and weight \(describe(ws)) must both be 4-D")
  }
  let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3])
  let (o, kh, kw) = (ws[1], ws[2], ws[3])
  guard ws[0] == c else {
    throw TensorError.shapeMismatch(
      op: name, detail: "input \(describe(xs)) has \(c) channels but weight \(describe(ws)) expects \(ws[0])")
  }
  if let bias, bias.shape != [o] {
    throw TensorError.shapeMismatch(op: name, detail: "bias \(describe(bias.shape)) must be [\(o)]")
  }
  guard outputPadding < stride, outputPadding <= padding else {
    throw TensorError.unsupported("\(name): output padding \(outputPadding) must be < stride and <= padding \(padding)")
  }
  let g = ConvGeometry(stride: stride, padding: padding)
  let oh = ConvGeometry.deconvOutput(
    h, kernel: kh, stride: stride, padding: padding, dilation: 1, outputPadding: outputPadding)
  let ow = ConvGeometry.deconvOutput(
    w, kernel: kw, stride: stride, padding: padding, dilation: 1, outputPadding: outputPadding)
  guard oh >= 1, ow >= 1 else {
    throw TensorError.shapeMismatch(op: name, detail: "input \(describe(xs)) gives an empty output \(oh)x\(ow)")
  }
  return try convolutionCore(
    .deconvolution, x, weight: weight, weightPlain: MemoryDesc([o, c, kh, kw], .f32, dnnl_iohw), bias: bias,
    outputDims: [n, o, oh, ow], params: g.dnnlParams(small: (h, w), big: (oh, ow), kernel: (kh, kw)),
    key: "\(g.key)|op\(outputPadding)", fuseReLU: false, name: name)
}
