import CDNNL
import Tensor

/// 2-D convolution, PyTorch semantics: x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O].
/// `fuseReLU` applies ReLU as a oneDNN post-op (one pass over the output instead of two); its
/// backward then reads the output, so the pre-activation is never stored.
public func conv2d(
  _ x: Variable, weight: Parameter, bias: Parameter?, geometry g: ConvGeometry = ConvGeometry(),
  groups: Int = 1, fuseReLU: Bool = false, name: String = "conv2d"
) throws -> Variable {
  let xs = x.shape
  let ws = weight.shape
  guard xs.count == 4, ws.count == 4 else {
    throw TensorError.shapeMismatch(
      op: name, detail: "input \(describe(xs)) and weight \(describe(ws)) must both be 4-D")
  }
  let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3])
  let (o, kh, kw) = (ws[0], ws[2], ws[3])
  guard groups >= 1, c % groups == 0, o % groups == 0, ws[1] * groups == c else {
    throw TensorError.shapeMismatch(
      op: name,
      detail:
        "input \(describe(xs)) has \(c) channels but weight \(describe(ws)) with groups=\(groups) expects \(ws[1] * groups)"
    )
  }
  if let bias, bias.shape != [o] {
    throw TensorError.shapeMismatch(op: name, detail: "bias \(describe(bias.shape)) must be [\(o)]")
  }
  let oh = ConvGeometry.convOutput(h, kernel: kh, stride: g.stride.h, padding: g.padding.h, dilation: g.dilation.h)
  let ow = ConvGeometry.convOutput(w, kernel: kw, stride: g.stride.w, padding: g.padding.w, dilation: g.dilation.w)
  guard oh >= 1, ow >= 1 else {
    throw TensorError.shapeMismatch(
      op: name,
      detail:
        "input \(describe(xs)) is too small for a \(kh)x\(kw) kernel (padding \(g.padding), dilation \(g.dilation)): output would be \(oh)x\(ow)"
    )
  }
  return try convolutionCore(
    .convolution, x, weight: weight, weightPlain: convWeightPlainDesc(ws, groups: groups), bias: bias,
    outputDims: [n, o, oh, ow], params: g.dnnlParams(small: (oh, ow), big: (h, w), kernel: (kh, kw)),
    key: "\(g.key)|g\(groups)", fuseReLU: fuseReLU, name: name)
}

/// Convolutions and transposed convolutions share everything but oneDNN's entry points.
enum ConvolutionKind: String {
  case convolution, deconvolution

  func forward(
    _ pd: inout dnnl_primitive_desc_t?, _ prop: dnnl_prop_kind_t, _ src: MemoryDesc, _ wt: MemoryDesc,
    _ b: MemoryDesc?, _ dst: MemoryDesc, _ p: ConvParams, _ attr: Attributes
  ) -> dnnl_status_t {
    withExtendedLifetime((src, wt, b, dst, attr)) {
      switch self {
      case .convolution:
        return dnnl_convolution_forward_primitive_desc_create(
          &pd, Engine.shared.engine, prop, dnnl_convolution_direct, src.md, wt.md, b?.md, dst.md, p.strides,
          p.dilates, p.padL, p.padR, attr.attr)
      case .deconvolution:
        return dnnl_deconvolution_forward_primitive_desc_create(
          &pd, Engine.shared.engine, prop, dnnl_deconvolution_direct, src.md, wt.md, b?.md, dst.md, p.strides,
          p.dilates, p.padL, p.padR, attr.attr)
      }
    }
  }

  func backwardData(
    _ pd: inout dnnl_primitive_desc_t?, _ src: MemoryDesc, _ wt: MemoryDesc, _ dst: MemoryDesc, _ p: ConvParams,
    _ hint: dnnl_primitive_desc_t
  ) -> dnnl_status_t {
    withExtendedLifetime((src, wt, dst)) {
      switch self {
      case .convolution:
        return dnnl_convolution_backward_data_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_convolution_direct, src.md, wt.md, dst.md, p.strides, p.dilates, p.padL,
          p.padR, hint, nil)
      case .deconvolution:
        return dnnl_deconvolution_backward_data_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_deconvolution_direct, src.md, wt.md, dst.md, p.strides, p.dilates,
          p.padL, p.padR, hint, nil)
      }
    }
  }

  func backwardWeights(
    _ pd: inout dnnl_primitive_desc_t?, _ src: MemoryDesc, _ wt: MemoryDesc, _ b: MemoryDesc?, _ dst: MemoryDesc,
    _ p: ConvParams, _ hint: dnnl_primitive_desc_t
  ) -> dnnl_status_t {
    withExtendedLifetime((src, wt, b, dst)) {
      switch self {
      case .convolution:
        return dnnl_convolution_backward_weights_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_convolution_direct, src.md, wt.md, b?.md, dst.md, p.strides, p.dilates,
          p.padL, p.padR, hint, nil)
      case .deconvolution:
        return dnnl_deconvolution_backward_weights_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_deconvolution_direct, src.md, wt.md, b?.md, dst.md, p.strides,
          p.dilates, p.padL, p.padR, hint, nil)
      }
    }
  }
}

