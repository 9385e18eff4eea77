import Foundation
import SeededRandom

/// Naive double-precision reference implementations, written from the definitions, against
/// which the oneDNN-backed ops are checked (forward values, and by finite differences, gradients).
enum Ref {
  /// x [N,C,H,W], w [O,C/g,kh,kw], PyTorch conv2d semantics.
  static func conv2d(
    _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, pad: Int,
    dilation: Int = 1, groups: Int = 1
  ) -> ([Double], [Int]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
    let oh = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1
    let ow = (wd + 2 * pad - dilation * (kw - 1) - 1) / stride + 1
    var y = [Double](repeating: 0, count: n * o * oh * ow)
    let og = o / groups
    for b0 in 0..<n {
      for oc in 0..<o {
        let gi = oc / og
        for i in 0..<oh {
          for j in 0..<ow {
            var s = b?[oc] ?? 0
            for ic in 0..<cg {
              let cin = gi * cg + ic
              for p in 0..<kh {
                for q in 0..<kw {
                  let yy = i * stride - pad + p * dilation
                  let xx = j * stride - pad + q * dilation
                  if yy < 0 || yy >= h || xx < 0 || xx >= wd { continue }
                  s += x[((b0 * c + cin) * h + yy) * wd + xx] * w[((oc * cg + ic) * kh + p) * kw + q]
                }
              }
            }
            y[((b0 * o + oc) * oh + i) * ow + j] = s
          }
        }
      }
    }
    return (y, [n, o, oh, ow])
  }

