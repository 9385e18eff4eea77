import Foundation

/// Focal loss as segmentation_models_pytorch's `FocalLoss("multiclass", gamma=γ,
/// ignore_index=255)`: for each class c a binary focal loss of the raw logit x = z_pc against
/// t = [label = c] (one class against the rest, sigmoid — not a softmax focal loss),
///   ℓ = BCE-with-logits(x, t),  pt = e^{−ℓ},  f = (1 − pt)^γ ℓ,
/// averaged over the batch's counted pixels; the term is the mean over classes, or with class
/// weights Σ_c w_c L_c / Σ_c w_c (smp's `class_weights`).
/// df/dx = (σ(x) − t) ((1 − pt)^γ + γ (1 − pt)^{γ−1} pt ℓ), where σ(x) − t is −(1 − pt) for
/// t = 1 and 1 − pt for t = 0 (pt is the probability of the right answer).
func focalTerm(_ b: LabelledLogits, gamma: Double, classWeights: [Double]?, gradient: GradientSink?) -> Double {
  let k = b.k
  let counted = b.countedPixels
  let weights = classWeights ?? [Double](repeating: 1, count: k)
  let weightSum = weights.reduce(0, +)
  guard counted > 0, weightSum > 0 else { return 0 }
  let scales = weights.map { $0 / (weightSum * Double(counted)) }
  var total = 0.0
  for p in 0..<b.pixels {
    guard let t = b.label(p) else { continue }
    let base = b.base(p)
    for c in 0..<k {
      let x = Double(b.z[base + c * b.hw])
      let positive = c == t
      let ell = max(x, 0) - (positive ? x : 0) + log1p(exp(-abs(x)))
      let q = -expm1(-ell)  // 1 − pt, without cancellation when pt is close to 1
      let qGamma = gamma == 2 ? q * q : pow(q, gamma)
      total += scales[c] * qGamma * ell
      if let g = gradient {
        // At q = 0 (ℓ = 0) the second part is 0·∞ for γ < 1; its limit, and autograd's for γ ≥ 1, is 0.
        let slope = qGamma + (gamma != 0 && q > 0 ? gamma * qGamma / q * (1 - q) * ell : 0)
        let dEll = positive ? -q : q
        g.buffer[base + c * b.hw] += Float(g.scale * scales[c] * dEll * slope)
      }
    }
  }
  return total
}
