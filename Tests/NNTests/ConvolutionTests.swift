import TestSupport
import NN
import Tensor
import XCTest

final class ConvolutionTests: XCTestCase {
  /// Forward and all three gradients against the double reference, for several geometries
  /// (stride, padding that does not divide evenly, dilation, groups).
  func testConv2dMatchesReferenceAndFiniteDifferences() throws {
    let cases: [(xs: [Int], ws: [Int], stride: Int, pad: Int, dil: Int, groups: Int)] = [
      ([2, 3, 7, 6], [4, 3, 3, 3], 1, 1, 1, 1),
      ([1, 4, 9, 8], [6, 2, 3, 3], 2, 1, 1, 2),
      ([2, 2, 8, 7], [3, 2, 3, 2], 1, 2, 2, 1),
      ([1, 3, 5, 5], [5, 3, 1, 1], 1, 0, 1, 1),
      ([1, 8, 10, 10], [16, 8, 3, 3], 2, 0, 1, 1),
    ]
    var rng = TestRNG(1)
    for c in cases {
      let x = rng.array(c.xs.reduce(1, *))
      let w = rng.array(c.ws.reduce(1, *), scale: 0.5)
      let b = rng.array(c.ws[0])
      let (yRef, ys) = Ref.conv2d(x, c.xs, w, c.ws, b, stride: c.stride, pad: c.pad, dilation: c.dil, groups: c.groups)
      let r = rng.array(yRef.count)
      let xv = try variable(x, c.xs)
      let wp = try parameter("w", w, c.ws)
      let bp = try parameter("b", b, [c.ws[0]])
      let y = try runWithSeed(r) {
        try conv2d(
          xv, weight: wp, bias: bp, geometry: ConvGeometry(stride: c.stride, padding: c.pad, dilation: c.dil),
          groups: c.groups)
      }
      XCTAssertEqual(y.shape, ys)
      let what = "conv \(c)"
      assertClose(try doubles(y.value), yRef, tol: 1e-5, "\(what) forward")
      func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
        dot(Ref.conv2d(x, c.xs, w, c.ws, b, stride: c.stride, pad: c.pad, dilation: c.dil, groups: c.groups).0, r)
      }
      assertClose(try doubles(xv.grad), Ref.numericGradient(x) { loss($0, w, b) }, tol: 1e-4, "\(what) dx")
      assertClose(try doubles(wp.grad), Ref.numericGradient(w) { loss(x, $0, b) }, tol: 1e-4, "\(what) dw")
      assertClose(try doubles(bp.grad), Ref.numericGradient(b) { loss(x, w, $0) }, tol: 1e-4, "\(what) db")
    }
  }

  func testFusedReLUForwardAndBackward() throws {
    var rng = TestRNG(2)
    let xs = [2, 3, 6, 6]
    let ws = [4, 3, 3, 3]
    let x = rng.array(72 * 3)
    let w = rng.array(108, scale: 0.5)
    let (pre, _) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 1)
    let r = rng.array(pre.count)
    let xv = try variable(x, xs)
    let wp = try parameter("w", w, ws)
    let y = try runWithSeed(r) {
      try conv2d(xv, weight: wp, bias: nil, geometry: ConvGeometry(padding: 1), fuseReLU: true)
    }
    assertClose(try doubles(y.value), pre.map { max(0, $0) }, tol: 1e-5, "conv+relu forward")
    let g = Ref.numericGradient(x) { dot(Ref.conv2d($0, xs, w, ws, nil, stride: 1, pad: 1).0.map { max(0, $0) }, r) }
    assertClose(try doubles(xv.grad), g, tol: 1e-4, "conv+relu dx")
  }

  func testMismatchedChannelsThrowNamingBothShapes() throws {
    let x = Variable(try Tensor.zeros(shape: [1, 3, 8, 8]))
    let w = try Parameter("w", Tensor.zeros(shape: [4, 5, 3, 3]))
    XCTAssertThrowsError(try conv2d(x, weight: w, bias: nil, name: "conv1_1")) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("conv1_1"), message)
      XCTAssertTrue(message.contains("[1, 3, 8, 8]") && message.contains("[4, 5, 3, 3]"), message)
    }
  }
}
