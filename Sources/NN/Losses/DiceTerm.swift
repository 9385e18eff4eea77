/// Soft Dice as segmentation_models_pytorch's `DiceLoss("multiclass", from_logits=True,
/// ignore_index=255)` (smooth 0, eps 1e-7): with p = softmax(z) and t the one-hot labels over
/// the counted pixels of the whole batch,
///   I_c = Σ_p p_pc t_pc,  D_c = Σ_p p_pc + Σ_p t_pc,  loss_c = 1 − 2 I_c / max(D_c, eps),
/// loss_c = 0 for a class absent from the labels, and the term is the mean of loss_c over all K
/// classes, or with class weights Σ_c w_c loss_c / Σ_c w_c (smp's `class_weights`).
/// d loss_c / d p_pc = −2 (t_pc D_c − I_c) / D_c² for a present class (D_c ≥ 1 there, so the
/// eps clamp never applies), then through the softmax.
func diceTerm(_ b: LabelledLogits, classWeights: [Double]?, gradient: GradientSink?) -> Double {
  let k = b.k
  let counts = b.classCounts()
  var intersection = [Double](repeating: 0, count: k)
  var cardinality = counts.map(Double.init)
  withScratch(k) { probabilities in
    for p in 0..<b.pixels {
      guard let t = b.label(p) else { continue }
      b.softmax(p, into: probabilities)
      for c in 0..<k { cardinality[c] += probabilities[c] }
      intersection[t] += probabilities[t]
    }
  }
  let weights = classWeights ?? [Double](repeating: 1, count: k)
  let weightSum = weights.reduce(0, +)
  guard weightSum > 0 else { return 0 }
  var total = 0.0
  for c in 0..<k where counts[c] > 0 {
    total += weights[c] * (1 - 2 * intersection[c] / max(cardinality[c], 1e-7))
  }
  if let g = gradient {
    // dp_pc = a_c + [c = t_p]·b_c with a_c = 2 w_c I_c / (W D_c²), b_c = −2 w_c / (W D_c).
    var a = [Double](repeating: 0, count: k)
    var onLabel = [Double](repeating: 0, count: k)
    for c in 0..<k where counts[c] > 0 {
      let d = cardinality[c]
      a[c] = 2 * weights[c] / weightSum * intersection[c] / (d * d)
      onLabel[c] = -2 * weights[c] / weightSum / d
    }
    withScratch(2 * k) { scratch in
      let probabilities = scratch
      let dp = scratch + k
      for p in 0..<b.pixels {
        guard let t = b.label(p) else { continue }
        b.softmax(p, into: probabilities)
        for c in 0..<k { dp[c] = a[c] }
        dp[t] += onLabel[t]
        b.addSoftmaxBackward(pixel: p, probabilities: probabilities, dp: dp, into: g)
      }
    }
  }
  return total / weightSum
}
