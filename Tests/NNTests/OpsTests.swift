import TestSupport
import CDNNL
import NN
import SeededRandom
import Tensor
import XCTest

/// Every op's forward against the double reference and its backward against finite differences
/// of that reference (loss = sum(f(x) · r) for a random r).
final class OpsTests: XCTestCase {
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

  func testReLUAndInPlaceReLU() throws {
    var rng = TestRNG(5)
    let xs = [2, 3, 4, 5]
    let x = rng.array(120)
    let r = rng.array(120)
    for inPlace in [false, true] {
      let xv = try variable(x, xs)
      let y = try runWithSeed(r) { try relu(xv, inPlace: inPlace) }
      XCTAssertEqual(try doubles(y.value), x.map { Double(Float(max(0, $0))) })
      XCTAssertEqual(try doubles(xv.grad), zip(x, r).map { $0 > 0 ? Double(Float($1)) : 0 })
    }
  }

  func testScaleAndAdd() throws {
    var rng = TestRNG(6)
    let xs = [1, 2, 3, 3]
    let a = rng.array(18)
    let b = rng.array(18)
    let r = rng.array(18)
    let av = try variable(a, xs)
    let bv = try variable(b, xs)
    let y = try runWithSeed(r) { try add(scale(av, by: 0.01), bv) }
    assertClose(try doubles(y.value), zip(a, b).map { 0.01 * $0 + $1 }, tol: 1e-6, "scale+add forward")
    assertClose(try doubles(av.grad), r.map { 0.01 * $0 }, tol: 1e-6, "scale grad")
    assertClose(try doubles(bv.grad), r, tol: 1e-6, "add grad")
  }

  func testAddRejectsMismatchedShapes() throws {
    let a = Variable(try Tensor.zeros(shape: [1, 21, 14, 14]))
    let b = Variable(try Tensor.zeros(shape: [1, 21, 15, 15]))
    XCTAssertThrowsError(try add(a, b, name: "fuse_pool4")) { error in
      XCTAssertTrue("\(error)".contains("fuse_pool4") && "\(error)".contains("[1, 21, 15, 15]"), "\(error)")
    }
  }

