import Foundation
import Tensor

/// Logits [N, K, H, W] in the plain layout with their labels, checked once for all loss terms,
/// and each pixel's log-sum-exp so a term gets softmax probabilities without recomputing it.
/// Pixels are numbered p = b·HW + i; logit (p, c) sits at base(p) + c·HW, base(p) = b·K·HW + i.
/// Terms read through raw pointers: these loops run over every logit of a batch (millions at
/// 512×512), where array bounds checks and class property reads cost more than the arithmetic.
final class LabelledLogits {
  let plain: Tensor
  let z: UnsafeMutablePointer<Float>
  let n: Int
  let k: Int
  let hw: Int
  /// Each pixel's label, −1 when ignored (4 bytes a pixel).
  let labels: UnsafeMutablePointer<Int32>
  /// Pixels that are not ignored.
  let countedPixels: Int
  let classWeights: [Double]?
  /// log Σ_c exp(z_pc), in double precision.
  let logSumExp: UnsafeMutablePointer<Double>

  init(_ logits: Tensor, labels labelTensor: Tensor, ignoreIndex: Int32, classWeights: [Float]?) throws {
    let zs = logits.shape
    guard zs.count == 4, labelTensor.shape == [zs[0], zs[2], zs[3]] else {
      throw TensorError.shapeMismatch(
        op: "loss", detail: "logits \(describe(zs)) need labels [N, H, W], got \(describe(labelTensor.shape))")
    }
    guard labelTensor.dtype == .s32 else {
      throw TensorError.dtypeMismatch(op: "loss", detail: "labels must be int32, got \(labelTensor.dtype)")
    }
    let (n, k, hw) = (zs[0], zs[1], zs[2] * zs[3])
    (self.n, self.k, self.hw) = (n, k, hw)
    if let classWeights, classWeights.count != k {
      throw TensorError.shapeMismatch(op: "loss", detail: "\(classWeights.count) class weights for \(k) classes")
    }
    self.classWeights = classWeights?.map(Double.init)
    let source = labelTensor.int32s
    var counted = 0
    for p in 0..<n * hw {
      let t = source[p]
      if t == ignoreIndex { continue }
      guard t >= 0, Int(t) < k else {
        throw TensorError.shapeMismatch(
          op: "loss",
          detail:
            "label \(t) at sample \(p / hw), pixel \(p % hw) is outside 0..<\(k) and is not the ignore index \(ignoreIndex)"
        )
      }
      counted += 1
    }
    plain = try logits.plain()
    z = plain.floats
    labels = .allocate(capacity: max(n * hw, 1))
    for p in 0..<n * hw { labels[p] = source[p] == ignoreIndex ? -1 : source[p] }
    countedPixels = counted
    logSumExp = .allocate(capacity: max(n * hw, 1))
    for p in 0..<n * hw {
      let base = self.base(p)
      var m = -Double.infinity
      for c in 0..<k { m = max(m, Double(z[base + c * hw])) }
      var s = 0.0
      for c in 0..<k { s += exp(Double(z[base + c * hw]) - m) }
      logSumExp[p] = m + log(s)
    }
  }

  deinit {
    labels.deallocate()
    logSumExp.deallocate()
  }

  var pixels: Int { n * hw }

  /// Offset of pixel p's class-0 logit; class c is c·HW further.
  @inline(__always) func base(_ p: Int) -> Int { (p / hw) * k * hw + p % hw }

  /// Pixel p's class, nil when it is ignored.
  @inline(__always) func label(_ p: Int) -> Int? { labels[p] >= 0 ? Int(labels[p]) : nil }

  /// softmax(z_p) into `out[0..<K]`.
  @inline(__always) func softmax(_ p: Int, into out: UnsafeMutablePointer<Double>) {
    let b = base(p)
    let l = logSumExp[p]
    for c in 0..<k { out[c] = exp(Double(z[b + c * hw]) - l) }
  }

  /// Counted (not ignored) pixels of each class.
  func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: k)
    for p in 0..<pixels where labels[p] >= 0 { counts[Int(labels[p])] += 1 }
    return counts
  }

  /// Adds scale · d/dz of a term given its gradient w.r.t. pixel p's probabilities `dp`
  /// (softmax backward: dz_c = p_c (dp_c − Σ_j dp_j p_j)).
  @inline(__always) func addSoftmaxBackward(
    pixel p: Int, probabilities: UnsafeMutablePointer<Double>, dp: UnsafeMutablePointer<Double>,
    into sink: GradientSink
  ) {
    var dot = 0.0
    for c in 0..<k { dot += dp[c] * probabilities[c] }
    let b = base(p)
    for c in 0..<k { sink.buffer[b + c * hw] += Float(sink.scale * probabilities[c] * (dp[c] - dot)) }
  }
}

/// A scratch buffer of K doubles per term, freed when the term returns.
func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Double>) -> R) -> R {
  let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
  buffer.initialize(repeating: 0, count: max(count, 1))
  defer { buffer.deallocate() }
  return body(buffer)
}
