// Resampling with half-pixel centres (as PyTorch's align_corners=False and OpenCV's resize):
// output pixel x samples source position (x + 0.5) * srcW / dstW - 0.5. Images are bilinear;
// label maps are nearest (class ids must never be blended).

/// Bilinear resize of an RGB image (no antialiasing; scale jitter stays within 0.5...2 in practice).
public func resizeBilinear(_ img: RGBImage, width: Int, height: Int) -> RGBImage {
  if width == img.width && height == img.height { return img }
  precondition(width > 0 && height > 0)
  func taps(_ dst: Int, _ src: Int) -> [(Int, Int, Float)] {
    let s = Double(src) / Double(dst)
    return (0..<dst).map { x in
      let p = max(0, (Double(x) + 0.5) * s - 0.5)
      let i0 = min(Int(p), src - 1), i1 = min(i0 + 1, src - 1)
      return (i0, i1, Float(p - Double(i0)))
    }
  }
  let xs = taps(width, img.width), ys = taps(height, img.height)
  var out = [UInt8](repeating: 0, count: width * height * 3)
  let sw = img.width
  img.pixels.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      for y in 0..<height {
        let (y0, y1, fy) = ys[y]
        let r0 = y0 * sw * 3, r1 = y1 * sw * 3
        for x in 0..<width {
          let (x0, x1, fx) = xs[x]
          let o = (y * width + x) * 3
          for c in 0..<3 {
            let a = Float(src[r0 + x0 * 3 + c]), b = Float(src[r0 + x1 * 3 + c])
            let cc = Float(src[r1 + x0 * 3 + c]), d = Float(src[r1 + x1 * 3 + c])
            let top = a + (b - a) * fx, bottom = cc + (d - cc) * fx
            dst[o + c] = UInt8(max(0, min(255, (top + (bottom - top) * fy).rounded())))
          }
        }
      }
    }
  }
  return RGBImage(width: width, height: height, pixels: out)
}

/// Nearest-neighbour index map: output x takes source floor((x + 0.5) * src / dst).
func nearestIndices(_ dst: Int, _ src: Int) -> [Int] {
  (0..<dst).map { min(src - 1, Int((Double($0) + 0.5) * Double(src) / Double(dst))) }
}

public func resizeNearest(_ mask: LabelMap, width: Int, height: Int) -> LabelMap {
  if width == mask.width && height == mask.height { return mask }
  let xs = nearestIndices(width, mask.width), ys = nearestIndices(height, mask.height)
  var out = [UInt8](repeating: 0, count: width * height)
  for y in 0..<height {
    let row = ys[y] * mask.width
    for x in 0..<width { out[y * width + x] = mask.labels[row + xs[x]] }
  }
  return LabelMap(width: width, height: height, labels: out)
}

public func resizeNearest(_ img: RGBImage, width: Int, height: Int) -> RGBImage {
  if width == img.width && height == img.height { return img }
  let xs = nearestIndices(width, img.width), ys = nearestIndices(height, img.height)
  var out = [UInt8](repeating: 0, count: width * height * 3)
  for y in 0..<height {
    let row = ys[y] * img.width
    for x in 0..<width {
      let s = (row + xs[x]) * 3, d = (y * width + x) * 3
      out[d] = img.pixels[s]; out[d + 1] = img.pixels[s + 1]; out[d + 2] = img.pixels[s + 2]
    }
  }
  return RGBImage(width: width, height: height, pixels: out)
}
