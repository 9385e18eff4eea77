// The synthetic shapes data set: generated on the fly, deterministic from (seed, index), so a
// newcomer can train without downloading anything.
//
// Designed so that resolution matters: lines and rings are 4-6 pixels wide and many shapes
// are small, so a 1/32-resolution FCN-32s loses them while FCN-8s keeps them (at 64x64 the
// 32s score map is 2x2). Each class has its own hue band (with jitter), which keeps the set
// learnable by a small FCN in minutes on a CPU; the background is a low-saturation texture
// with noise, and later shapes occlude earlier ones.

import Foundation
import SeededRandom

public struct SyntheticShapes: SegmentationDataset {
  public static let classNames = ["background", "circle", "rectangle", "triangle", "ring", "line"]

  public let count: Int
  public let width: Int
  public let height: Int
  public let seed: UInt64
  public var classNames: [String] { Self.classNames }
  public var description: String { "synthetic:\(count) (\(width)x\(height), seed \(seed))" }

  public init(count: Int = 1000, width: Int = 64, height: Int = 64, seed: UInt64 = 0) {
    self.count = count
    self.width = width
    self.height = height
    self.seed = seed
  }

  public func sampleID(at index: Int) -> String { "synthetic_\(seed)_\(index)" }

  public func sample(at index: Int) throws -> Sample {
    var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(index), 0x5A17))
    let (image, mask) = SyntheticShapes.render(width: width, height: height, rng: &rng)
    return Sample(image: image, mask: mask, id: sampleID(at: index))
  }

  /// Hue centre (degrees) per class: red, green, blue, magenta, yellow.
  static let hueCentre: [Double] = [0, 0, 120, 220, 295, 55]

  static func render(width: Int, height: Int, rng: inout SplitMix64) -> (RGBImage, LabelMap) {
    let n = width * height
    var rgb = [Double](repeating: 0, count: n * 3)
    var mask = [UInt8](repeating: 0, count: n)
    let k = Double(min(width, height)) / 64  // shape sizes scale with the image

    // Background: a low-saturation base colour plus two random low-frequency waves.
    let base = hsvToRGB(h: rng.uniform(0, 360), s: rng.uniform(0, 0.2), v: rng.uniform(0.35, 0.8))
    var waves: [(fx: Double, fy: Double, phase: Double, amp: Double)] = []
    for _ in 0..<2 {
      waves.append(
        (rng.uniform(-0.3, 0.3) / k, rng.uniform(-0.3, 0.3) / k, rng.uniform(0, 6.283), rng.uniform(0.03, 0.09)))
    }
    for y in 0..<height {
      for x in 0..<width {
        var t = 0.0
        for w in waves { t += w.amp * sin(w.fx * Double(x) + w.fy * Double(y) + w.phase) }
        let i = (y * width + x) * 3
        rgb[i] = base.0 + t
        rgb[i + 1] = base.1 + t
        rgb[i + 2] = base.2 + t
      }
    }

    // Shapes, painted in order: later ones occlude earlier ones in image and mask alike.
    let shapeCount = rng.int(in: 2...5)
    for _ in 0..<shapeCount {
      let cls = rng.int(in: 1...5)
      let shape = Shape.random(cls: cls, width: width, height: height, k: k, rng: &rng)
      let colour = hsvToRGB(
        h: hueCentre[cls] + rng.uniform(-15, 15), s: rng.uniform(0.6, 1.0), v: rng.uniform(0.5, 1.0))
      // A gentle shading gradient across the shape so colour is not perfectly flat.
      let gx = rng.uniform(-0.004, 0.004) / k
      let gy = rng.uniform(-0.004, 0.004) / k
      let (x0, y0, x1, y1) = shape.bounds(width: width, height: height)
      if x0 > x1 || y0 > y1 { continue }
      for y in y0...y1 {
        for x in x0...x1 where shape.contains(Double(x) + 0.5, Double(y) + 0.5) {
          let shade = 1 + gx * Double(x - x0) + gy * Double(y - y0)
          let i = y * width + x
          rgb[3 * i] = colour.0 * shade
          rgb[3 * i + 1] = colour.1 * shade
          rgb[3 * i + 2] = colour.2 * shade
          mask[i] = UInt8(cls)
        }
      }
    }

    // Sensor-like noise over everything.
    let sigma = rng.uniform(0.01, 0.04)
    var pixels = [UInt8](repeating: 0, count: n * 3)
    for i in 0..<(n * 3) {
      let v = (rgb[i] + sigma * rng.normal()) * 255
      pixels[i] = UInt8(max(0, min(255, v.rounded())))
    }
    return (
      RGBImage(width: width, height: height, pixels: pixels), LabelMap(width: width, height: height, labels: mask)
    )
  }
}

