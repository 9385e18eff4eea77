import CDNNL
import SeededRandom
import Tensor

/// Channel-wise dropout (PyTorch's Dropout2d): each (sample, channel) plane is zeroed with
/// probability p, survivors scaled by 1/(1-p) so the expectation is unchanged. Identity in eval.
///
/// `window`: this input is samples `offset..<offset+N` of a batch of `batch` samples split over
/// processes (data-parallel training). The masks of the whole batch are drawn and this part's
/// used, so every process's generator stays where one process's would be and each sample gets
/// the mask it would get in one process.
public func dropout2d(
  _ x: Variable, p: Float, training: Bool, rng: inout Xoshiro256, window: SampleWindow? = nil
) throws -> Variable {
  guard p >= 0, p < 1 else { throw TensorError.unsupported("dropout2d: p must be in [0, 1), got \(p)") }
  guard training, p > 0 else { return x }
  guard !Recomputation.isReplaying else {
    throw TensorError.unsupported("dropout2d: cannot run inside a recomputed segment (the replay would draw new masks)")
  }
  let xs = x.shape
  guard xs.count == 4 else {
    throw TensorError.shapeMismatch(op: "dropout2d", detail: "input \(describe(xs)) must be 4-D")
  }
  let (n, c) = (xs[0], xs[1])
  let keep = 1 / (1 - p)
  let drawn = window.map { max($0.batch, $0.offset + n) } ?? n
  let all = (0..<drawn).map { _ in (0..<c).map { _ in rng.nextUnitFloat() < p ? 0 : keep } }
  let offset = window?.offset ?? 0
  let masks = Array(all[offset..<(offset + n)])
  let tape = recording(x)
  let y = try multiplyPerSample(x.value, masks)
  let out = Variable(y, requiresGrad: tape != nil)
  tape?.push {
    guard let dy = out.grad else { return }
    out.grad = nil
    try x.accumulate(multiplyPerSample(dy.reordered(to: x.value.desc), masks))
  }
  return out
}

/// Sample n of `t` times the per-channel `masks[n]` (C values). A loop over the layouts the
/// engine uses: oneDNN's binary has no fast kernel for a per-(sample, channel) broadcast on a
/// blocked tensor, and its reference kernel took ~4% of a course-fcn8 training step.
func multiplyPerSample(_ t: Tensor, _ masks: [[Float]]) throws -> Tensor {
  let s = t.shape
  let (n, c, planeSize) = (s[0], s[1], s[2] * s[3])
  func unsupported() -> TensorError {
    .unsupported("dropout2d: layout \(t.desc) is not one of nchw, nhwc, nChw4c, nChw8c, nChw16c")
  }
  if t.dtype == .bf16 { return try multiplyPerSampleBF16(t, masks) }
  guard t.dtype == .f32, let tag = t.desc.tag else { throw unsupported() }
  let out = try Tensor(desc: t.desc)
  let (x, y) = (t.floats, out.floats)
  switch tag {
  case dnnl_nchw:
    for b in 0..<n {
      for ch in 0..<c {
        let m = masks[b][ch]
        let base = (b * c + ch) * planeSize
        for i in base..<(base + planeSize) { y[i] = x[i] * m }
      }
    }
  case dnnl_nhwc:
    for b in 0..<n {
      for pixel in 0..<planeSize {
        let base = (b * planeSize + pixel) * c
        for ch in 0..<c { y[base + ch] = x[base + ch] * masks[b][ch] }
      }
    }
  case dnnl_nChw8c, dnnl_nChw16c, dnnl_nChw4c:
    let lanes = tag == dnnl_nChw16c ? 16 : tag == dnnl_nChw8c ? 8 : 4
    let blocks = (c + lanes - 1) / lanes
    var m = [Float](repeating: 0, count: lanes)
    for b in 0..<n {
      for block in 0..<blocks {
        // Padding lanes past C get 0, which keeps the layout's zero padding intact.
        for l in 0..<lanes { m[l] = block * lanes + l < c ? masks[b][block * lanes + l] : 0 }
        let start = (b * blocks + block) * planeSize * lanes
        m.withUnsafeBufferPointer { m in
          for pixel in 0..<planeSize {
            let base = start + pixel * lanes
            for l in 0..<lanes { y[base + l] = x[base + l] * m[l] }
          }
        }
      }
    }
  default:
    throw unsupported()
  }
  return out
}