  /// x [N,C,H,W], w [C,O,kh,kw] (PyTorch ConvTranspose2d layout), groups 1.
  static func convTranspose2d(
    _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, pad: Int,
    outputPadding: Int = 0
  ) -> ([Double], [Int]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, kh, kw) = (ws[1], ws[2], ws[3])
    let oh = (h - 1) * stride - 2 * pad + kh + outputPadding
    let ow = (wd - 1) * stride - 2 * pad + kw + outputPadding
    var y = [Double](repeating: 0, count: n * o * oh * ow)
    for b0 in 0..<n {
      for oc in 0..<o {
        for i in 0..<oh * ow { y[(b0 * o + oc) * oh * ow + i] = b?[oc] ?? 0 }
      }
      for ic in 0..<c {
        for i in 0..<h {
          for j in 0..<wd {
            let v = x[((b0 * c + ic) * h + i) * wd + j]
            for oc in 0..<o {
              for p in 0..<kh {
                for q in 0..<kw {
                  let yy = i * stride - pad + p
                  let xx = j * stride - pad + q
                  if yy < 0 || yy >= oh || xx < 0 || xx >= ow { continue }
                  y[((b0 * o + oc) * oh + yy) * ow + xx] += v * w[((ic * o + oc) * kh + p) * kw + q]
                }
              }
            }
          }
        }
      }
    }
    return (y, [n, o, oh, ow])
  }

  /// Max pooling with PyTorch's floor/ceil output rule (padding counts as -inf).
  static func maxPool2d(_ x: [Double], _ xs: [Int], kernel: Int, stride: Int, pad: Int, ceil: Bool) -> ([Double], [Int])
  {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    // PyTorch's documented formula: floor or ceil of (H + 2p - k) / s + 1, and in ceil mode
    // the last window must start inside the input or left padding.
    func out(_ s: Int) -> Int {
      let q = Double(s + 2 * pad - kernel) / Double(stride) + 1
      var o = Int(ceil ? q.rounded(.up) : q.rounded(.down))
      if ceil && (o - 1) * stride >= s + pad { o -= 1 }
      return o
    }
    let oh = out(h)
    let ow = out(wd)
    var y = [Double](repeating: 0, count: n * c * oh * ow)
    for nc in 0..<n * c {
      for i in 0..<oh {
        for j in 0..<ow {
          var m = -Double.infinity
          for p in 0..<kernel {
            for q in 0..<kernel {
              let yy = i * stride - pad + p
              let xx = j * stride - pad + q
              if yy < 0 || yy >= h || xx < 0 || xx >= wd { continue }
              m = max(m, x[(nc * h + yy) * wd + xx])
            }
          }
          y[(nc * oh + i) * ow + j] = m
        }
      }
    }
    return (y, [n, c, oh, ow])
  }

  /// Training-mode batch norm: batch mean and biased variance per channel.
  static func batchNorm(_ x: [Double], _ xs: [Int], gamma: [Double], beta: [Double], eps: Double) -> [Double] {
    let (n, c, hw) = (xs[0], xs[1], xs[2] * xs[3])
    var y = x
    for ch in 0..<c {
      var mean = 0.0
      var sq = 0.0
      for b in 0..<n { for i in 0..<hw { mean += x[(b * c + ch) * hw + i] } }
      mean /= Double(n * hw)
      for b in 0..<n {
        for i in 0..<hw {
          let d = x[(b * c + ch) * hw + i] - mean
          sq += d * d
        }
      }
      let v = sq / Double(n * hw)
      for b in 0..<n {
        for i in 0..<hw {
          let k = (b * c + ch) * hw + i
          y[k] = (x[k] - mean) / (v + eps).squareRoot() * gamma[ch] + beta[ch]
        }
      }
    }
    return y
  }

  /// Mean softmax cross-entropy over pixels (logits [N,K,H,W], labels [N,H,W]) with ignore index
  /// and class weights, PyTorch's definition of `mean` with weights.
  static func crossEntropy(
    _ z: [Double], _ zs: [Int], labels: [Int32], weights: [Double]?, ignore: Int32, mean: Bool
  ) -> Double {
    let (n, k, hw) = (zs[0], zs[1], zs[2] * zs[3])
    var total = 0.0
    var wsum = 0.0
    for b in 0..<n {
      for i in 0..<hw {
        let t = labels[b * hw + i]
        if t == ignore { continue }
        var m = -Double.infinity
        for c in 0..<k { m = max(m, z[(b * k + c) * hw + i]) }
        var s = 0.0
        for c in 0..<k { s += exp(z[(b * k + c) * hw + i] - m) }
        let lse = m + log(s)
        let wt = weights?[Int(t)] ?? 1
        total += wt * (lse - z[(b * k + Int(t)) * hw + i])
        wsum += wt
      }
    }
    return mean ? total / wsum : total
  }

  /// Gradients of sum(conv(x, w) · r), from y[n,o,i,j] += x[n,c,i·s−p+a, j·s−p+b] · w[o,c,a,b].
  static func conv2dGradients(
    xs: [Int], x: [Double], ws: [Int], w: [Double], ys: [Int], r: [Double], stride s: Int, pad p: Int
  ) -> (dx: [Double], dw: [Double], db: [Double]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, kh, kw) = (ws[0], ws[2], ws[3])
    let (oh, ow) = (ys[2], ys[3])
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: o)
    for b0 in 0..<n {
      for oc in 0..<o {
        for i in 0..<oh {
          for j in 0..<ow {
            let rv = r[((b0 * o + oc) * oh + i) * ow + j]
            db[oc] += rv
            for ic in 0..<c {
              for a in 0..<kh {
                let yy = i * s - p + a
                if yy < 0 || yy >= h { continue }
                for bq in 0..<kw {
                  let xx = j * s - p + bq
                  if xx < 0 || xx >= wd { continue }
                  let xi = ((b0 * c + ic) * h + yy) * wd + xx
                  let wi = ((oc * c + ic) * kh + a) * kw + bq
                  dx[xi] += rv * w[wi]
                  dw[wi] += rv * x[xi]
                }
              }
            }
          }
        }
      }
    }
    return (dx, dw, db)
  }

  /// Gradients of sum(deconv(x, w) · r), written from the definition
  /// y[n,o,i·s−p+a, j·s−p+b] += x[n,c,i,j] · w[c,o,a,b] — not from the forward reference.
  static func convTranspose2dGradients(
    xs: [Int], x: [Double], ws: [Int], w: [Double], ys: [Int], r: [Double], stride s: Int, pad p: Int
  ) -> (dx: [Double], dw: [Double], db: [Double]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, kh, kw) = (ws[1], ws[2], ws[3])
    let (oh, ow) = (ys[2], ys[3])
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: o)
    for b0 in 0..<n {
      for oc in 0..<o {
        for i in 0..<oh * ow { db[oc] += r[(b0 * o + oc) * oh * ow + i] }
      }
      for ic in 0..<c {
        for i in 0..<h {
          for j in 0..<wd {
            let xi = ((b0 * c + ic) * h + i) * wd + j
            for oc in 0..<o {
              for a in 0..<kh {
                let yy = i * s - p + a
                if yy < 0 || yy >= oh { continue }
                for bq in 0..<kw {
                  let xx = j * s - p + bq
                  if xx < 0 || xx >= ow { continue }
                  let rv = r[((b0 * o + oc) * oh + yy) * ow + xx]
                  let wi = ((ic * o + oc) * kh + a) * kw + bq
                  dx[xi] += rv * w[wi]
                  dw[wi] += rv * x[xi]
                }
              }
            }
          }
        }
      }
    }
    return (dx, dw, db)
  }

  /// Gradient of f at x by central differences (step h), in double precision.
  static func numericGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.count)
    var xp = x
    for i in 0..<x.count {
      xp[i] = x[i] + h
      let a = f(xp)
      xp[i] = x[i] - h
      let b = f(xp)
      xp[i] = x[i]
      g[i] = (a - b) / (2 * h)
    }
    return g
  }
}