/// The geometric primitives of the synthetic set; `contains` is evaluated at pixel centres.
enum Shape {
  case disc(cx: Double, cy: Double, r: Double)
  case box(cx: Double, cy: Double, hw: Double, hh: Double, cos: Double, sin: Double)
  case triangle(ax: Double, ay: Double, bx: Double, by: Double, cx: Double, cy: Double)
  case ring(cx: Double, cy: Double, rOuter: Double, rInner: Double)
  case segment(ax: Double, ay: Double, bx: Double, by: Double, halfWidth: Double)

  static func random(cls: Int, width: Int, height: Int, k: Double, rng: inout SplitMix64) -> Shape {
    let cx = rng.uniform(0, Double(width))
    let cy = rng.uniform(0, Double(height))
    switch cls {
    case 1:
      return .disc(cx: cx, cy: cy, r: rng.uniform(3, 12) * k)
    case 2:
      let a = rng.uniform(0, Double.pi)
      return .box(cx: cx, cy: cy, hw: rng.uniform(3, 12) * k, hh: rng.uniform(3, 12) * k, cos: cos(a), sin: sin(a))
    case 3:
      // Three points at random angles around the centre, at least 40° apart so it is not a sliver.
      let r = rng.uniform(6, 15) * k
      let a0 = rng.uniform(0, 2 * Double.pi)
      let a1 = a0 + rng.uniform(1.6, 2.6)
      let a2 = a1 + rng.uniform(1.6, 2.6)
      func p(_ a: Double) -> (Double, Double) { (cx + r * cos(a), cy + r * sin(a)) }
      let (ax, ay) = p(a0)
      let (bx, by) = p(a1)
      let (qx, qy) = p(a2)
      return .triangle(ax: ax, ay: ay, bx: bx, by: by, cx: qx, cy: qy)
    case 4:
      let ro = rng.uniform(8, 16) * k
      return .ring(cx: cx, cy: cy, rOuter: ro, rInner: ro - rng.uniform(4, 6) * k)
    default:
      let len = rng.uniform(14, 48) * k
      let a = rng.uniform(0, Double.pi)
      let dx = len / 2 * cos(a)
      let dy = len / 2 * sin(a)
      return .segment(ax: cx - dx, ay: cy - dy, bx: cx + dx, by: cy + dy, halfWidth: rng.uniform(2.2, 3.2) * k)
    }
  }

