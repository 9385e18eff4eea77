import CDNNL
import Tensor

/// Owned primitive attributes, optionally with a fused ReLU post-op.
final class Attributes {
  let attr: dnnl_primitive_attr_t

  init(fuseReLU: Bool = false) throws {
    var a: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&a), "create primitive attributes")
    attr = a!
    if fuseReLU {
      var po: dnnl_post_ops_t?
      try check(dnnl_post_ops_create(&po), "create post-ops")
      defer { dnnl_post_ops_destroy(po) }
      try check(dnnl_post_ops_append_eltwise(po, dnnl_eltwise_relu, 0, 0), "append ReLU post-op")
      try check(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
    }
  }

  deinit { dnnl_primitive_attr_destroy(attr) }
}

/// A descriptor with layout `any`: lets the primitive choose (blocked layouts for convolutions).
func anyDesc(_ dims: [Int], _ dtype: DType = .f32) throws -> MemoryDesc {
  try MemoryDesc(dims, dtype, dnnl_format_tag_any)
}

/// The ReLU backward that reads the forward's output (so ReLU can run in place or fused).
func reluBackward(_ dy: Tensor, output y: Tensor) throws -> Tensor {
  let dy = try dy.reordered(to: y.desc)
  let p = try PrimitiveCache.shared.get("relu_bwd|\(y.desc.key)") {
    let fwd = try reluForwardPrimitive(y.desc, training: true)
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_eltwise_backward_primitive_desc_create(
        &pd, Engine.shared.engine, dnnl_eltwise_relu_use_dst_for_bwd, y.desc.md, y.desc.md, y.desc.md, 0, 0,
        fwd.pd, nil), "ReLU backward \(y.desc)")
    return try Primitive(pd: pd!, what: "relu_bwd")
  }
  let dx = try Tensor(desc: y.desc)
  try p.execute([(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, dy), (DNNL_ARG_DIFF_SRC, dx)])
  return dx
}

func reluForwardPrimitive(_ desc: MemoryDesc, training: Bool) throws -> Primitive {
  try PrimitiveCache.shared.get("relu_fwd|\(training)|\(desc.key)") {
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_eltwise_forward_primitive_desc_create(
        &pd, Engine.shared.engine, training ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_eltwise_relu_use_dst_for_bwd, desc.md, desc.md, 0, 0, nil), "ReLU forward \(desc)")
    return try Primitive(pd: pd!, what: "relu_fwd")
  }
}
