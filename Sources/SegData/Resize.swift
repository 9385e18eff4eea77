// Resampling with half-pixel centres (as PyTorch's align_corners=False and OpenCV's resize):
// output pixel x samples source position (x + 0.5) * srcW / dstW - 0.5. Images are bilinear;
// label maps are nearest (class ids must never be blended).

/// Bilinear resize of an RGB image (no antialiasing; scale jitter stays within 0.5...2 in practice).
/// `window` computes only that part of the full-size result (x0, y0, width, height in output
/// pixels), so a random crop after a large scale-up costs only the crop. Fixed-point weights
/// (11 bits) keep it fast; results differ from float math by at most 1 level.
public func resizeBilinear(
  _ img: RGBImage, width: Int, height: Int,
  window: (x0: Int, y0: Int, width: Int, height: Int)? = nil
) -> RGBImage {
  let win = window ?? (0, 0, width, height)
  if width == img.width && height == img.height && window == nil { return img }
  precondition(width > 0 && height > 0 && win.width > 0 && win.height > 0)
  let one = 2048
  /// Source index pair and the weight of the second, for output coordinates lo..<lo+n.
  func taps(_ lo: Int, _ n: Int, _ dst: Int, _ src: Int) -> (i0: [Int], i1: [Int], f: [Int]) {
    let s = Double(src) / Double(dst)
    var i0 = [Int](repeating: 0, count: n)
    var i1 = i0
    var f = i0
    for k in 0..<n {
      let p = max(0, (Double(lo + k) + 0.5) * s - 0.5)
      let a = min(Int(p), src - 1)
      i0[k] = a
      i1[k] = min(a + 1, src - 1)
      f[k] = Int(((p - Double(a)) * Double(one)).rounded())
    }
    return (i0, i1, f)
  }
  let xs = taps(win.x0, win.width, width, img.width)
  let ys = taps(win.y0, win.height, height, img.height)
  var out = [UInt8](repeating: 0, count: win.width * win.height * 3)
  let sw = img.width
  let ow = win.width
  img.pixels.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      xs.i0.withUnsafeBufferPointer { x0s in
        xs.i1.withUnsafeBufferPointer { x1s in
          xs.f.withUnsafeBufferPointer { fxs in
            for y in 0..<win.height {
              let r0 = ys.i0[y] * sw * 3
              let r1 = ys.i1[y] * sw * 3
              let fy = ys.f[y]
              let gy = one - fy
              var o = y * ow * 3
              for x in 0..<ow {
                let a0 = r0 + x0s[x] * 3
                let a1 = r0 + x1s[x] * 3
                let b0 = r1 + x0s[x] * 3
                let b1 = r1 + x1s[x] * 3
                let fx = fxs[x]
                let gx = one - fx
                let w00 = gx * gy
                let w01 = fx * gy
                let w10 = gx * fy
                let w11 = fx * fy
                for c in 0..<3 {
                  let v =
                    Int(src[a0 + c]) * w00 + Int(src[a1 + c]) * w01 + Int(src[b0 + c]) * w10 + Int(src[b1 + c]) * w11
                  dst[o + c] = UInt8(truncatingIfNeeded: (v + (1 << 21)) >> 22)
                }
                o += 3
              }
            }
          }
        }
      }
    }
  }
  return RGBImage(width: win.width, height: win.height, pixels: out)
}

/// Nearest-neighbour index map: output x takes source floor((x + 0.5) * src / dst).
func nearestIndices(_ dst: Int, _ src: Int) -> [Int] {
  (0..<dst).map { min(src - 1, Int((Double($0) + 0.5) * Double(src) / Double(dst))) }
}

public func resizeNearest(
  _ mask: LabelMap, width: Int, height: Int,
  window: (x0: Int, y0: Int, width: Int, height: Int)? = nil
) -> LabelMap {
  if width == mask.width && height == mask.height && window == nil { return mask }
  let win = window ?? (0, 0, width, height)
  let xs = nearestIndices(width, mask.width)
  let ys = nearestIndices(height, mask.height)
  var out = [UInt8](repeating: 0, count: win.width * win.height)
  for y in 0..<win.height {
    let row = ys[win.y0 + y] * mask.width
    for x in 0..<win.width { out[y * win.width + x] = mask.labels[row + xs[win.x0 + x]] }
  }
  return LabelMap(width: win.width, height: win.height, labels: out)
}

public func resizeNearest(
  _ img: RGBImage, width: Int, height: Int,
  window: (x0: Int, y0: Int, width: Int, height: Int)? = nil
) -> RGBImage {
  if width == img.width && height == img.height && window == nil { return img }
  let win = window ?? (0, 0, width, height)
  let xs = nearestIndices(width, img.width)
  let ys = nearestIndices(height, img.height)
  var out = [UInt8](repeating: 0, count: win.width * win.height * 3)
  for y in 0..<win.height {
    let row = ys[win.y0 + y] * img.width
    for x in 0..<win.width {
      let s = (row + xs[win.x0 + x]) * 3
      let d = (y * win.width + x) * 3
      out[d] = img.pixels[s]
      out[d + 1] = img.pixels[s + 1]
      out[d + 2] = img.pixels[s + 2]
    }
  }
  return RGBImage(width: win.width, height: win.height, pixels: out)
}