  func contains(_ x: Double, _ y: Double) -> Bool {
    switch self {
    case .disc(let cx, let cy, let r):
      return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
    case .box(let cx, let cy, let hw, let hh, let c, let s):
      let u = (x - cx) * c + (y - cy) * s
      let v = -(x - cx) * s + (y - cy) * c
      return abs(u) <= hw && abs(v) <= hh
    case .triangle(let ax, let ay, let bx, let by, let qx, let qy):
      let d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by)
      let d2 = (x - qx) * (by - qy) - (bx - qx) * (y - qy)
      let d3 = (x - ax) * (qy - ay) - (qx - ax) * (y - ay)
      let hasNeg = d1 < 0 || d2 < 0 || d3 < 0
      let hasPos = d1 > 0 || d2 > 0 || d3 > 0
      return !(hasNeg && hasPos)
    case .ring(let cx, let cy, let ro, let ri):
      let d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy)
      return d2 <= ro * ro && d2 >= ri * ri
    case .segment(let ax, let ay, let bx, let by, let hwid):
      let vx = bx - ax
      let vy = by - ay
      let t = max(0, min(1, ((x - ax) * vx + (y - ay) * vy) / max(1e-9, vx * vx + vy * vy)))
      let px = ax + t * vx - x
      let py = ay + t * vy - y
      return px * px + py * py <= hwid * hwid
    }
  }

  /// Pixel bounding box clipped to the image (x0 > x1 when the shape is off-image).
  func bounds(width: Int, height: Int) -> (Int, Int, Int, Int) {
    let (minX, minY, maxX, maxY): (Double, Double, Double, Double)
    switch self {
    case .disc(let cx, let cy, let r), .ring(let cx, let cy, let r, _):
      (minX, minY, maxX, maxY) = (cx - r, cy - r, cx + r, cy + r)
    case .box(let cx, let cy, let hw, let hh, _, _):
      let e = (hw * hw + hh * hh).squareRoot()
      (minX, minY, maxX, maxY) = (cx - e, cy - e, cx + e, cy + e)
    case .triangle(let ax, let ay, let bx, let by, let qx, let qy):
      (minX, minY, maxX, maxY) = (min(ax, bx, qx), min(ay, by, qy), max(ax, bx, qx), max(ay, by, qy))
    case .segment(let ax, let ay, let bx, let by, let h):
      (minX, minY, maxX, maxY) = (min(ax, bx) - h, min(ay, by) - h, max(ax, bx) + h, max(ay, by) + h)
    }
    let x0 = max(0, Int(minX.rounded(.down)))
    let y0 = max(0, Int(minY.rounded(.down)))
    let x1 = min(width - 1, Int(maxX.rounded(.up)))
    let y1 = min(height - 1, Int(maxY.rounded(.up)))
    return (x0, y0, x1, y1)
  }
}

/// HSV (h in degrees, s and v in 0...1) to RGB in 0...1.
func hsvToRGB(h: Double, s: Double, v: Double) -> (Double, Double, Double) {
  var hh = h.truncatingRemainder(dividingBy: 360)
  if hh < 0 { hh += 360 }
  let c = v * s
  let hp = hh / 60
  let x = c * (1 - abs(hp.truncatingRemainder(dividingBy: 2) - 1))
  let (r, g, b): (Double, Double, Double)
  switch hp {
  case ..<1: (r, g, b) = (c, x, 0)
  case ..<2: (r, g, b) = (x, c, 0)
  case ..<3: (r, g, b) = (0, c, x)
  case ..<4: (r, g, b) = (0, x, c)
  case ..<5: (r, g, b) = (x, 0, c)
  default: (r, g, b) = (c, 0, x)
  }
  let m = v - c
  return (r + m, g + m, b + m)
}

/// A preview grid: `count` samples, each shown as image | coloured mask, `columns` pairs a row,
/// scaled up by `zoom` (nearest), on a white background. Used for docs/synthetic_samples.png.
public func sampleGrid(_ dataset: SegmentationDataset, count: Int, columns: Int = 4, zoom: Int = 2) throws -> RGBImage {
  let samples = try (0..<min(count, dataset.count)).map { try dataset.sample(at: $0) }
  guard let first = samples.first else { return RGBImage(width: 1, height: 1, fill: (255, 255, 255)) }
  let cw = first.image.width * zoom
  let ch = first.image.height * zoom
  let gap = 4
  let rows = (samples.count + columns - 1) / columns
  let W = columns * (2 * cw + 3 * gap) + gap
  let H = rows * (ch + gap) + gap
  var grid = RGBImage(width: W, height: H, fill: (255, 255, 255))
  func blit(_ img: RGBImage, _ ox: Int, _ oy: Int) {
    for y in 0..<(img.height * zoom) where oy + y < H {
      for x in 0..<(img.width * zoom) where ox + x < W {
        let s = ((y / zoom) * img.width + x / zoom) * 3
        let d = ((oy + y) * W + ox + x) * 3
        grid.pixels[d] = img.pixels[s]
        grid.pixels[d + 1] = img.pixels[s + 1]
        grid.pixels[d + 2] = img.pixels[s + 2]
      }
    }
  }
  for (i, s) in samples.enumerated() {
    let ox = gap + (i % columns) * (2 * cw + 3 * gap)
    let oy = gap + (i / columns) * (ch + gap)
    blit(s.image, ox, oy)
    blit(VOCPalette.colourize(s.mask), ox + cw + gap, oy)
  }
  return grid
}
