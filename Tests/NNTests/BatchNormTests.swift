import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// BatchNorm: training-mode gradients and running statistics against the reference and PyTorch.
final class BatchNormTests: XCTestCase {
  func testBatchNormTrainingGradientsAndRunningStatistics() throws {
    var rng = TestRNG(9)
    let xs = [3, 4, 3, 2]
    let x = rng.array(72).map { $0 * 2 + 0.5 }
    let gamma = rng.array(4)
    let beta = rng.array(4)
    let r = rng.array(72)
    let xv = try variable(x, xs)
    let gp = try parameter("g", gamma, [4])
    let bp = try parameter("b", beta, [4])
    let stats = try RunningStats(channels: 4)
    let y = try runWithSeed(r) { try batchNorm2d(xv, gamma: gp, beta: bp, stats: stats, training: true, momentum: 0.1) }
    assertClose(
      try doubles(y.value), Ref.batchNorm(x, xs, gamma: gamma, beta: beta, eps: 1e-5), tol: 1e-5, "bn forward")
    func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
      dot(Ref.batchNorm(x, xs, gamma: g, beta: b, eps: 1e-5), r)
    }
    assertClose(try doubles(xv.grad), Ref.numericGradient(x) { loss($0, gamma, beta) }, tol: 1e-4, "bn dx")
    assertClose(try doubles(gp.grad), Ref.numericGradient(gamma) { loss(x, $0, beta) }, tol: 1e-4, "bn dgamma")
    assertClose(try doubles(bp.grad), Ref.numericGradient(beta) { loss(x, gamma, $0) }, tol: 1e-4, "bn dbeta")
    // running = 0.9 · initial + 0.1 · batch statistic (unbiased variance), by hand:
    for ch in 0..<4 {
      var vals = [Double]()
      for b in 0..<3 { for i in 0..<6 { vals.append(x[(b * 4 + ch) * 6 + i]) } }
      let m = vals.reduce(0, +) / 18
      let v = vals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 17
      XCTAssertEqual(Double(stats.mean.floats[ch]), 0.1 * m, accuracy: 1e-5)
      XCTAssertEqual(Double(stats.variance.floats[ch]), 0.9 + 0.1 * v, accuracy: 1e-5)
    }
    XCTAssertEqual(stats.batchesTracked, 1)
    // Eval mode normalises with the running statistics.
    let e = try batchNorm2d(Variable(tensor(x, xs)), gamma: gp, beta: bp, stats: stats, training: false)
    let ev = try doubles(e.value)
    for k in [0, 17, 40, 71] {
      let ch = (k / 6) % 4
      let expected =
        (x[k] - Double(stats.mean.floats[ch])) / (Double(stats.variance.floats[ch]) + 1e-5).squareRoot() * gamma[ch]
        + beta[ch]
      XCTAssertEqual(ev[k], expected, accuracy: 1e-5)
    }
  }

  func testBatchNormTrainingAndRunningStatistics() throws {
    let x = try variable("batchnorm.x")
    let g = try parameter("batchnorm.gamma")
    let b = try parameter("batchnorm.beta")
    let stats = try RunningStats(channels: 4)
    try reorder(from: tensor("batchnorm.running_mean0"), to: stats.mean)
    try reorder(from: tensor("batchnorm.running_var0"), to: stats.variance)
    let y = try seeded("batchnorm.r") {
      try batchNorm2d(x, gamma: g, beta: b, stats: stats, training: true, momentum: 0.1)
    }
    try expect(y.value, "batchnorm.y")
    try expect(x.grad, "batchnorm.dx")
    try expect(g.grad, "batchnorm.dgamma")
    try expect(b.grad, "batchnorm.dbeta")
    try expect(stats.mean, "batchnorm.running_mean1")
    try expect(stats.variance, "batchnorm.running_var1")
    let e = try batchNorm2d(Variable(tensor("batchnorm.x")), gamma: g, beta: b, stats: stats, training: false)
    try expect(e.value, "batchnorm.y_eval")
  }
}
