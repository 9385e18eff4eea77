import CDNNL
import Tensor

/// A tensor flowing through the inference network: fp32, or quantised (u8 after a ReLU, s8
/// for signed values) with the per-tensor scale that maps it back: real = scale · integer.
public struct Activation {
  public var tensor: Tensor
  /// nil for fp32; the dequantisation scale for u8/s8.
  public var scale: Float?

  public init(_ tensor: Tensor, scale: Float? = nil) {
    self.tensor = tensor
    self.scale = scale
  }

  public var isQuantized: Bool { scale != nil }

  /// This activation in fp32 (a reorder that multiplies by the scale, or converts bf16), or
  /// itself when it is fp32 already.
  public func dequantized() throws -> Tensor {
    if scale == nil && tensor.dtype == .f32 { return tensor }
    let out = try Tensor(desc: MemoryDesc(tensor.shape, .f32, tensor.desc.tag ?? plainTag(tensor.shape.count)))
    try scaledReorder(from: tensor, to: out, sourceScale: scale, destinationScale: nil)
    return out
  }

  /// This activation as `target` (its dtype u8 or s8, any layout) with scale `scale`:
  /// integer = saturate(round(real / scale)). A quantised input is dequantised on the way.
  public func quantized(as target: MemoryDesc, scale: Float) throws -> Activation {
    if let own = self.scale, own == scale, tensor.desc.dtype == target.dtype {
      // Same type and scale: only the layout may change, and a plain reorder keeps the integers.
      return Activation(try tensor.reordered(to: target), scale: scale)
    }
    let out = try Tensor(desc: target)
    try scaledReorder(from: tensor, to: out, sourceScale: self.scale, destinationScale: scale)
    return Activation(out, scale: scale)
  }
}

/// dst = src · sourceScale / destinationScale, rounded to nearest and saturated by oneDNN's
/// reorder (absent scales are 1): quantisation and dequantisation at the int8 region's edges.
func scaledReorder(from src: Tensor, to dst: Tensor, sourceScale: Float?, destinationScale: Float?) throws {
  let key =
    "scaled_reorder|\(src.desc.key)|\(dst.desc.key)|\(sourceScale != nil)|\(destinationScale != nil)"
  let p = try PrimitiveCache.shared.get(key) {
    var attr: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attr), "create reorder attributes")
    defer { dnnl_primitive_attr_destroy(attr) }
    if sourceScale != nil { try check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_SRC, 0), "source scale") }
    if destinationScale != nil {
      try check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_DST, 0), "destination scale")
    }
    var pd: dnnl_primitive_desc_t?
    let e = Engine.shared.engine
    try check(
      dnnl_reorder_primitive_desc_create(&pd, src.desc.md, e, dst.desc.md, e, attr),
      "quantising reorder \(src.desc) -> \(dst.desc)")
    return try Primitive(pd: pd!, what: "scaled reorder")
  }
  var args: [(Int32, Tensor)] = [(DNNL_ARG_FROM, src), (DNNL_ARG_TO, dst)]
  if let sourceScale { args.append((DNNL_ARG_ATTR_SCALES | DNNL_ARG_SRC, try scalar(sourceScale))) }
  if let destinationScale { args.append((DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST, try scalar(destinationScale))) }
  try p.execute(args)
}

/// A one-element fp32 tensor (a runtime scale argument).
func scalar(_ v: Float) throws -> Tensor { try Tensor(shape: [1], values: [v]) }
