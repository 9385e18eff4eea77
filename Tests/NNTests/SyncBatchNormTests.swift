import NN
import Tensor
import TestSupport
import XCTest

/// Synchronised BatchNorm (data-parallel --sync-bn) without MPI: the cross-process sum is played
/// by a stand-in that adds the other process's part, computed here from that process's samples
/// with the reference's double-precision statistics. One half of a batch normalised "across"
/// the other must give that half of the whole batch's BatchNorm: output, input gradient (finite
/// differences of the whole batch's loss), and running statistics.
final class SyncBatchNormTests: XCTestCase {
  /// Adds the queued parts of the other processes, one part per collective call, in order.
  final class OtherProcess: CrossProcessSum {
    var parts: [[Double]]
    init(_ parts: [[Double]]) { self.parts = parts }
    func sum(_ values: inout [Double]) throws {
      let part = parts.removeFirst()
      precondition(part.count == values.count, "collective of \(values.count) values, part of \(part.count)")
      for i in values.indices { values[i] += part[i] }
    }
  }

  func testHalfBatchAcrossTheOtherHalfEqualsTheWholeBatch() throws {
    var rng = TestRNG(31)
    let (n, c, h, w) = (4, 3, 3, 2)
    let plane = h * w
    let xs = [n, c, h, w]
    let x = rng.array(n * c * plane).map { $0 * 2 + 0.5 }
    let gamma = rng.array(c).map { $0 + 1.5 }
    let beta = rng.array(c)
    let r = rng.array(n * c * plane)
    let eps = 1e-5
    let halfCount = n / 2 * c * plane
    // This process holds samples 0 and 1; the other samples 2 and 3.
    let (mine, theirs) = (Array(x[..<halfCount]), Array(x[halfCount...]))
    let (rMine, rTheirs) = (Array(r[..<halfCount]), Array(r[halfCount...]))

    // The whole batch's statistics (biased variance, as normalisation uses).
    var mean = [Double](repeating: 0, count: c)
    var variance = [Double](repeating: 0, count: c)
    for ch in 0..<c {
      let values = (0..<n).flatMap { b in (0..<plane).map { x[(b * c + ch) * plane + $0] } }
      mean[ch] = values.reduce(0, +) / Double(values.count)
      variance[ch] = values.map { ($0 - mean[ch]) * ($0 - mean[ch]) }.reduce(0, +) / Double(values.count)
    }
    // The other process's parts of the two collectives: Σx, Σx², count; then Σdy·x̂, Σdy.
    var forward = [Double](repeating: 0, count: 2 * c + 1)
    var backward = [Double](repeating: 0, count: 2 * c)
    for b in 0..<(n / 2) {
      for ch in 0..<c {
        for i in 0..<plane {
          let k = (b * c + ch) * plane + i
          forward[ch] += theirs[k]
          forward[c + ch] += theirs[k] * theirs[k]
          let xhat = (theirs[k] - mean[ch]) / (variance[ch] + eps).squareRoot()
          backward[ch] += rTheirs[k] * xhat
          backward[c + ch] += rTheirs[k]
        }
      }
    }
    forward[2 * c] = Double(n / 2 * plane)

    let bn = try BatchNorm2D("bn", channels: c, momentum: 0.1)
    try bn.weight.value.copy(from: gamma)
    try bn.bias.value.copy(from: beta)
    let other = OtherProcess([forward, backward])
    bn.statisticsAcross = other
    let xv = try variable(mine, [n / 2, c, h, w])
    let y = try runWithSeed(rMine) { try bn(xv) }
    XCTAssertTrue(other.parts.isEmpty, "one collective in forward and one in backward")

    let whole = Ref.batchNorm(x, xs, gamma: gamma, beta: beta, eps: eps)
    assertClose(try doubles(y.value), Array(whole[..<halfCount]), tol: 1e-5, "sync bn forward")
    let dx = Ref.numericGradient(x) { dot(Ref.batchNorm($0, xs, gamma: gamma, beta: beta, eps: eps), r) }
    assertClose(try doubles(xv.grad), Array(dx[..<halfCount]), tol: 1e-4, "sync bn dx")
    // This process's share of dγ and dβ (the gradient all-reduce adds the other's).
    for ch in 0..<c {
      var dgamma = 0.0
      var dbeta = 0.0
      for b in 0..<(n / 2) {
        for i in 0..<plane {
          let k = (b * c + ch) * plane + i
          dgamma += rMine[k] * (mine[k] - mean[ch]) / (variance[ch] + eps).squareRoot()
          dbeta += rMine[k]
        }
      }
      XCTAssertEqual(Double(bn.weight.grad!.floats[ch]), dgamma, accuracy: 1e-4)
      XCTAssertEqual(Double(bn.bias.grad!.floats[ch]), dbeta, accuracy: 1e-4)
      // Running statistics from the whole batch (unbiased variance over all 24 values).
      let m = Double(n * plane)
      XCTAssertEqual(Double(bn.stats.mean.floats[ch]), 0.1 * mean[ch], accuracy: 1e-5)
      XCTAssertEqual(Double(bn.stats.variance.floats[ch]), 0.9 + 0.1 * variance[ch] * m / (m - 1), accuracy: 1e-5)
    }
  }
}

extension Tensor {
  fileprivate func copy(from values: [Double]) throws {
    for (i, v) in values.enumerated() { floats[i] = Float(v) }
  }
}
