import CDNNL
import Tensor

/// Sums numbers over every process of a data-parallel job (the Distributed module's process
/// group conforms). NN knows nothing of MPI; synchronised BatchNorm only needs this.
public protocol CrossProcessSum: AnyObject {
  func sum(_ values: inout [Double]) throws
}

/// BatchNorm in training with the statistics of the whole batch across processes (PyTorch's
/// SyncBatchNorm): forward sums each channel's Σx, Σx² and the pixel count over the processes and
/// normalises with the global mean and (biased) variance; backward sums Σdy and Σdy·x̂, the two
/// terms of the input gradient that depend on the other processes' samples. Each process's
/// parameter gradients stay its own part (the gradient all-reduce adds them). With one process
/// the result is the ordinary batch norm's up to rounding.
func syncBatchNorm2d(
  _ x: Variable, gamma: Parameter, beta: Parameter, stats: RunningStats, momentum: Float, eps: Float, name: String,
  across group: CrossProcessSum
) throws -> Variable {
  let xs = x.shape
  let c = xs[1]
  let src = x.value
  let plain = try src.plain()
  let planeSize = xs[2] * xs[3]
  // Σx, Σx², count: the global mean and variance.
  var sums = [Double](repeating: 0, count: 2 * c + 1)
  let p = plain.floats
  for b in 0..<xs[0] {
    for ch in 0..<c {
      let base = (b * c + ch) * planeSize
      var s = 0.0
      var s2 = 0.0
      for i in base..<(base + planeSize) {
        let v = Double(p[i])
        s += v
        s2 += v * v
      }
      sums[ch] += s
      sums[c + ch] += s2
    }
  }
  sums[2 * c] = Double(xs[0] * planeSize)
  try group.sum(&sums)
  let count = sums[2 * c]
  var meanValues = [Float](repeating: 0, count: c)
  var varianceValues = [Float](repeating: 0, count: c)
  for ch in 0..<c {
    let m = sums[ch] / max(count, 1)
    meanValues[ch] = Float(m)
    varianceValues[ch] = Float(max(0, sums[c + ch] / max(count, 1) - m * m))
  }
  let mean = try Tensor(shape: [c], values: meanValues)
  let variance = try Tensor(shape: [c], values: varianceValues)
  // Once per step: a recomputed segment's replay in backward (activation checkpointing) runs
  // this again, with the same collective on every process, but leaves the statistics alone.
  if !Recomputation.isReplaying {
    let unbias = Float(count > 1 ? count / (count - 1) : 1)
    for i in 0..<c {
      stats.mean.floats[i] = (1 - momentum) * stats.mean.floats[i] + momentum * meanValues[i]
      stats.variance.floats[i] = (1 - momentum) * stats.variance.floats[i] + momentum * varianceValues[i] * unbias
    }
    stats.batchesTracked += 1
  }

  // Normalise with the given statistics (oneDNN's global-stats mode, in a training primitive so
  // that its backward can be built from it).
  let flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | dnnl_use_global_stats.rawValue
  let tape = recording(x, gamma, beta)
  let prop = tape != nil ? dnnl_forward_training : dnnl_forward_inference
  let fwd = try batchNormForward(prop, flags: flags, eps: eps, desc: src.desc, name: name)
  let y = try Tensor(desc: src.desc)
  try fwd.execute([
    (DNNL_ARG_SRC, src), (DNNL_ARG_DST, y), (DNNL_ARG_SCALE, gamma.value), (DNNL_ARG_SHIFT, beta.value),
    (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
  ])
  if tape != nil {
    y.recompute = { y in
      try batchNormOutput(src, into: y, gamma: gamma, beta: beta, mean: mean, variance: variance, eps: eps, name: name)
    }
  }
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    // With global statistics oneDNN's backward gives γ·dy/σ and this process's Σdy·x̂ and Σdy.
    let bwd = try batchNormBackward(of: fwd, prop, flags: flags, eps: eps, desc: src.desc, name: name)
    let partial = try Tensor(desc: src.desc)
    let dgamma = try Tensor(shape: [c])
    let dbeta = try Tensor(shape: [c])
    try bwd.execute([
      (DNNL_ARG_SRC, src), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
      (DNNL_ARG_DIFF_DST, dy.reordered(to: src.desc)), (DNNL_ARG_SCALE, gamma.value), (DNNL_ARG_DIFF_SRC, partial),
      (DNNL_ARG_DIFF_SCALE, dgamma), (DNNL_ARG_DIFF_SHIFT, dbeta),
    ])
    if x.requiresGrad {
      // dx = γ/σ · (dy − (Σdy + x̂ · Σdy·x̂) / count), the sums over every process.
      var reduced = (0..<c).map { Double(dgamma.floats[$0]) } + (0..<c).map { Double(dbeta.floats[$0]) }
      try group.sum(&reduced)
      let dx = try partial.plain()
      let d = dx.floats
      let xp = plain.floats
      for ch in 0..<c {
        let sigma = (Double(varianceValues[ch]) + Double(eps)).squareRoot()
        let scale = Double(gamma.value.floats[ch]) / sigma / max(count, 1)
        let m = Double(meanValues[ch])
        let (sumDyXhat, sumDy) = (reduced[ch], reduced[c + ch])
        for b in 0..<xs[0] {
          let base = (b * c + ch) * planeSize
          for i in base..<(base + planeSize) {
            let xhat = (Double(xp[i]) - m) / sigma
            d[i] -= Float(scale * (sumDy + xhat * sumDyXhat))
          }
        }
      }
      try x.accumulate(dx)
    }
    if gamma.requiresGrad { try gamma.accumulate(dgamma) }
    if beta.requiresGrad { try beta.accumulate(dbeta) }
  }
  return out
}
