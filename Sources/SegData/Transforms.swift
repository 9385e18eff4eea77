// Augmentation: every geometric step is applied to image and mask with the same parameters,
// drawn from the caller's seeded generator, so results depend only on the seed.

import SeededRandom

public struct ImageSize: Equatable, Sendable, Codable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }
  public var description: String { "\(height)x\(width)" }

  /// Parses "HxW" (or a single number for a square).
  public init?(parsing text: String) {
    let parts = text.lowercased().split(separator: "x").map { Int($0) }
    if parts.count == 1, let s = parts[0], s > 0 {
      self.init(height: s, width: s)
      return
    }
    guard parts.count == 2, let h = parts[0], let w = parts[1], h > 0, w > 0 else { return nil }
    self.init(height: h, width: w)
  }
}

public enum Interpolation: Sendable { case bilinear, nearest }

public struct Augmentation: Sendable {
  /// Resize everything to this size first (evaluation at a fixed size). Mask uses nearest.
  public var resize: ImageSize?
  /// Random isotropic scale factor range (e.g. 0.5...2.0); nil = no scaling.
  public var scaleRange: ClosedRange<Double>?
  /// Random crop to this size; smaller images are first padded bottom/right with `padColour`
  /// in the image and the ignore label in the mask.
  public var crop: ImageSize?
  public var horizontalFlip: Bool
  /// Brightness, contrast and saturation each drawn from [1 - j, 1 + j]; 0 = off. Image only.
  public var colourJitter: Double
  /// Padding colour (the data mean, so padding looks like "nothing" after normalisation).
  public var padColour: (UInt8, UInt8, UInt8)
  public var imageInterpolation: Interpolation

  public init(
    resize: ImageSize? = nil, scaleRange: ClosedRange<Double>? = nil, crop: ImageSize? = nil,
    horizontalFlip: Bool = false, colourJitter: Double = 0,
    padColour: (UInt8, UInt8, UInt8) = Normalization.imagenet.meanColour,
    imageInterpolation: Interpolation = .bilinear
  ) {
    self.resize = resize
    self.scaleRange = scaleRange
    self.crop = crop
    self.horizontalFlip = horizontalFlip
    self.colourJitter = colourJitter
    self.padColour = padColour
    self.imageInterpolation = imageInterpolation
  }

  /// No change at all.
  public static let identity = Augmentation()

  /// The usual training recipe: scale jitter, crop, flip, mild colour jitter.
  public static func training(
    crop: ImageSize?, scaleRange: ClosedRange<Double>? = 0.75...1.25,
    flip: Bool = true, colourJitter: Double = 0.2
  ) -> Augmentation {
    Augmentation(scaleRange: scaleRange, crop: crop, horizontalFlip: flip, colourJitter: colourJitter)
  }

  /// Evaluation: optional fixed resize, nothing random.
  public static func evaluation(resize: ImageSize? = nil) -> Augmentation { Augmentation(resize: resize) }

  public func apply(_ sample: Sample, rng: inout SplitMix64) -> Sample {
    var image = sample.image
    var mask = sample.mask
    if let r = resize {
      image = resized(image, r.width, r.height)
      mask = resizeNearest(mask, width: r.width, height: r.height)
    }
    // Scale and crop are fused: only the crop window of the scaled image is computed.
    var w = image.width
    var h = image.height
    if let range = scaleRange {
      let s = rng.uniform(range.lowerBound, range.upperBound)
      w = max(1, Int((Double(image.width) * s).rounded()))
      h = max(1, Int((Double(image.height) * s).rounded()))
    }
    if let c = crop {
      // Padding goes bottom/right, so the window starts inside the scaled image.
      let x0 = rng.int(in: 0...(max(w, c.width) - c.width))
      let y0 = rng.int(in: 0...(max(h, c.height) - c.height))
      let win = (x0: x0, y0: y0, width: min(c.width, w), height: min(c.height, h))
      if w == image.width && h == image.height {
        image = cropImage(image, x0: win.x0, y0: win.y0, width: win.width, height: win.height)
        mask = cropMask(mask, x0: win.x0, y0: win.y0, width: win.width, height: win.height)
      } else {
        image = resized(image, w, h, window: win)
        mask = resizeNearest(mask, width: w, height: h, window: win)
      }
      (image, mask) = padToAtLeast(image, mask, c, fill: padColour)
    } else if w != image.width || h != image.height {
      image = resized(image, w, h)
      mask = resizeNearest(mask, width: w, height: h)
    }
    if horizontalFlip && rng.bernoulli(0.5) {
      image = flipHorizontally(image)
      mask = flipHorizontally(mask)
    }
    if colourJitter > 0 {
      let b = rng.uniform(1 - colourJitter, 1 + colourJitter)
      let c = rng.uniform(1 - colourJitter, 1 + colourJitter)
      let s = rng.uniform(1 - colourJitter, 1 + colourJitter)
      image = jitterColour(image, brightness: b, contrast: c, saturation: s)
    }
    return Sample(image: image, mask: mask, id: sample.id)
  }

