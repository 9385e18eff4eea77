import CDNNL
import NN
import Tensor
import TestSupport
import XCTest

/// Every op fed every activation layout oneDNN may hand it (plain, nhwc, nChw4c/8c/16c) at the
/// class and channel counts users have. Blocked layouts pad channels to the block, and oneDNN
/// picks a different kernel per layout and channel count: issue 11's deconvolution bias bug
/// showed only at 8+ channels. Forward values are compared with the double reference; gradients
/// with the reference where it is short to write, else with the plain-layout run of the same op
/// (which OpsTests checks by finite differences).
final class LayoutSweepTests: XCTestCase {
  static let channelCounts = [1, 2, 3, 8, 11, 16, 21]
  static let layouts: [dnnl_format_tag_t] = [dnnl_nchw, dnnl_nhwc, dnnl_nChw4c, dnnl_nChw8c, dnnl_nChw16c]

  func input(_ v: [Double], _ shape: [Int], _ tag: dnnl_format_tag_t) throws -> Variable {
    Variable(try tensor(v, shape).reordered(to: MemoryDesc(shape, .f32, tag)), requiresGrad: true)
  }

  func name(_ tag: dnnl_format_tag_t) -> String { String(cString: dnnl_fmt_tag2str(tag)) }

  /// Convolutions as the FCN heads and backbones use them (1×1 score layers, 3×3 pad 1, a 7×7
  /// fc6, a stride-2 case), with bias and with fused ReLU, from 1 to 21 output channels.
  func testConvolutionAtEveryChannelCount() throws {
    var rng = TestRNG(21)
    let geometries: [(k: Int, s: Int, p: Int, relu: Bool)] = [
      (1, 1, 0, false), (3, 1, 1, true), (7, 1, 0, false), (3, 2, 1, false),
    ]
    for g in geometries {
      for cin in [3, 11, 16] {
        for cout in Self.channelCounts {
          let xs = [2, cin, 9, 8]
          let ws = [cout, cin, g.k, g.k]
          let x = rng.array(xs.reduce(1, *))
          let w = rng.array(ws.reduce(1, *), scale: 0.5)
          let b = rng.array(cout)
          let (pre, ys) = Ref.conv2d(x, xs, w, ws, b, stride: g.s, pad: g.p)
          let yRef = g.relu ? pre.map { max(0, $0) } : pre
          let r = rng.array(yRef.count)
          let rEff = g.relu ? zip(r, pre).map { $1 > 0 ? $0 : 0 } : r
          let tag = Self.layouts[(cin + cout) % Self.layouts.count]
          let xv = try input(x, xs, tag)
          let wp = try parameter("w", w, ws)
          let bp = try parameter("b", b, [cout])
          let y = try runWithSeed(r) {
            try conv2d(
              xv, weight: wp, bias: bp, geometry: ConvGeometry(stride: g.s, padding: g.p), fuseReLU: g.relu)
          }
          let what = "conv k\(g.k) s\(g.s) p\(g.p) relu \(g.relu) \(cin)→\(cout), input \(name(tag))"
          XCTAssertEqual(y.shape, ys, what)
          let (dx, dw, db) = Ref.conv2dGradients(xs: xs, x: x, ws: ws, w: w, ys: ys, r: rEff, stride: g.s, pad: g.p)
          assertClose(try doubles(y.value), yRef, tol: 1e-5, "\(what) forward")
          assertClose(try doubles(xv.grad), dx, tol: 1e-4, "\(what) dx")
          assertClose(try doubles(wp.grad), dw, tol: 1e-4, "\(what) dw")
          assertClose(try doubles(bp.grad), db, tol: 1e-4, "\(what) db")
          try assertPaddingIsZero(y.value, what)
        }
      }
    }
  }

