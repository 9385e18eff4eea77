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
  for p in 0..<b.pixels {
    guard let t = b.label(p) else { continue }
    for c in 0..<k { cardinality[c] += b.probability(p, c) }
    intersection[t] += b.probability(p, t)
  }
  let weights = classWeights ?? [Double](repeating: 1, count: k)
  let weightSum = weights.reduce(0, +)
  guard weightSum > 0 else { return 0 }
  var total = 0.0
  for c in 0..<k where counts[c] > 0 {
    total += weights[c] * (1 - 2 * intersection[c] / max(cardinality[c], 1e-7))
  }
  if let g = gradient {
    var probabilities = [Double](repeating: 0, count: k)
    var dp = [Double](repeating: 0, count: k)
    for p in 0..<b.pixels {
      guard let t = b.label(p) else { continue }
      for c in 0..<k {
        probabilities[c] = b.probability(p, c)
        guard counts[c] > 0 else {
          dp[c] = 0
          continue
        }
        let d = cardinality[c]
        dp[c] = -weights[c] / weightSum * 2 * ((c == t ? d : 0) - intersection[c]) / (d * d)
      }
      b.addSoftmaxBackward(pixel: p, probabilities: probabilities, dp: dp, into: g)
    }
  }
  return total / weightSum
}
