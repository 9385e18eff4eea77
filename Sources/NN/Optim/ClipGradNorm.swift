import Tensor

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
/// clip_grad_norm_, coefficient maxNorm / (norm + 1e-6)); returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
  var sum: Double = 0
  for p in parameters {
    withValueAndGradient(p) { _, g, n in
      // Summed in the plain (PyTorch) order whatever the gradient's layout, so that a blocked
      // weight's norm has the same bits as before (BlockedWeights).
      let plain = p.isBlocked ? try? p.grad?.plain() : nil
      let values = plain?.floats ?? g
      var s: Float = 0
      for i in 0..<n { s += values[i] * values[i] }
      sum += Double(s)
      withExtendedLifetime(plain) {}
    }
  }
  let norm = Float(sum.squareRoot())
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 {
    for p in parameters { withValueAndGradient(p) { _, g, n in for i in 0..<n { g[i] *= coef } } }
  }
  return norm
}
