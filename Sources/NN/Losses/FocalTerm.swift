import Foundation

/// Focal loss as segmentation_models_pytorch's `FocalLoss("multiclass", gamma=γ,
/// ignore_index=255)`: for each class c a binary focal loss of the raw logit x = z_pc against
/// t = [label = c] (one class against the rest, sigmoid — not a softmax focal loss),
///   ℓ = BCE-with-logits(x, t),  pt = e^{−ℓ},  f = (1 − pt)^γ ℓ,
/// averaged over the batch's counted pixels; the term is the mean over classes, or with class
/// weights Σ_c w_c L_c / Σ_c w_c (smp's `class_weights`).
/// df/dx = (σ(x) − t) ((1 − pt)^γ + γ (1 − pt)^{γ−1} pt ℓ).
func focalTerm(_ b: LabelledLogits, gamma: Double, classWeights: [Double]?, gradient: GradientSink?) -> Double {
  let k = b.k
  let counted = b.countedPixels
  let weights = classWeights ?? [Double](repeating: 1, count: k)
  let weightSum = weights.reduce(0, +)
  guard counted > 0, weightSum > 0 else { return 0 }
  var total = 0.0
  for p in 0..<b.pixels {
    guard let t = b.label(p) else { continue }
    for c in 0..<k {
      let x = b.logit(p, c)
      let target: Double = c == t ? 1 : 0
      let ell = max(x, 0) - x * target + log1p(exp(-abs(x)))
      let q = -expm1(-ell)  // 1 − pt, without cancellation when pt is close to 1
      let scale = weights[c] / (weightSum * Double(counted))
      total += scale * pow(q, gamma) * ell
      if let g = gradient {
        let sigmoid = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
        // At q = 0 (ℓ = 0) the second part is 0·∞ for γ < 1; its limit, and autograd's for γ ≥ 1, is 0.
        let slope = pow(q, gamma) + (gamma != 0 && q > 0 ? gamma * pow(q, gamma - 1) * (1 - q) * ell : 0)
        g.buffer[b.index(p, c)] += Float(g.scale * scale * (sigmoid - target) * slope)
      }
    }
  }
  return total
}