  func testCropInBlockedLayout() throws {
    // A conv output is in oneDNN's blocked layout; the crop must still pick the right pixels.
    var rng = TestRNG(7)
    let xs = [1, 3, 10, 9]
    let ws = [8, 3, 3, 3]
    let x = rng.array(270)
    let w = rng.array(216)
    let (c, cs) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 1)
    var expected = [Double]()
    for ch in 0..<8 { for i in 2..<7 { for j in 3..<7 { expected.append(c[(ch * cs[2] + i) * cs[3] + j]) } } }
    let r = rng.array(expected.count)
    let xv = try variable(x, xs)
    let wp = try parameter("w", w, ws)
    let y = try runWithSeed(r) {
      try crop(
        conv2d(xv, weight: wp, bias: nil, geometry: ConvGeometry(padding: 1)), top: 2, left: 3, height: 5, width: 4)
    }
    XCTAssertEqual(y.shape, [1, 8, 5, 4])
    assertClose(try doubles(y.value), expected, tol: 1e-5, "crop forward")
    let g = Ref.numericGradient(x) { x in
      let (c, cs) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 1)
      var s = 0.0
      var k = 0
      for ch in 0..<8 {
        for i in 2..<7 {
          for j in 3..<7 {
            s += c[(ch * cs[2] + i) * cs[3] + j] * r[k]
            k += 1
          }
        }
      }
      return s
    }
    assertClose(try doubles(xv.grad), g, tol: 1e-4, "crop dx")
    XCTAssertThrowsError(try crop(xv, top: 8, left: 0, height: 5, width: 4))
  }

  func testMaxPoolFloorAndCeil() throws {
    var rng = TestRNG(8)
    for (xs, k, s, p, ceil) in [
      ([2, 3, 7, 9], 2, 2, 0, true), ([1, 2, 7, 9], 2, 2, 0, false), ([1, 2, 8, 7], 3, 2, 1, true),
      ([1, 1, 1, 1], 2, 2, 0, true),
    ] {
      let x = rng.array(xs.reduce(1, *))
      let (yRef, ys) = Ref.maxPool2d(x, xs, kernel: k, stride: s, pad: p, ceil: ceil)
      let r = rng.array(yRef.count)
      let xv = try variable(x, xs)
      let y = try runWithSeed(r) { try maxPool2d(xv, kernel: k, stride: s, padding: p, ceilMode: ceil) }
      XCTAssertEqual(y.shape, ys, "pool \(xs) k\(k) s\(s) ceil \(ceil)")
      assertClose(try doubles(y.value), yRef, tol: 1e-6, "pool forward")
      let g = Ref.numericGradient(x) { dot(Ref.maxPool2d($0, xs, kernel: k, stride: s, pad: p, ceil: ceil).0, r) }
      assertClose(try doubles(xv.grad), g, tol: 1e-4, "pool dx")
    }
  }

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

  func testDropout2dZeroesWholeChannelsAndScalesSurvivors() throws {
    var rng = TestRNG(10)
    let xs = [4, 16, 3, 3]
    let x = rng.array(xs.reduce(1, *)).map { $0 + 3 }  // never zero
    var gen = Xoshiro256(seed: 42)
    let xv = try variable(x, xs)
    let r = [Double](repeating: 1, count: x.count)
    let y = try runWithSeed(r) { try dropout2d(xv, p: 0.5, training: true, rng: &gen) }
    let yv = try doubles(y.value)
    let gx = try doubles(xv.grad)
    var dropped = 0
    for plane in 0..<64 {
      let range = plane * 9..<(plane + 1) * 9
      let zero = range.allSatisfy { yv[$0] == 0 }
      if zero {
        dropped += 1
      } else {
        for i in range { XCTAssertEqual(yv[i], 2 * Double(Float(x[i])), accuracy: 1e-5) }
      }
      for i in range { XCTAssertEqual(gx[i], zero ? 0 : 2) }
    }
    XCTAssertTrue((16...48).contains(dropped), "dropped \(dropped) of 64 planes at p = 0.5")
    var same = Xoshiro256(seed: 42)
    let again = try dropout2d(Variable(tensor(x, xs)), p: 0.5, training: true, rng: &same)
    XCTAssertEqual(try doubles(again.value), yv, "same seed, same mask")
    let eval = try dropout2d(xv, p: 0.5, training: false, rng: &gen)
    XCTAssertTrue(eval === xv)
  }

  /// The per-channel loop walks each layout by hand, so every layout must give the plain result
  /// (12 channels: the blocked layouts carry padding lanes that must stay zero).
  func testDropout2dGivesTheSameResultInEveryLayout() throws {
    var rng = TestRNG(12)
    let xs = [3, 12, 5, 4]
    let x = rng.array(xs.reduce(1, *))
    let r = rng.array(x.count)
    func run(_ tag: dnnl_format_tag_t) throws -> (y: [Double], dx: [Double], padding: Bool) {
      var gen = Xoshiro256(seed: 9)
      let input = Variable(try tensor(x, xs).reordered(to: MemoryDesc(xs, .f32, tag)), requiresGrad: true)
      let y = try runWithSeed(r) { try dropout2d(input, p: 0.3, training: true, rng: &gen) }
      XCTAssertTrue(y.value.desc.isEqual(input.value.desc), "output keeps the input's layout")
      // Bytes beyond the logical elements (padding lanes) must be zero.
      let all = UnsafeBufferPointer(start: y.value.floats, count: y.value.desc.byteSize / 4)
      let padded = all.filter { $0 != 0 }.count <= x.count
      return (try doubles(y.value), try doubles(input.grad), padded)
    }
    let plain = try run(dnnl_nchw)
    XCTAssertTrue(plain.y.contains(0) && plain.y.contains { $0 != 0 }, "some channels dropped, some kept")
    for tag in [dnnl_nhwc, dnnl_nChw8c, dnnl_nChw16c] {
      let other = try run(tag)
      XCTAssertEqual(other.y, plain.y, "forward in \(tag)")
      XCTAssertEqual(other.dx, plain.dx, "backward in \(tag)")
      XCTAssertTrue(other.padding, "padding lanes stay zero in \(tag)")
    }
  }

  func testCrossEntropyWithIgnoreWeightsAndReductions() throws {
    var rng = TestRNG(11)
    let zs = [2, 4, 3, 3]
    let z = rng.array(72, scale: 3)
    var labels = (0..<18).map { _ in Int32(rng.next() % 4) }
    labels[3] = 255
    labels[10] = 255
    let weights: [Double] = [0.5, 1, 2, 1.5]
    let labelTensor = try Tensor(shape: [2, 3, 3], labels: labels)
    for (w, reduction) in [(nil, Reduction.mean), (weights, .mean), (weights, .sum), (nil, .sum)]
      as [([Double]?, Reduction)]
    {
      let zv = try variable(z, zs)
      let tape = Tape()
      let loss = try tape.record {
        try softmaxCrossEntropy(
          zv, labels: labelTensor, classWeights: w.map { $0.map(Float.init) }, reduction: reduction)
      }
      try tape.backward(from: loss)
      let ref = Ref.crossEntropy(z, zs, labels: labels, weights: w, ignore: 255, mean: reduction == .mean)
      XCTAssertEqual(Double(loss.value.floats[0]), ref, accuracy: 1e-5 * max(1, abs(ref)))
      let g = Ref.numericGradient(z) {
        Ref.crossEntropy($0, zs, labels: labels, weights: w, ignore: 255, mean: reduction == .mean)
      }
      assertClose(try doubles(zv.grad), g, tol: 1e-4, "cross entropy \(reduction) weights \(w != nil)")
    }
    var bad = labels
    bad[0] = 7
    XCTAssertThrowsError(
      try softmaxCrossEntropy(Variable(tensor(z, zs)), labels: Tensor(shape: [2, 3, 3], labels: bad))
    ) {
      XCTAssertTrue("\($0)".contains("label 7"), "\($0)")
    }
  }
}
