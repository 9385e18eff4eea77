import CDNNL
import Tensor

/// bf16 mixed precision (`--precision bf16`), the way torch.autocast does it: inside
/// `MixedPrecision.computing(in: .bf16)` every convolution and transposed convolution reads its
/// input and a bf16 copy of its fp32 master weights and writes a bf16 output (oneDNN
/// accumulates in fp32), so activations are stored in bf16 between layers. The other ops
/// (BatchNorm with fp32 statistics, scale and shift; ReLU, pooling, dropout, crop, add) follow
/// their input's type. Weight and bias gradients are fp32, written straight by oneDNN's
/// backward-weights from bf16 sources; gradients of activations are bf16, like the
/// activations. The caller converts the logits to fp32 (`cast`) before the loss.
///
/// The weight's bf16 copy is the layout reorder the fp32 path makes anyway, with the type
/// change folded into it: no extra pass over the weights.
public enum MixedPrecision {
  /// The type convolutions compute in: fp32 (default) or bf16.
  public internal(set) static var computeType: DType = .f32

  /// Runs `body` with convolutions computing in `dtype` (f32 or bf16).
  public static func computing<T>(in dtype: DType, _ body: () throws -> T) throws -> T {
    guard dtype == .f32 || dtype == .bf16 else {
      throw TensorError.unsupported("mixed precision: compute type must be f32 or bf16, got \(dtype)")
    }
    let previous = computeType
    computeType = dtype
    defer { computeType = previous }
    return try body()
  }

  /// A convolution's compute type: bf16 when asked, or when its input already is bf16.
  static func convolutionType(for input: Tensor) -> DType {
    computeType == .bf16 || input.dtype == .bf16 ? .bf16 : .f32
  }
}

/// `x` converted to `dtype` (f32 or bf16) in the same layout; its gradient comes back in x's
/// type. The identity when x already has that type.
public func cast(_ x: Variable, to dtype: DType, name: String = "cast") throws -> Variable {
  guard x.value.dtype != dtype else { return x }
  guard dtype == .f32 || dtype == .bf16, x.value.dtype == .f32 || x.value.dtype == .bf16 else {
    throw TensorError.dtypeMismatch(op: name, detail: "\(x.value.dtype) to \(dtype): only f32 ⇄ bf16")
  }
  let tape = recording(x)
  let y = try x.value.reordered(to: MemoryDesc(x.shape, dtype, x.value.desc.tag ?? plainTag(x.shape.count)))
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try x.accumulate(dy)  // reordered to x's type and layout
  }
  return out
}

/// dst += src for bf16 tensors of one layout: oneDNN's binary add, in place (the gradient of
/// an activation read twice, e.g. a pooling output feeding the next block and a skip score).
func addInPlaceBF16(_ dst: Tensor, _ src: Tensor) throws {
  guard src.dtype == .bf16 else {
    throw TensorError.dtypeMismatch(op: "accumulate", detail: "bf16 += \(src.dtype)")
  }
  try binary(dnnl_binary_add, dst, src, into: dst)
}

/// Dropout's per-(sample, channel) mask on a bf16 tensor: through fp32 and back. The masks are
/// 0 or 1/(1-p) (2 for p = 0.5: exact in bf16), and the layers that drop (fc6, fc7) are small.
func multiplyPerSampleBF16(_ t: Tensor, _ masks: [[Float]]) throws -> Tensor {
  guard let tag = t.desc.tag else {
    throw TensorError.unsupported("dropout2d: bf16 layout \(t.desc) is not one of nchw, nhwc, nChw4c, nChw8c, nChw16c")
  }
  let wide = try t.reordered(to: MemoryDesc(t.shape, .f32, tag))
  return try multiplyPerSample(wide, masks).reordered(to: t.desc)
}
