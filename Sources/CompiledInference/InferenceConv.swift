import CDNNL
import NN
import Tensor

/// One convolution prepared for inference: BatchNorm already folded into its weights and bias,
/// its ReLU a post-op, its weights reordered once into the layout its primitive wants and kept
/// (never per call). fp32, or int8: s8 weights with one scale per output channel, a u8/s8 input
/// with one scale, and a u8 output (after the ReLU) with one scale, all given to oneDNN as
/// scale attributes, so the convolution reads and writes bytes and accumulates in int32.
public final class InferenceConv {
  public let name: String
  public let geometry: ConvGeometry
  public let fuseReLU: Bool
  /// Plain [O, I, kh, kw] weights: fp32, or s8 when quantised.
  public private(set) var weight: Tensor
  /// fp32 [O], added after the scales (oneDNN 3.x applies bias in real units).
  public private(set) var bias: Tensor
  /// The int8 parameters, nil for fp32.
  public private(set) var quantization: ConvQuantization?
  /// `weight` in the primitive's layout, made on first use and kept.
  private var blocked: Tensor?
  /// fp32, or bf16 (inputs, weights and output in bf16, accumulation in fp32) where the CPU
  /// has it; int8 layers ignore it.
  public var computeType: DType = .f32 {
    didSet { blocked = nil }
  }

  public init(name: String, geometry: ConvGeometry, weight: Tensor, bias: Tensor, fuseReLU: Bool) throws {
    guard weight.shape.count == 4, bias.shape == [weight.shape[0]] else {
      throw TensorError.shapeMismatch(
        op: name,
        detail:
          "weight \(describe(weight.shape)) needs a bias of [\(weight.shape.first ?? 0)], got \(describe(bias.shape))")
    }
    self.name = name
    self.geometry = geometry
    self.weight = weight
    self.bias = bias
    self.fuseReLU = fuseReLU
  }

  public var outChannels: Int { weight.shape[0] }
  public var isInt8: Bool { quantization != nil }

  /// Replaces the weights (fp32, or s8 with `quantization`); shapes must stay the same.
  public func setWeights(_ weight: Tensor, bias: Tensor, quantization: ConvQuantization?) throws {
    guard weight.shape == self.weight.shape, bias.shape == self.bias.shape else {
      throw TensorError.shapeMismatch(
        op: name,
        detail:
          "new weight \(describe(weight.shape)) / bias \(describe(bias.shape)) for \(describe(self.weight.shape)) / \(describe(self.bias.shape))"
      )
    }
    guard (weight.dtype == .s8) == (quantization != nil) else {
      throw TensorError.dtypeMismatch(
        op: name, detail: "s8 weights need int8 scales and fp32 weights none (got \(weight.dtype))")
    }
    if let q = quantization, q.weightScales.count != outChannels {
      throw TensorError.shapeMismatch(
        op: name, detail: "\(q.weightScales.count) weight scales for \(outChannels) output channels")
    }
    self.weight = weight
    self.bias = bias
    self.quantization = quantization
    blocked = nil
  }

  /// The convolution of `x` (fp32 or quantised; converted at the edge when this layer's
  /// precision differs): fp32 out, or u8 with the output scale for an int8 layer with one.
  public func callAsFunction(_ x: Activation) throws -> Activation {
    try run(x, accumulatingInto: nil)
  }

  /// addend += this convolution of `x`, in place, as a oneDNN `sum` post-op (fp32 output only;
  /// `addend` must have the output's shape and is returned).
  public func callAsFunction(_ x: Activation, accumulatingInto addend: Tensor) throws -> Activation {
    guard quantization?.outputScale == nil, addend.dtype == computeType, quantization == nil || computeType == .f32
    else {
      throw TensorError.dtypeMismatch(
        op: name, detail: "a sum post-op needs an output of the addend's type (\(computeType)), got \(addend.dtype)")
    }
    return try run(x, accumulatingInto: addend)
  }

