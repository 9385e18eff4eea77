import Tensor

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
/// clip_grad_norm_, coefficient maxNorm / (norm + 1e-6)); returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
  var sum: Double = 0
  for p in parameters {
    withValueAndGradient(p) { _, g, n in
      var s: Float = 0
      for i in 0..<n { s += g[i] * g[i] }
      sum += Double(s)
    }
  }
  let norm = Float(sum.squareRoot())
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 {
    for p in parameters { withValueAndGradient(p) { _, g, n in for i in 0..<n { g[i] *= coef } } }
  }
  return norm
}
