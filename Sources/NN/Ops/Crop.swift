import CDNNL
import Tensor

/// x[:, :, top:top+height, left:left+width] — FCN's alignment crop, kept in x's layout.
public func crop(
  _ x: Variable, top: Int, left: Int, height: Int, width: Int, name: String = "crop"
) throws -> Variable {
  let xs = x.shape
  guard xs.count == 4, top >= 0, left >= 0, height >= 1, width >= 1, top + height <= xs[2], left + width <= xs[3]
  else {
    throw TensorError.shapeMismatch(
      op: name, detail: "window \(height)x\(width) at (\(top), \(left)) does not fit in \(describe(xs))")
  }
  let dims = [xs[0], xs[1], height, width]
  let offsets = [0, 0, top, left]
  let tape = recording(x)
  let layout = try MemoryDesc(dims, x.value.dtype, x.value.desc.tag ?? plainTag(4))
  let y = try Tensor(desc: layout)
  try reorder(from: x.value.window(dims: dims, offsets: offsets), to: y)
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    let dx = try Tensor.zeros(like: x.value.desc)
    try reorder(from: dy, to: dx.window(dims: dims, offsets: offsets))
    try x.accumulate(dx)
  }
  return out
}
