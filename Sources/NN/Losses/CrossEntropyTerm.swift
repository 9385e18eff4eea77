/// Softmax cross-entropy as PyTorch's `F.cross_entropy(weight=w, ignore_index=255)`:
/// Σ_p w_{t_p} (log Σ_c e^{z_pc} − z_{p,t_p}) / Σ_p w_{t_p} over counted pixels p.
/// d/dz_pc = w_{t_p} (softmax_c − [c = t_p]) / Σ w. (`softmaxCrossEntropy` is the same loss on
/// its own; this one shares the combined loss's checked inputs and double-precision sums.)
func crossEntropyTerm(_ b: LabelledLogits, classWeights: [Double]?, gradient: GradientSink?) -> Double {
  var total = 0.0
  var weightSum = 0.0
  for p in 0..<b.pixels {
    guard let t = b.label(p) else { continue }
    let w = classWeights?[t] ?? 1
    total += w * (b.logSumExp[p] - Double(b.z[b.base(p) + t * b.hw]))
    weightSum += w
  }
  // A batch of only ignored pixels (or zero weights) contributes nothing (PyTorch: NaN).
  guard weightSum > 0 else { return 0 }
  if let g = gradient {
    withScratch(b.k) { probabilities in
      for p in 0..<b.pixels {
        guard let t = b.label(p) else { continue }
        let s = g.scale * (classWeights?[t] ?? 1) / weightSum
        b.softmax(p, into: probabilities)
        probabilities[t] -= 1
        let base = b.base(p)
        for c in 0..<b.k { g.buffer[base + c * b.hw] += Float(s * probabilities[c]) }
      }
    }
  }
  return total / weightSum
}