  func testPoolingBatchNormReLUScaleCropAndAddInEveryLayout() throws {
    var rng = TestRNG(22)
    for c in Self.channelCounts {
      for tag in Self.layouts {
        let xs = [2, c, 7, 6]
        let n = xs.reduce(1, *)
        let x = rng.array(n)
        let what = "\(c) channels, \(name(tag))"

        // Max pooling, ceil mode (the paper's pools): gradient goes to each window's maximum.
        let (pRef, ps) = Ref.maxPool2d(x, xs, kernel: 2, stride: 2, pad: 0, ceil: true)
        let rp = rng.array(pRef.count)
        let xp = try input(x, xs, tag)
        let p = try runWithSeed(rp) { try maxPool2d(xp, kernel: 2, stride: 2, ceilMode: true) }
        XCTAssertEqual(p.shape, ps, what)
        assertClose(try doubles(p.value), pRef, tol: 1e-6, "max pool \(what) forward")
        assertClose(try doubles(xp.grad), Self.maxPoolGradient(x, xs, ps, rp), tol: 1e-6, "max pool \(what) dx")
        try assertPaddingIsZero(p.value, "max pool \(what)")

        // ReLU, scale, crop: gradients are masks, factors and windows of r.
        let rr = rng.array(n)
        let xr = try input(x, xs, tag)
        let yr = try runWithSeed(rr) { try scale(relu(xr), by: 0.25) }
        assertClose(try doubles(yr.value), x.map { max(0, $0) * 0.25 }, tol: 1e-6, "relu·scale \(what) forward")
        assertClose(try doubles(xr.grad), zip(x, rr).map { $0 > 0 ? $1 * 0.25 : 0 }, tol: 1e-6, "relu·scale \(what) dx")

        let xc = try input(x, xs, tag)
        let rc = rng.array(2 * c * 4 * 3)
        let yc = try runWithSeed(rc) { try crop(xc, top: 2, left: 1, height: 4, width: 3) }
        var cRef = [Double]()
        var dcRef = [Double](repeating: 0, count: n)
        var k = 0
        for b in 0..<2 {
          for ch in 0..<c {
            for i in 2..<6 {
              for j in 1..<4 {
                let idx = ((b * c + ch) * 7 + i) * 6 + j
                cRef.append(x[idx])
                dcRef[idx] = rc[k]
                k += 1
              }
            }
          }
        }
        assertClose(try doubles(yc.value), cRef, tol: 1e-6, "crop \(what) forward")
        assertClose(try doubles(xc.grad), dcRef, tol: 1e-6, "crop \(what) dx")

        // Add with the second operand in another layout.
        let x2 = rng.array(n)
        let other = Self.layouts[(Self.layouts.firstIndex(of: tag)! + 2) % Self.layouts.count]
        let xa = try input(x, xs, tag)
        let xb = try input(x2, xs, other)
        let ra = rng.array(n)
        let ya = try runWithSeed(ra) { try add(xa, xb) }
        assertClose(try doubles(ya.value), zip(x, x2).map { $0 + $1 }, tol: 1e-6, "add \(what) + \(name(other))")
        assertClose(try doubles(xa.grad), ra, tol: 1e-6, "add \(what) da")
        assertClose(try doubles(xb.grad), ra, tol: 1e-6, "add \(what) db")

        // BatchNorm in training mode: forward against the reference, gradients against the plain run.
        let gamma = rng.array(c, scale: 0.5).map { $0 + 1 }
        let beta = rng.array(c)
        let rb = rng.array(n)
        func runBN(_ layout: dnnl_format_tag_t) throws -> (y: [Double], dx: [Double], dg: [Double], db: [Double]) {
          let xv = try input(x, xs, layout)
          let g = try parameter("g", gamma, [c])
          let bt = try parameter("b", beta, [c])
          let y = try runWithSeed(rb) {
            try batchNorm2d(xv, gamma: g, beta: bt, stats: RunningStats(channels: c), training: true)
          }
          try assertPaddingIsZero(y.value, "batch norm \(what)")
          return (try doubles(y.value), try doubles(xv.grad), try doubles(g.grad), try doubles(bt.grad))
        }
        let bn = try runBN(tag)
        let plain = try runBN(dnnl_nchw)
        assertClose(
          bn.y, Ref.batchNorm(x, xs, gamma: gamma, beta: beta, eps: 1e-5), tol: 1e-5, "batch norm \(what) forward")
        assertClose(bn.dx, plain.dx, tol: 1e-5, "batch norm \(what) dx")
        assertClose(bn.dg, plain.dg, tol: 1e-5, "batch norm \(what) dgamma")
        assertClose(bn.db, plain.db, tol: 1e-5, "batch norm \(what) dbeta")
      }
    }
  }

