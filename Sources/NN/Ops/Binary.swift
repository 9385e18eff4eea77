import CDNNL
import Tensor

/// a + b, same shapes (no broadcasting: a mismatch is an error, never a silent broadcast).
public func add(_ a: Variable, _ b: Variable, name: String = "add") throws -> Variable {
  guard a.shape == b.shape else {
    throw TensorError.shapeMismatch(op: name, detail: "\(describe(a.shape)) + \(describe(b.shape))")
  }
  let tape = recording(a, b)
  let y = try binary(dnnl_binary_add, a.value, b.value.reordered(to: a.value.desc))
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    if a.requiresGrad { try a.accumulate(dy) }
    if b.requiresGrad { try b.accumulate(dy) }
  }
  return out
}

/// `alg`(src0, src1) into `dst` (a new tensor in src0's layout unless given; src0 itself for
/// in place). src1 may broadcast (e.g. a [1, C, 1, 1] bias).
@discardableResult
func binary(_ alg: dnnl_alg_kind_t, _ src0: Tensor, _ src1: Tensor, into dst: Tensor? = nil) throws -> Tensor {
  let y = try dst ?? Tensor(desc: src0.desc)
  let p = try PrimitiveCache.shared.get("binary|\(alg.rawValue)|\(src0.desc.key)|\(src1.desc.key)|\(y.desc.key)") {
    var pd: dnnl_primitive_desc_t?
    try check(
      dnnl_binary_primitive_desc_create(
        &pd, Engine.shared.engine, alg, src0.desc.md, src1.desc.md, y.desc.md, nil),
      "binary op on \(src0.desc) and \(src1.desc)")
    return try Primitive(pd: pd!, what: "binary")
  }
  try p.execute([(DNNL_ARG_SRC_0, src0), (DNNL_ARG_SRC_1, src1), (DNNL_ARG_DST, y)])
  return y
}
