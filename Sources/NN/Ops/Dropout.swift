import CDNNL
import Tensor

/// Channel-wise dropout (PyTorch's Dropout2d): each (sample, channel) plane is zeroed with
/// probability p, survivors scaled by 1/(1-p) so the expectation is unchanged. Identity in eval.
public func dropout2d(_ x: Variable, p: Float, training: Bool, rng: inout Xoshiro256) throws -> Variable {
  guard p >= 0, p < 1 else { throw TensorError.unsupported("dropout2d: p must be in [0, 1), got \(p)") }
  guard training, p > 0 else { return x }
  let xs = x.shape
  guard xs.count == 4 else {
    throw TensorError.shapeMismatch(op: "dropout2d", detail: "input \(describe(xs)) must be 4-D")
  }
  let mask = try Tensor(shape: [xs[0], xs[1], 1, 1])
  let keep = 1 / (1 - p)
  for i in 0..<xs[0] * xs[1] { mask.floats[i] = rng.nextUnitFloat() < p ? 0 : keep }
  let tape = recording(x)
  let y = try binary(dnnl_binary_mul, x.value, mask)
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try x.accumulate(binary(dnnl_binary_mul, dy.reordered(to: x.value.desc), mask))
  }
  return out
}