  /// The output shape for an input of shape `xs`.
  public func outputShape(_ xs: [Int]) -> [Int] {
    let g = geometry
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    return [
      xs[0], outChannels,
      ConvGeometry.convOutput(xs[2], kernel: kh, stride: g.stride.h, padding: g.padding.h, dilation: g.dilation.h),
      ConvGeometry.convOutput(xs[3], kernel: kw, stride: g.stride.w, padding: g.padding.w, dilation: g.dilation.w),
    ]
  }

  private func run(_ x: Activation, accumulatingInto addend: Tensor?) throws -> Activation {
    let xs = x.tensor.shape
    let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
    guard xs.count == 4, xs[1] == weight.shape[1] else {
      throw TensorError.shapeMismatch(
        op: name, detail: "input \(describe(xs)) does not match weight \(describe(weight.shape))")
    }
    let g = geometry
    let oh = ConvGeometry.convOutput(
      xs[2], kernel: kh, stride: g.stride.h, padding: g.padding.h, dilation: g.dilation.h)
    let ow = ConvGeometry.convOutput(
      xs[3], kernel: kw, stride: g.stride.w, padding: g.padding.w, dilation: g.dilation.w)
    guard oh >= 1, ow >= 1 else {
      throw TensorError.shapeMismatch(op: name, detail: "input \(describe(xs)) is too small for a \(kh)x\(kw) kernel")
    }
    let q = quantization
    let srcType: DType = q?.inputType ?? computeType
    let dstType: DType = q.map { $0.outputScale != nil ? (fuseReLU ? .u8 : .s8) : .f32 } ?? computeType
    let yDims = [xs[0], o, oh, ow]
    if let addend, addend.shape != yDims {
      throw TensorError.shapeMismatch(
        op: name, detail: "sum post-op into \(describe(addend.shape)), output is \(describe(yDims))")
    }
    let key =
      "iconv|\(addend.map { "sum:" + $0.desc.key } ?? "")|\(describe(xs))|\(srcType)|\(describe(weight.shape))|\(weight.dtype)|\(computeType)|\(g.stride)|\(g.padding)|\(g.dilation)|\(fuseReLU)|\(dstType)"
    let p = try PrimitiveCache.shared.get(key) {
      try makePrimitive(srcDims: xs, srcType: srcType, dstDims: yDims, dstType: dstType, sumInto: addend?.desc)
    }
    let srcDesc = try p.desc(dnnl_query_src_md)
    let src: Activation
    if let q {
      src = try x.quantized(as: srcDesc, scale: x.scale ?? q.inputScale)
    } else {
      src = Activation(try (x.isQuantized ? x.dequantized() : x.tensor).reordered(to: srcDesc))
    }
    let wt = try blockedWeights(p.desc(dnnl_query_weights_md))
    let y = try addend ?? Tensor(desc: p.desc(dnnl_query_dst_md))
    var args: [(Int32, Tensor)] = [
      (DNNL_ARG_SRC, src.tensor), (DNNL_ARG_WEIGHTS, wt), (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, y),
    ]
    if let q, let inputScale = src.scale {
      args.append((DNNL_ARG_ATTR_SCALES | DNNL_ARG_SRC, try scalar(inputScale)))
      args.append((DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, q.weightScaleTensor))
      if let s = q.outputScale { args.append((DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST, try scalar(s))) }
    }
    try p.execute(args)
    return Activation(y, scale: q?.outputScale)
  }