/// Forward, and on a tape the backward-data and backward-weights steps, of either kind.
func convolutionCore(
  _ kind: ConvolutionKind, _ x: Variable, weight: Parameter, weightPlain wPlain: MemoryDesc, bias: Parameter?,
  outputDims yDims: [Int], params: ConvParams, key geometryKey: String, fuseReLU: Bool, name: String
) throws -> Variable {
  let xs = x.shape
  let o = yDims[1]
  let tape = recording(x, weight, bias)
  let training = tape != nil
  let wDims = wPlain.dims
  // fp32, or bf16 source, weights and output (fp32 accumulation) under MixedPrecision.
  let dt = MixedPrecision.convolutionType(for: x.value)
  let key =
    "\(kind)|\(training)|\(x.value.dtype)|\(dt)|\(describe(xs))|\(describe(wDims))|\(bias != nil)|\(geometryKey)|\(fuseReLU)"

  // oneDNN 3.2's strided brgemm deconvolution (brgconv_strided, AVX2 and AVX-512) adds the bias
  // once per overlapping kernel tap when channels are blocked: 11 classes, k64 s32, two input
  // rows gave rows 16+ off by ~30x the bias (issue 11; reproduced with oneDNN alone). Its
  // convolutions are right, so a transposed convolution's bias is added by a separate pass.
  let fusedBias = kind == .convolution ? bias : nil
  let fwd = try PrimitiveCache.shared.get(key) {
    let b = try fusedBias.map { _ in try MemoryDesc([o], .f32, dnnl_a) }
    var pd: dnnl_primitive_desc_t?
    try check(
      kind.forward(
        &pd, training ? dnnl_forward_training : dnnl_forward_inference, anyDesc(xs, dt), anyDesc(wDims, dt), b,
        anyDesc(yDims, dt), params, Attributes(fuseReLU: fuseReLU)),
      "\(name) forward primitive for input \(describe(xs)), weight \(describe(weight.shape))")
    return try Primitive(pd: pd!, what: name)
  }
  let src = try x.value.reordered(to: fwd.desc(dnnl_query_src_md))
  let wDesc = try fwd.desc(dnnl_query_weights_md)
  // A large weight moves into this layout for good on its first training call (BlockedWeights).
  if training && kind == .convolution { try weight.adoptLayoutIfLarge(wDesc, plain: wPlain) }
  let wView = try weight.convolutionSource(plain: wPlain)
  let wt = try training ? weight.trainingCopy(of: wView, in: wDesc) : weight.inLayout(wDesc, view: wView)
  let y = try Tensor(desc: fwd.desc(dnnl_query_dst_md))
  var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, wt), (DNNL_ARG_DST, y)]
  if let fusedBias { args.append((DNNL_ARG_BIAS, fusedBias.value)) }
  try fwd.execute(args)
  if let bias, fusedBias == nil { try addChannelBias(y, bias.value) }

  let out = Variable(y, requiresGrad: tape != nil)
  // Backward reads the output only through the fused ReLU; not capturing it otherwise lets the
  // output go as soon as nothing else holds it.
  let reluOutput = fuseReLU ? y : nil
  /// Backward-weights from the output gradient; returns what adds its results to the gradients.
  func backwardWeights(_ dy: Tensor) throws -> (() throws -> Void)? {
    guard weight.requiresGrad || bias?.requiresGrad == true else { return nil }
    let bwd = try PrimitiveCache.shared.get("\(key)|bwd_weights") {
      var pd: dnnl_primitive_desc_t?
      let b = try bias.map { _ in try MemoryDesc([o], .f32, dnnl_a) }
      // Weight gradients stay fp32 (the masters' type) even from bf16 source and gradients.
      try check(
        kind.backwardWeights(&pd, anyDesc(xs, dt), anyDesc(wDims, .f32), b, anyDesc(yDims, dt), params, fwd.pd),
        "\(name) backward-weights primitive")
      return try Primitive(pd: pd!, what: "\(name) bwd_weights")
    }
    // The input may have been released after forward (a BatchNorm output): rebuilt here.
    try src.materialize()
    let dw = try weight.weightGradientBuffer(bwd.desc(dnnl_query_diff_weights_md))
    var args: [(Int32, Tensor)] = try [
      (DNNL_ARG_SRC, src.reordered(to: bwd.desc(dnnl_query_src_md))),
      (DNNL_ARG_DIFF_DST, dy.reordered(to: bwd.desc(dnnl_query_diff_dst_md))),
      (DNNL_ARG_DIFF_WEIGHTS, dw),
    ]
    let db = try bias.map { _ in try Tensor(desc: MemoryDesc([o], .f32, dnnl_a)) }
    if let db { args.append((DNNL_ARG_DIFF_BIAS, db)) }
    try bwd.execute(args)
    return {
      if weight.requiresGrad { try weight.accumulate(dw, seenAs: wPlain) }
      if let bias, let db, bias.requiresGrad { try bias.accumulate(db) }
    }
  }
  // A fused BatchNorm + ReLU output (ReLUActivated) is needed by this backward-weights alone:
  // it runs first on the rebuilt input, which goes back to the pool before backward-data's
  // output exists. The weight gradient is added after backward-data, which must read the
  // weights from before an update during backward.
  let rebuiltInput = x is ReLUActivated && src === x.value
  tape?.push {
    guard var dy = out.grad else { return }
    out.grad = nil
    if let reluOutput { dy = try reluBackward(dy, output: reluOutput) }
    var addWeightGradient: (() throws -> Void)?
    if rebuiltInput {
      addWeightGradient = try backwardWeights(dy)
      src.release()
    }
    if x.requiresGrad {
      let bwd = try PrimitiveCache.shared.get("\(key)|bwd_data") {
        var pd: dnnl_primitive_desc_t?
        try check(
          kind.backwardData(&pd, anyDesc(xs, dt), anyDesc(wDims, dt), anyDesc(yDims, dt), params, fwd.pd),
          "\(name) backward-data primitive")
        return try Primitive(pd: pd!, what: "\(name) bwd_data")
      }
      let dx = try Tensor(desc: bwd.desc(dnnl_query_diff_src_md))
      try bwd.execute([
        (DNNL_ARG_DIFF_DST, dy.reordered(to: bwd.desc(dnnl_query_diff_dst_md))),
        // Reordered again from the plain master rather than kept from the forward: holding a
        // blocked copy of every weight until backward would cost a second copy of the model.
        (DNNL_ARG_WEIGHTS, weight.trainingCopy(of: wView, in: bwd.desc(dnnl_query_weights_md), backwardData: true)),
        (DNNL_ARG_DIFF_SRC, dx),
      ])
      try x.accumulate(dx)
    }
    if !rebuiltInput { addWeightGradient = try backwardWeights(dy) }
    try addWeightGradient?()
  }
  return out
}

/// The plain descriptor of a PyTorch conv weight [O, I/g, kh, kw]: OIHW, or for groups > 1 the
/// same bytes seen as GOIHW [g, O/g, I/g, kh, kw], which is how oneDNN takes grouped weights.
func convWeightPlainDesc(_ ws: [Int], groups: Int) throws -> MemoryDesc {
  if groups == 1 { return try MemoryDesc(ws, .f32, dnnl_oihw) }
  return try MemoryDesc([groups, ws[0] / groups, ws[1], ws[2], ws[3]], .f32, dnnl_goihw)
}

/// y[n, c, h, w] += bias[c] in place, in y's own layout (oneDNN's binary add with broadcast).
func addChannelBias(_ y: Tensor, _ bias: Tensor) throws {
  let b = try Tensor(viewing: bias, as: MemoryDesc([1, y.shape[1], 1, 1], .f32, dnnl_abcd))
  try binary(dnnl_binary_add, y, b, into: y)
}
