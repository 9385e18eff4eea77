import Foundation
import SegData
import WeightIO
import XCTest

/// Shared pieces of the submission, TTA, ensemble and tiling tests.
enum Competition {
  /// Synthetic shapes (what the tiny model was trained on), at sizes that are not multiples of 32.
  static func image(_ index: Int, width: Int = 45, height: Int = 37) throws -> RGBImage {
    try SyntheticShapes(count: 8, width: width, height: height, seed: 11).sample(at: index).image
  }

  static func mirrored(_ image: RGBImage, x flipX: Bool, y flipY: Bool) -> RGBImage {
    var out = image
    for y in 0..<image.height {
      for x in 0..<image.width {
        let sy = flipY ? image.height - 1 - y : y
        let sx = flipX ? image.width - 1 - x : x
        for c in 0..<3 { out.pixels[(y * image.width + x) * 3 + c] = image.pixels[(sy * image.width + sx) * 3 + c] }
      }
    }
    return out
  }

  /// (N, C, H, W) planes with each item's H and W axes mirrored.
  static func mirrored(_ v: [Float], shape: [Int], x flipX: Bool, y flipY: Bool) -> [Float] {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    var out = v
    for p in 0..<(n * c) {
      for y in 0..<h {
        for x in 0..<w {
          out[p * h * w + y * w + x] = v[p * h * w + (flipY ? h - 1 - y : y) * w + (flipX ? w - 1 - x : x)]
        }
      }
    }
    return out
  }

  /// The shared tiny run's weights with its score layers drawn again from another seed: a
  /// second, different model of the same architecture and classes, for ensembles.
  static func otherWeights(in dir: URL) throws -> URL {
    let (tensors, metadata) = try SafeTensors.read(contentsOf: try TinyRun.weights())
    var model = tensors
    var state: UInt64 = 0xD1CE
    for name in model.keys.sorted() where name.hasPrefix("score_") {
      let count = model[name]!.count
      model[name] = HostArray(
        shape: model[name]!.shape,
        floats: (0..<count).map { _ in
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          return Float(state >> 40) / Float(1 << 23) - 1
        })
    }
    let url = dir.appendingPathComponent("other.safetensors")
    try SafeTensors.write(model, metadata: metadata, to: url)
    return url
  }

  static func probabilities(_ url: URL) throws -> (shape: [Int], values: [Float]) {
    let a = try NumPy.read(contentsOf: url)
    return (a.shape, try a.floats())
  }

  static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  /// OpenCV's INTER_NEAREST source index, written out again here so the test does not lean on
  /// the implementation it checks: x · (1 / (dst / src)) in doubles, floored, clamped.
  static func nearestSource(_ x: Int, dst: Int, src: Int) -> Int {
    let inverse = 1.0 / (Double(dst) / Double(src))
    return min(Int(floor(Double(x) * inverse)), src - 1)
  }

  /// The bytes of a number parsed from "about 12.34 MiB" after `marker` in `text`.
  static func mebibytes(after marker: String, in text: String) -> Double? {
    guard let r = text.range(of: marker) else { return nil }
    let rest = text[r.upperBound...].split(whereSeparator: { $0.isWhitespace })
    guard rest.count >= 2, let value = Double(rest[0]) else { return nil }
    let unit = rest[1].trimmingCharacters(in: .punctuationCharacters)
    let scale: [String: Double] = ["B": 1, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824]
    return scale[unit].map { value * $0 }
  }
}
