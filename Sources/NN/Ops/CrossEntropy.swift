import Foundation
import Tensor

public enum Reduction: String, Sendable, CaseIterable { case mean, sum }

/// Softmax cross-entropy over pixels: logits [N, K, H, W], labels int32 [N, H, W]. Pixels whose
/// label is `ignoreIndex` contribute nothing. With class weights w, `mean` divides by the sum of
/// the weights of the counted pixels (PyTorch's definition), not by their number.
///
/// The gradient is computed together with the loss (it needs the same softmax) and kept until
/// backward; the loss is a 1-element fp32 tensor.
public func softmaxCrossEntropy(
  _ logits: Variable, labels: Tensor, ignoreIndex: Int32 = 255, classWeights: [Float]? = nil,
  reduction: Reduction = .mean
) throws -> Variable {
  let zs = logits.shape
  guard zs.count == 4, labels.shape == [zs[0], zs[2], zs[3]] else {
    throw TensorError.shapeMismatch(
      op: "cross_entropy", detail: "logits \(describe(zs)) need labels [N, H, W], got \(describe(labels.shape))")
  }
  guard labels.dtype == .s32 else {
    throw TensorError.dtypeMismatch(op: "cross_entropy", detail: "labels must be int32, got \(labels.dtype)")
  }
  let (n, k, hw) = (zs[0], zs[1], zs[2] * zs[3])
  if let classWeights, classWeights.count != k {
    throw TensorError.shapeMismatch(
      op: "cross_entropy", detail: "\(classWeights.count) class weights for \(k) classes")
  }
  let z = try logits.value.plain()
  let tape = recording(logits)
  let grad = try tape.map { _ in try Tensor(shape: zs) }
  var total = 0.0
  var weightSum = 0.0
  var probs = [Float](repeating: 0, count: k)
  for b in 0..<n {
    let zb = z.floats + b * k * hw
    let gb = grad.map { $0.floats + b * k * hw }
    for i in 0..<hw {
      let t = labels.int32s[b * hw + i]
      if t == ignoreIndex {
        if let gb { for c in 0..<k { gb[c * hw + i] = 0 } }
        continue
      }
      guard t >= 0, Int(t) < k else {
        throw TensorError.shapeMismatch(
          op: "cross_entropy",
          detail: "label \(t) at sample \(b), pixel \(i) is outside 0..<\(k) and is not the ignore index \(ignoreIndex)"
        )
      }
      var m = -Float.infinity
      for c in 0..<k { m = max(m, zb[c * hw + i]) }
      var s: Float = 0
      for c in 0..<k {
        probs[c] = expf(zb[c * hw + i] - m)
        s += probs[c]
      }
      let w = classWeights?[Int(t)] ?? 1
      total += Double(w) * (Double(m) + Double(logf(s)) - Double(zb[Int(t) * hw + i]))
      weightSum += Double(w)
      if let gb {
        for c in 0..<k { gb[c * hw + i] = w * probs[c] / s }
        gb[Int(t) * hw + i] -= w
      }
    }
  }
  // PyTorch gives NaN for a mean over zero counted pixels; a batch of only ignored pixels is
  // legitimate when cropping, so we return 0 with zero gradient instead.
  let norm = reduction == .mean ? (weightSum > 0 ? weightSum : 1) : 1
  let loss = Variable(try Tensor(shape: [1], values: [Float(total / norm)]), requiresGrad: tape != nil)
  tape?.push {
    guard let dl = loss.grad, let grad else { return }
    let s = dl.floats[0] / Float(norm)
    let g = grad.floats
    for i in 0..<grad.count { g[i] *= s }
    try logits.accumulate(grad)
  }
  return loss
}