  private func resized(
    _ img: RGBImage, _ w: Int, _ h: Int,
    window: (x0: Int, y0: Int, width: Int, height: Int)? = nil
  ) -> RGBImage {
    imageInterpolation == .bilinear
      ? resizeBilinear(img, width: w, height: h, window: window)
      : resizeNearest(img, width: w, height: h, window: window)
  }
}

/// Pads bottom/right so both sides are at least `size`: image with `fill`, mask with ignore.
func padToAtLeast(_ img: RGBImage, _ mask: LabelMap, _ size: ImageSize, fill: (UInt8, UInt8, UInt8)) -> (
  RGBImage, LabelMap
) {
  let w = max(img.width, size.width)
  let h = max(img.height, size.height)
  if w == img.width && h == img.height { return (img, mask) }
  var outImg = RGBImage(width: w, height: h, fill: fill)
  var outMask = LabelMap(width: w, height: h, fill: LabelMap.ignore)
  for y in 0..<img.height {
    outImg.pixels.replaceSubrange(
      (y * w * 3)..<((y * w + img.width) * 3),
      with: img.pixels[(y * img.width * 3)..<((y + 1) * img.width * 3)])
    outMask.labels.replaceSubrange(
      (y * w)..<(y * w + img.width),
      with: mask.labels[(y * img.width)..<((y + 1) * img.width)])
  }
  return (outImg, outMask)
}

func cropImage(_ img: RGBImage, x0: Int, y0: Int, width: Int, height: Int) -> RGBImage {
  var px = [UInt8]()
  px.reserveCapacity(width * height * 3)
  for y in y0..<(y0 + height) {
    px.append(contentsOf: img.pixels[((y * img.width + x0) * 3)..<((y * img.width + x0 + width) * 3)])
  }
  return RGBImage(width: width, height: height, pixels: px)
}

func cropMask(_ mask: LabelMap, x0: Int, y0: Int, width: Int, height: Int) -> LabelMap {
  var l = [UInt8]()
  l.reserveCapacity(width * height)
  for y in y0..<(y0 + height) {
    l.append(contentsOf: mask.labels[(y * mask.width + x0)..<(y * mask.width + x0 + width)])
  }
  return LabelMap(width: width, height: height, labels: l)
}

func flipHorizontally(_ img: RGBImage) -> RGBImage {
  var out = img
  for y in 0..<img.height {
    for x in 0..<img.width {
      let s = (y * img.width + x) * 3
      let d = (y * img.width + img.width - 1 - x) * 3
      out.pixels[d] = img.pixels[s]
      out.pixels[d + 1] = img.pixels[s + 1]
      out.pixels[d + 2] = img.pixels[s + 2]
    }
  }
  return out
}

func flipHorizontally(_ mask: LabelMap) -> LabelMap {
  var out = mask
  for y in 0..<mask.height {
    for x in 0..<mask.width { out.labels[y * mask.width + mask.width - 1 - x] = mask.labels[y * mask.width + x] }
  }
  return out
}

/// Brightness scales, contrast blends with the image's mean gray, saturation blends with each
/// pixel's gray (the torchvision ColorJitter definitions, applied in that fixed order).
/// Brightness and contrast are per-value maps, so they run through lookup tables.
func jitterColour(_ img: RGBImage, brightness: Double, contrast: Double, saturation: Double) -> RGBImage {
  let n = img.width * img.height
  let bright = (0..<256).map { min(255, Float($0) * Float(brightness)) }
  // Mean gray after brightness, from per-channel histograms (exact, and cheap).
  var hist = [Int](repeating: 0, count: 3 * 256)  // channel c, value v at c * 256 + v
  img.pixels.withUnsafeBufferPointer { p in
    hist.withUnsafeMutableBufferPointer { h in
      for i in 0..<n {
        h[Int(p[3 * i])] += 1
        h[256 + Int(p[3 * i + 1])] += 1
        h[512 + Int(p[3 * i + 2])] += 1
      }
    }
  }
  var graySum: Float = 0
  let lumaWeights: [Float] = [0.299, 0.587, 0.114]
  for c in 0..<3 {
    for v in 0..<256 where hist[c * 256 + v] > 0 { graySum += lumaWeights[c] * bright[v] * Float(hist[c * 256 + v]) }
  }
  let meanGray = graySum / Float(max(1, n))
  let k = Float(contrast)
  let s = Float(saturation)
  let lut = bright.map { max(0, min(255, meanGray + ($0 - meanGray) * k)) }
  var out = [UInt8](repeating: 0, count: n * 3)
  // Round half up by truncating after clamping to [0, 255] and adding 0.5.
  @inline(__always) func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v)) + 0.5) }
  img.pixels.withUnsafeBufferPointer { p in
    out.withUnsafeMutableBufferPointer { o in
      lut.withUnsafeBufferPointer { t in
        for i in 0..<n {
          let r = t[Int(p[3 * i])]
          let g = t[Int(p[3 * i + 1])]
          let b = t[Int(p[3 * i + 2])]
          let gray = 0.299 * r + 0.587 * g + 0.114 * b
          o[3 * i] = byte(gray + (r - gray) * s)
          o[3 * i + 1] = byte(gray + (g - gray) * s)
          o[3 * i + 2] = byte(gray + (b - gray) * s)
        }
      }
    }
  }
  return RGBImage(width: img.width, height: img.height, pixels: out)
}
