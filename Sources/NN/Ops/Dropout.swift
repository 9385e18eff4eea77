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
  let (n, c) = (xs[0], xs[1])
  let keep = 1 / (1 - p)
  let masks = try (0..<n).map { _ in
    try Tensor(shape: [1, c, 1, 1], values: (0..<c).map { _ in rng.nextUnitFloat() < p ? 0 : keep })
  }
  let tape = recording(x)
  let y = try multiplyPerSample(x.value, masks)
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try x.accumulate(multiplyPerSample(dy.reordered(to: x.value.desc), masks))
  }
  return out
}

/// Sample n of `t` times the per-channel `masks[n]` [1, C, 1, 1]. One channel broadcast per
/// sample, because oneDNN's fast binary kernels broadcast per channel but not per (sample,
/// channel), where it falls back to a slow reference loop.
func multiplyPerSample(_ t: Tensor, _ masks: [Tensor]) throws -> Tensor {
  let out = try Tensor(desc: t.desc)
  var dims = t.shape
  dims[0] = 1
  for (i, mask) in masks.enumerated() {
    let offsets = [i, 0, 0, 0]
    try binary(
      dnnl_binary_mul, t.window(dims: dims, offsets: offsets), mask, into: out.window(dims: dims, offsets: offsets))
  }
  return out
}
