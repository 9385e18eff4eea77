import CDNNL
import Tensor

/// ReLU. In place overwrites `x`'s value: safe when nothing's backward reads `x` itself (true of
/// conv, BatchNorm, pooling and Add outputs), and it saves one activation-sized buffer.
public func relu(_ x: Variable, inPlace: Bool = false) throws -> Variable {
  if inPlace, x is ReLUActivated { return x }  // its BatchNorm applied it (BatchNormReLU.swift)
  let tape = recording(x)
  let y = inPlace ? x.value : try Tensor(desc: x.value.desc)
  let forward = try reluForwardPrimitive(x.value.desc, training: tape != nil)
  try forward.execute([(DNNL_ARG_SRC, x.value), (DNNL_ARG_DST, y)])
  if inPlace, tape != nil, let rebuild = y.recompute {
    // An in-place ReLU over a rebuildable output (BatchNorm's) is part of the rebuild.
    y.recompute = { t in
      try rebuild(t)
      try forward.execute([(DNNL_ARG_SRC, t), (DNNL_ARG_DST, t)])
    }
  }
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try y.materialize()
    try x.accumulate(reluBackward(dy, output: y))
  }
  return out
}

/// y = s · x (e.g. the skip scaling of FCN-8s at-once).
public func scale(_ x: Variable, by s: Float) throws -> Variable {
  let tape = recording(x)
  let y = try linear(x.value, s)
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try x.accumulate(linear(dy, s))
  }
  return out
}

/// s · t as a new tensor in t's layout.
func linear(_ t: Tensor, _ s: Float) throws -> Tensor {
  let p = try PrimitiveCache.shared.get("linear|\(s)|\(t.desc.key)") {
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_eltwise_forward_primitive_desc_create(
        &pd, Engine.shared.engine, dnnl_forward_inference, dnnl_eltwise_linear, t.desc.md, t.desc.md, s, 0, nil),
      "scale \(t.desc)")
    return try Primitive(pd: pd!, what: "scale")
  }
  let y = try Tensor(desc: t.desc)
  try p.execute([(DNNL_ARG_SRC, t), (DNNL_ARG_DST, y)])
  return y
}
