import Foundation
import Tensor

/// Logits [N, K, H, W] in the plain layout with their labels, checked once for all loss terms,
/// and each pixel's log-sum-exp so a term gets softmax probabilities without recomputing it.
/// Pixels are numbered p = b·HW + i; logit (p, c) sits at b·K·HW + c·HW + i.
struct LabelledLogits {
  let plain: Tensor
  let n: Int
  let k: Int
  let hw: Int
  /// Each pixel's label, −1 when ignored (4 bytes a pixel: a batch of 512² crops has millions).
  private let labels: [Int32]
  /// Pixels that are not ignored.
  let countedPixels: Int
  let classWeights: [Double]?
  /// log Σ_c exp(z_pc), in double precision.
  let logSumExp: [Double]

  init(_ logits: Tensor, labels: Tensor, ignoreIndex: Int32, classWeights: [Float]?) throws {
    let zs = logits.shape
    guard zs.count == 4, labels.shape == [zs[0], zs[2], zs[3]] else {
      throw TensorError.shapeMismatch(
        op: "loss", detail: "logits \(describe(zs)) need labels [N, H, W], got \(describe(labels.shape))")
    }
    guard labels.dtype == .s32 else {
      throw TensorError.dtypeMismatch(op: "loss", detail: "labels must be int32, got \(labels.dtype)")
    }
    (n, k, hw) = (zs[0], zs[1], zs[2] * zs[3])
    if let classWeights, classWeights.count != k {
      throw TensorError.shapeMismatch(op: "loss", detail: "\(classWeights.count) class weights for \(k) classes")
    }
    self.classWeights = classWeights?.map(Double.init)
    plain = try logits.plain()
    var read = [Int32](repeating: -1, count: n * hw)
    for p in 0..<n * hw {
      let t = labels.int32s[p]
      if t == ignoreIndex { continue }
      guard t >= 0, Int(t) < k else {
        throw TensorError.shapeMismatch(
          op: "loss",
          detail:
            "label \(t) at sample \(p / hw), pixel \(p % hw) is outside 0..<\(k) and is not the ignore index \(ignoreIndex)"
        )
      }
      read[p] = t
    }
    self.labels = read
    countedPixels = read.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
    var lse = [Double](repeating: 0, count: n * hw)
    let z = plain.floats
    for p in 0..<n * hw {
      let base = (p / hw) * k * hw + p % hw
      var m = -Double.infinity
      for c in 0..<k { m = max(m, Double(z[base + c * hw])) }
      var s = 0.0
      for c in 0..<k { s += exp(Double(z[base + c * hw]) - m) }
      lse[p] = m + log(s)
    }
    logSumExp = lse
  }

  var pixels: Int { n * hw }

  /// Pixel p's class, nil when it is ignored.
  @inline(__always) func label(_ p: Int) -> Int? { labels[p] >= 0 ? Int(labels[p]) : nil }

  /// Offset of logit (pixel p, class c) in the plain buffer.
  @inline(__always) func index(_ p: Int, _ c: Int) -> Int { (p / hw) * k * hw + c * hw + p % hw }

  @inline(__always) func logit(_ p: Int, _ c: Int) -> Double { Double(plain.floats[index(p, c)]) }

  /// softmax(z_p)_c.
  @inline(__always) func probability(_ p: Int, _ c: Int) -> Double { exp(logit(p, c) - logSumExp[p]) }

  /// Counted (not ignored) pixels of each class.
  func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: k)
    for t in labels where t >= 0 { counts[Int(t)] += 1 }
    return counts
  }

  /// Adds scale · d/dz of a term given its gradient w.r.t. pixel p's probabilities `dp`
  /// (softmax backward: dz_c = p_c (dp_c − Σ_j dp_j p_j)).
  @inline(__always) func addSoftmaxBackward(
    pixel p: Int, probabilities: [Double], dp: [Double], into sink: GradientSink
  ) {
    var dot = 0.0
    for c in 0..<k { dot += dp[c] * probabilities[c] }
    for c in 0..<k { sink.buffer[index(p, c)] += Float(sink.scale * probabilities[c] * (dp[c] - dot)) }
  }
}
