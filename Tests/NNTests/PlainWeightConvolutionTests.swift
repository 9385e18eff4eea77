import CDNNL
import Tensor
import TestSupport
import XCTest

@testable import NN

/// The largest convolution weights (the paper's fc6 and fc7) run in their plain layout, and
/// backward-weights writes straight into the gradient (LayoutSweepTests sweeps them): a second
/// backward into the same parameter must add to, not overwrite, what the first wrote.
final class PlainWeightConvolutionTests: XCTestCase {
  override func tearDown() { plainWeightBytes = 64 << 20 }

  func testASecondBackwardAddsToTheGradient() throws {
    var rng = TestRNG(5)
    let xs = [2, 11, 9, 8]
    let ws = [21, 11, 7, 7]
    let x = rng.array(xs.reduce(1, *))
    let w = rng.array(ws.reduce(1, *), scale: 0.5)
    let (_, ys) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 0)
    let r = rng.array(ys.reduce(1, *))
    let (_, dwRef, _) = Ref.conv2dGradients(xs: xs, x: x, ws: ws, w: w, ys: ys, r: r, stride: 1, pad: 0)
    for threshold in [0, 64 << 20] {
      plainWeightBytes = threshold
      let wp = try parameter("w", w, ws)
      for _ in 0..<2 {
        let xv = Variable(try tensor(x, xs), requiresGrad: true)
        _ = try runWithSeed(r) { try conv2d(xv, weight: wp, bias: nil) }
      }
      assertClose(try doubles(wp.grad), dwRef.map { 2 * $0 }, tol: 1e-4, "threshold \(threshold): twice dw")
    }
  }
}
