import CDNNL
import Tensor

/// Max pooling, PyTorch semantics including `ceilMode` (the FCN paper's nets use ceil mode, so
/// odd sizes keep their last row and column). Padding never wins the max.
public func maxPool2d(
  _ x: Variable, kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, name: String = "max_pool2d"
) throws -> Variable {
  let s = stride ?? kernel
  let xs = x.shape
  guard xs.count == 4 else { throw TensorError.shapeMismatch(op: name, detail: "input \(describe(xs)) must be 4-D") }
  guard padding * 2 <= kernel else {
    throw TensorError.unsupported("\(name): padding \(padding) must be at most half the kernel \(kernel)")
  }
  let oh = poolOutput(xs[2], kernel: kernel, stride: s, padding: padding, ceilMode: ceilMode)
  let ow = poolOutput(xs[3], kernel: kernel, stride: s, padding: padding, ceilMode: ceilMode)
  guard oh >= 1, ow >= 1 else {
    throw TensorError.shapeMismatch(
      op: name, detail: "input \(describe(xs)) is smaller than the \(kernel)x\(kernel) window")
  }
  let yDims = [xs[0], xs[1], oh, ow]
  let tape = recording(x)
  let k = [dnnl_dim_t(kernel), dnnl_dim_t(kernel)]
  let st = [dnnl_dim_t(s), dnnl_dim_t(s)]
  let dil: [dnnl_dim_t] = [0, 0]
  let pl = [dnnl_dim_t(padding), dnnl_dim_t(padding)]
  let pr = [
    dnnl_dim_t((oh - 1) * s + kernel - xs[2] - padding), dnnl_dim_t((ow - 1) * s + kernel - xs[3] - padding),
  ]
  let src = x.value
  let key = "maxpool|\(tape != nil)|\(src.desc.key)|k\(kernel)s\(s)p\(padding)c\(ceilMode)"
  let fwd = try PrimitiveCache.shared.get(key) {
    var pd: dnnl_primitive_desc_t?
    let dst = try MemoryDesc(yDims, src.dtype, src.desc.tag ?? dnnl_format_tag_any)
    try withExtendedLifetime(dst) {
      try check(
        dnnl_pooling_forward_primitive_desc_create(
          &pd, Engine.shared.engine, tape != nil ? dnnl_forward_training : dnnl_forward_inference, dnnl_pooling_max,
          src.desc.md, dst.md, st, k, dil, pl, pr, nil), "\(name) forward for input \(describe(xs))")
    }
    return try Primitive(pd: pd!, what: name)
  }
  let y = try Tensor(desc: fwd.desc(dnnl_query_dst_md))
  var args = [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, y)]
  let workspace = try tape.map { _ in try Tensor(desc: fwd.desc(dnnl_query_workspace_md)) }
  if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
  try fwd.execute(args)
  let out = Variable(y, requiresGrad: tape != nil)
  // Backward needs the layouts and the workspace, not the input's values: capturing only the
  // descriptors lets the input go after forward.
  let (srcDesc, yDesc) = (src.desc, y.desc)
  tape?.push {
    guard let dy = out.grad, let workspace else { return }
    out.grad = nil
    let bwd = try PrimitiveCache.shared.get("\(key)|bwd") {
      var pd: dnnl_primitive_desc_t?
      try check(
        dnnl_pooling_backward_primitive_desc_create(
          &pd, Engine.shared.engine, dnnl_pooling_max, srcDesc.md, yDesc.md, st, k, dil, pl, pr, fwd.pd, nil),
        "\(name) backward")
      return try Primitive(pd: pd!, what: "\(name) bwd")
    }
    let dx = try Tensor(desc: bwd.desc(dnnl_query_diff_src_md))
    try bwd.execute([
      (DNNL_ARG_DIFF_DST, dy.reordered(to: bwd.desc(dnnl_query_diff_dst_md))), (DNNL_ARG_WORKSPACE, workspace),
      (DNNL_ARG_DIFF_SRC, dx),
    ])
    try x.accumulate(dx)
  }
  return out
}

/// PyTorch's pooling output size: in ceil mode the last window must start inside the input
/// (or its left padding), never entirely in the right padding.
public func poolOutput(_ input: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
  let span = input + 2 * padding - kernel + (ceilMode ? stride - 1 : 0)
  // Division rounding toward minus infinity, as PyTorch's div_rtn.
  var out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
  if ceilMode && (out - 1) * stride >= input + padding { out -= 1 }
  return out
}
