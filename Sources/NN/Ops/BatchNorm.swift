import CDNNL
import Tensor

/// Running statistics of a BatchNorm layer (buffers, not trained; saved in checkpoints).
public final class RunningStats {
  public let mean: Tensor
  public let variance: Tensor
  public var batchesTracked: Int64 = 0

  public init(channels: Int) throws {
    mean = try Tensor.zeros(shape: [channels])
    variance = try Tensor(shape: [channels], values: [Float](repeating: 1, count: channels))
  }
}

/// Batch normalisation over (N, H, W) per channel, PyTorch semantics. In training it normalises
/// with the batch statistics and updates the running ones as
/// `running = (1 - momentum) · running + momentum · batch` (unbiased batch variance), which is
/// exactly what PyTorch's `momentum` means; in eval it uses the running statistics.
/// `fuseReLU` (on a tape; see ReLUActivated) returns relu(BatchNorm(x)) from one oneDNN pass whose
/// backward takes the ReLU's mask from a one-bit-per-element workspace. `discardsInput`: nothing
/// else reads `x`'s value, so backward, its last reader, gives its storage back when done.
public func batchNorm2d(
  _ x: Variable, gamma: Parameter, beta: Parameter, stats: RunningStats, training: Bool, momentum: Float = 0.1,
  eps: Float = 1e-5, fuseReLU: Bool = false, discardsInput: Bool = false, name: String = "batch_norm2d"
) throws -> Variable {
  let xs = x.shape
  guard xs.count == 4, gamma.shape == [xs[1]], beta.shape == [xs[1]], stats.mean.shape == [xs[1]] else {
    throw TensorError.shapeMismatch(
      op: name,
      detail:
        "input \(describe(xs)) needs scale, shift and statistics of shape [\(xs.count == 4 ? xs[1] : 0)], got \(describe(gamma.shape))"
    )
  }
  let c = xs[1]
  let tape = recording(x, gamma, beta)
  var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
  if !training { flags |= dnnl_use_global_stats.rawValue }
  // On a tape only: tape-less passes keep the separate ReLU (and their bits).
  let fused = fuseReLU && tape != nil
  if fused { flags |= dnnl_fuse_norm_relu.rawValue }
  let src = x.value
  let prop = tape != nil ? dnnl_forward_training : dnnl_forward_inference
  let fwd = try batchNormForward(prop, flags: flags, eps: eps, desc: src.desc, name: name)
  let y = try Tensor(desc: src.desc)
  let mean = training ? try Tensor(shape: [c]) : stats.mean
  let variance = training ? try Tensor(shape: [c]) : stats.variance
  var args = [
    (DNNL_ARG_SRC, src), (DNNL_ARG_DST, y), (DNNL_ARG_SCALE, gamma.value), (DNNL_ARG_SHIFT, beta.value),
    (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
  ]
  // The fused ReLU's mask for backward: one bit per element.
  let workspace = try fused ? Tensor(desc: fwd.desc(dnnl_query_workspace_md)) : nil
  if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
  try fwd.execute(args)
  if training && !Recomputation.isReplaying {
    let n = Float(xs[0] * xs[2] * xs[3])
    let unbias = n > 1 ? n / (n - 1) : 1
    for i in 0..<c {
      stats.mean.floats[i] = (1 - momentum) * stats.mean.floats[i] + momentum * mean.floats[i]
      stats.variance.floats[i] = (1 - momentum) * stats.variance.floats[i] + momentum * variance.floats[i] * unbias
    }
    stats.batchesTracked += 1
  }
  if tape != nil {
    // Kept: the input (backward needs it) and the batch statistics. The output is what the next
    // layer reads, and its backward-weights needs it again, but it is rebuilt from those three
    // by a normalisation with the batch's own statistics, so the model lets it go after forward
    // (one activation per BatchNorm instead of two). See batchNormOutput for why the rebuild
    // gives the forward's bits. Out of training mode (a frozen BatchNorm) the statistics are
    // the running ones, which nothing changes before backward. Fused with the ReLU, the
    // output is needed only by the next layer's backward-weights (the mask is in the
    // workspace), which gives the rebuild back at once.
    y.recompute = { y in
      try batchNormOutput(
        src, into: y, gamma: gamma, beta: beta, mean: mean, variance: variance, eps: eps, fuseReLU: fused, name: name)
    }
  }
  let out = fused ? ReLUActivated(y) : Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard var dy = out.grad else { return }
    out.grad = nil
    if !dy.desc.isEqual(src.desc) { dy = try dy.reordered(to: src.desc) }
    let bwd = try batchNormBackward(of: fwd, prop, flags: flags, eps: eps, desc: src.desc, name: name)
    // oneDNN's batch normalisation may write diff_src over diff_dst: done when nothing else
    // holds this gradient (one activation-sized buffer fewer at the peak of backward).
    let dx = try isKnownUniquelyReferenced(&dy) && dy.ownsStorageAlone ? dy : Tensor(desc: src.desc)
    let dgamma = try Tensor(shape: [c])
    let dbeta = try Tensor(shape: [c])
    var args = [
      (DNNL_ARG_SRC, src), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance), (DNNL_ARG_DIFF_DST, dy),
      (DNNL_ARG_SCALE, gamma.value), (DNNL_ARG_DIFF_SRC, dx), (DNNL_ARG_DIFF_SCALE, dgamma),
      (DNNL_ARG_DIFF_SHIFT, dbeta),
    ]
    if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
    try bwd.execute(args)
    if discardsInput { src.discard() }
    if x.requiresGrad { try x.accumulate(dx) }
    if gamma.requiresGrad { try gamma.accumulate(dgamma) }
    if beta.requiresGrad { try beta.accumulate(dbeta) }
  }
  return out
}

