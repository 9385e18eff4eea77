import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// Convolutions and transposed convolutions: against the double reference with finite differences, the adjoint identity, PyTorch golden values, and shape errors.
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

  func testConvTranspose2d() throws {
    var rng = TestRNG(3)
    let cases: [(xs: [Int], ws: [Int], stride: Int, pad: Int, opad: Int, bias: Bool)] = [
      ([1, 3, 4, 5], [3, 2, 4, 4], 2, 1, 0, false),
      ([2, 2, 3, 3], [2, 3, 3, 3], 2, 1, 1, true),
      ([1, 2, 2, 3], [2, 2, 16, 16], 8, 4, 0, false),
      ([1, 4, 5, 4], [4, 2, 3, 3], 1, 1, 0, true),
    ]
    for c in cases {
      let x = rng.array(c.xs.reduce(1, *))
      let w = rng.array(c.ws.reduce(1, *), scale: 0.5)
      let b = c.bias ? rng.array(c.ws[1]) : nil
      let (yRef, ys) = Ref.convTranspose2d(x, c.xs, w, c.ws, b, stride: c.stride, pad: c.pad, outputPadding: c.opad)
      let r = rng.array(yRef.count)
      let xv = try variable(x, c.xs)
      let wp = try parameter("w", w, c.ws)
      let bp = try b.map { try parameter("b", $0, [c.ws[1]]) }
      let y = try runWithSeed(r) {
        try convTranspose2d(xv, weight: wp, bias: bp, stride: c.stride, padding: c.pad, outputPadding: c.opad)
      }
      XCTAssertEqual(y.shape, ys)
      assertClose(try doubles(y.value), yRef, tol: 1e-5, "deconv \(c) forward")
      func loss(_ x: [Double], _ w: [Double], _ b: [Double]?) -> Double {
        dot(Ref.convTranspose2d(x, c.xs, w, c.ws, b, stride: c.stride, pad: c.pad, outputPadding: c.opad).0, r)
      }
      assertClose(try doubles(xv.grad), Ref.numericGradient(x) { loss($0, w, b) }, tol: 1e-4, "deconv \(c) dx")
      assertClose(try doubles(wp.grad), Ref.numericGradient(w) { loss(x, $0, b) }, tol: 1e-4, "deconv \(c) dw")
      if let b, let bp {
        assertClose(try doubles(bp.grad), Ref.numericGradient(b) { loss(x, w, $0) }, tol: 1e-4, "deconv \(c) db")
      }
    }
  }

  /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with the same weights and geometry (no bias).
  func testConvAndTransposedConvAreAdjoint() throws {
    var rng = TestRNG(4)
    let xs = [2, 3, 9, 7]
    let ws = [5, 3, 3, 3]
    let x = rng.array(xs.reduce(1, *))
    let w = rng.array(ws.reduce(1, *))
    let wp = try parameter("w", w, ws)
    let cx = try conv2d(Variable(tensor(x, xs)), weight: wp, bias: nil, geometry: ConvGeometry(stride: 2, padding: 1))
    let ys = cx.shape
    let yv = rng.array(ys.reduce(1, *))
    // ConvTranspose2d's weight [in=5, out=3, k, k] is the conv weight [out=5, in=3, k, k] reused.
    let opad = xs[2] - ConvGeometry.deconvOutput(ys[2], kernel: 3, stride: 2, padding: 1, dilation: 1, outputPadding: 0)
    XCTAssertEqual(
      opad, xs[3] - ConvGeometry.deconvOutput(ys[3], kernel: 3, stride: 2, padding: 1, dilation: 1, outputPadding: 0))
    let ty = try convTranspose2d(
      Variable(tensor(yv, ys)), weight: wp, bias: nil, stride: 2, padding: 1, outputPadding: opad)
    XCTAssertEqual(ty.shape, xs)
    let lhs = dot(try doubles(cx.value), yv)
    let rhs = dot(x, try doubles(ty.value))
    XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
  }

  func testConvolutions() throws {
    for name in ["conv3x3", "conv_grouped_dilated", "conv7x7_fc6"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let w = try parameter("\(name).w")
      let b = try parameter("\(name).b")
      let y = try seeded("\(name).r") {
        try conv2d(
          x, weight: w, bias: b, geometry: ConvGeometry(stride: c[0], padding: c[1], dilation: c[2]), groups: c[3])
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
      try expect(w.grad, "\(name).dw")
      try expect(b.grad, "\(name).db")
    }
  }

  func testTransposedConvolutions() throws {
    for name in ["deconv_k4s2", "deconv_k16s8", "deconv_opad"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let w = try parameter("\(name).w")
      let b = GoldenOps.fixtures["\(name).b"] != nil ? try parameter("\(name).b") : nil
      let y = try seeded("\(name).r") {
        try convTranspose2d(x, weight: w, bias: b, stride: c[0], padding: c[1], outputPadding: c[2])
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
      try expect(w.grad, "\(name).dw")
      if let b { try expect(b.grad, "\(name).db") }
    }
  }
}