  private func makePrimitive(
    srcDims: [Int], srcType: DType, dstDims: [Int], dstType: DType, sumInto: MemoryDesc?
  ) throws -> Primitive {
    let int8 = quantization != nil
    var attr: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attr), "create attributes")
    defer { dnnl_primitive_attr_destroy(attr) }
    if int8 {
      try check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_SRC, 0), "\(name): source scale")
      // Mask bit 0: one scale per output channel (dimension 0 of OIHW).
      try check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_WEIGHTS, 1), "\(name): weight scales")
      if dstType != .f32 {
        try check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_DST, 0), "\(name): destination scale")
      }
    }
    if fuseReLU || sumInto != nil {
      var po: dnnl_post_ops_t?
      try check(dnnl_post_ops_create(&po), "create post-ops")
      defer { dnnl_post_ops_destroy(po) }
      if sumInto != nil {
        try check(dnnl_post_ops_append_sum(po, 1, 0, dnnl_data_type_undef), "append sum post-op")
      }
      if fuseReLU { try check(dnnl_post_ops_append_eltwise(po, dnnl_eltwise_relu, 0, 0), "append ReLU post-op") }
      try check(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
    }
    let src = try MemoryDesc(srcDims, srcType, dnnl_format_tag_any)
    // bf16 compute takes bf16 weights (reordered once from the fp32 ones).
    let wt = try MemoryDesc(weight.shape, int8 ? .s8 : computeType, dnnl_format_tag_any)
    let b = try MemoryDesc([outChannels], .f32, dnnl_a)
    // A sum post-op writes into the addend's storage, so the output takes its layout.
    let dst = try sumInto ?? MemoryDesc(dstDims, dstType, dnnl_format_tag_any)
    let g = geometry
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    func right(_ out: Int, _ input: Int, _ k: Int, _ s: Int, _ d: Int, _ pl: Int) -> dnnl_dim_t {
      dnnl_dim_t((out - 1) * s + (k - 1) * d + 1 - input - pl)
    }
    let strides = [dnnl_dim_t(g.stride.h), dnnl_dim_t(g.stride.w)]
    let dilates = [dnnl_dim_t(g.dilation.h - 1), dnnl_dim_t(g.dilation.w - 1)]
    let padL = [dnnl_dim_t(g.padding.h), dnnl_dim_t(g.padding.w)]
    let padR = [
      right(dstDims[2], srcDims[2], kh, g.stride.h, g.dilation.h, g.padding.h),
      right(dstDims[3], srcDims[3], kw, g.stride.w, g.dilation.w, g.padding.w),
    ]
    var pd: dnnl_primitive_desc_t?
    try withExtendedLifetime((src, wt, b, dst)) {
      try check(
        dnnl_convolution_forward_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_forward_inference, dnnl_convolution_direct, src.md, wt.md, b.md, dst.md,
          strides, dilates, padL, padR, attr),
        "\(name): \(int8 ? "int8" : "fp32") inference convolution for input \(describe(srcDims))")
    }
    return try Primitive(pd: pd!, what: name)
  }

  /// The weights in `desc` (the primitive's choice), reordered once and kept: every input size
  /// of one network gets the same blocked weight layout from oneDNN, so this is made once.
  private func blockedWeights(_ desc: MemoryDesc) throws -> Tensor {
    if let blocked, blocked.desc.isEqual(desc) { return blocked }
    let copy = try weight.reordered(to: desc)
    blocked = copy
    return copy
  }
}

/// The int8 parameters of a quantised convolution.
public struct ConvQuantization {
  /// Per output channel: real weight = scale[o] · s8 weight.
  public var weightScales: [Float]
  /// For an fp32 input (the first int8 layer after an fp32 one): real = inputScale · integer.
  public var inputScale: Float
  /// u8 after a ReLU, s8 for signed inputs (the normalised image).
  public var inputType: DType
  /// The scale of the quantised output; nil keeps the output fp32 (layers before fp32 ones).
  public var outputScale: Float?
  let weightScaleTensor: Tensor

  public init(weightScales: [Float], inputScale: Float, inputType: DType, outputScale: Float?) throws {
    guard inputType == .u8 || inputType == .s8 else {
      throw TensorError.dtypeMismatch(op: "int8 convolution", detail: "input type must be u8 or s8, got \(inputType)")
    }
    self.weightScales = weightScales
    self.inputScale = inputScale
    self.inputType = inputType
    self.outputScale = outputScale
    weightScaleTensor = try Tensor(shape: [weightScales.count], values: weightScales)
  }
}