  /// Logits in a blocked layout with padded classes: the loss and its gradient ignore the padding.
  func testCrossEntropyOnBlockedLogits() throws {
    var rng = TestRNG(23)
    for k in Self.channelCounts {
      for tag in Self.layouts {
        let zs = [2, k, 5, 3]
        let z = rng.array(zs.reduce(1, *), scale: 3)
        var labels = (0..<(2 * 15)).map { _ in Int32.random(in: 0..<Int32(k)) }
        labels[4] = 255
        let lt = try Tensor(shape: [2, 5, 3], labels: labels)
        let zv = try input(z, zs, tag)
        let loss = try runWithSeed([1]) { try softmaxCrossEntropy(zv, labels: lt) }
        let lRef = Ref.crossEntropy(z, zs, labels: labels, weights: nil, ignore: 255, mean: true)
        let what = "cross-entropy \(k) classes, \(name(tag))"
        assertClose(try doubles(loss.value), [lRef], tol: 1e-5, "\(what) loss")
        let g = Ref.numericGradient(z) {
          Ref.crossEntropy($0, zs, labels: labels, weights: nil, ignore: 255, mean: true)
        }
        assertClose(try doubles(zv.grad), g, tol: 1e-5, "\(what) gradient")
      }
    }
  }

  /// oneDNN expects the channel padding of a blocked tensor to hold zeros; an op that leaves
  /// garbage there corrupts the next op that reads whole blocks.
  func assertPaddingIsZero(_ t: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let block: Int
    switch t.desc.tag {
    case dnnl_nChw4c: block = 4
    case dnnl_nChw8c: block = 8
    case dnnl_nChw16c: block = 16
    default: return
    }
    let (n, c, hw) = (t.shape[0], t.shape[1], t.shape[2] * t.shape[3])
    let cp = (c + block - 1) / block * block
    guard cp > c else { return }
    let f = t.floats
    var nonZero = 0
    for b in 0..<n {
      for ch in c..<cp {
        let (cb, ci) = (ch / block, ch % block)
        for i in 0..<hw where f[((b * cp / block + cb) * hw + i) * block + ci] != 0 { nonZero += 1 }
      }
    }
    XCTAssertEqual(nonZero, 0, "\(what): \(nonZero) non-zero values in the channel padding", file: file, line: line)
  }

  static func maxPoolGradient(_ x: [Double], _ xs: [Int], _ ys: [Int], _ r: [Double]) -> [Double] {
    let (nc, h, w) = (xs[0] * xs[1], xs[2], xs[3])
    let (oh, ow) = (ys[2], ys[3])
    var dx = [Double](repeating: 0, count: x.count)
    for p in 0..<nc {
      for i in 0..<oh {
        for j in 0..<ow {
          var best = -1
          for a in 0..<2 {
            for b in 0..<2 {
              let (yy, xx) = (i * 2 + a, j * 2 + b)
              guard yy < h, xx < w else { continue }
              let idx = (p * h + yy) * w + xx
              if best < 0 || x[idx] > x[best] { best = idx }
            }
          }
          dx[best] += r[(p * oh + i) * ow + j]
        }
      }
    }
    return dx
  }
}