/// y = γ (x − mean) / √(variance + eps) + β with given statistics: the rebuild of a training
/// BatchNorm's output from its kept input. oneDNN's batch-normalisation kernels apply the same
/// normalisation code whether the statistics were just computed or passed in, so the result is
/// the forward's output bit for bit (BatchNormRecomputeTests checks it for every layout).
func batchNormOutput(
  _ src: Tensor, into y: Tensor, gamma: Parameter, beta: Parameter, mean: Tensor, variance: Tensor, eps: Float,
  fuseReLU: Bool = false, name: String
) throws {
  var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | dnnl_use_global_stats.rawValue
  if fuseReLU { flags |= dnnl_fuse_norm_relu.rawValue }
  let p = try batchNormForward(dnnl_forward_inference, flags: flags, eps: eps, desc: src.desc, name: name)
  try p.execute([
    (DNNL_ARG_SRC, src), (DNNL_ARG_DST, y), (DNNL_ARG_SCALE, gamma.value), (DNNL_ARG_SHIFT, beta.value),
    (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
  ])
}

/// oneDNN's batch-normalisation forward for data laid out as `desc`, cached by propagation
/// kind, flags, eps and layout (the plain, fused-ReLU, rebuild and synchronised paths share it).
func batchNormForward(_ prop: dnnl_prop_kind_t, flags: UInt32, eps: Float, desc: MemoryDesc, name: String) throws
  -> Primitive
{
  try PrimitiveCache.shared.get(batchNormKey(prop, flags, eps, desc)) {
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_batch_normalization_forward_primitive_desc_create(
        &pd, Engine.shared.engine, prop, desc.md, desc.md, eps, flags, nil), "\(name) forward \(describe(desc.dims))")
    return try Primitive(pd: pd!, what: name)
  }
}

/// The backward of `forward` (made by `batchNormForward` with the same arguments).
func batchNormBackward(
  of forward: Primitive, _ prop: dnnl_prop_kind_t, flags: UInt32, eps: Float, desc: MemoryDesc, name: String
) throws -> Primitive {
  try PrimitiveCache.shared.get(batchNormKey(prop, flags, eps, desc) + "|bwd") {
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_batch_normalization_backward_primitive_desc_create(
        &pd, Engine.shared.engine, dnnl_backward, desc.md, desc.md, desc.md, eps, flags, forward.pd, nil),
      "\(name) backward")
    return try Primitive(pd: pd!, what: "\(name) bwd")
  }
}

private func batchNormKey(_ prop: dnnl_prop_kind_t, _ flags: UInt32, _ eps: Float, _ desc: MemoryDesc) -> String {
  "bn|\(prop.rawValue)|\(flags)|\(eps)|\(desc.key)"
}
