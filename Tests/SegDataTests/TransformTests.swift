
import SeededRandom
@testable import SegData
import XCTest

final class TransformTests: XCTestCase {
  /// A sample whose image *is* its mask: gray level 40 × label, in 6×6 blocks of labels 0...5.
  func selfMaskSample(width: Int = 45, height: Int = 33) -> Sample {
    var mask = LabelMap(width: width, height: height)
    for y in 0..<height { for x in 0..<width { mask[x, y] = UInt8(((x / 6) + 2 * (y / 6)) % 6) } }
    var img = RGBImage(width: width, height: height)
    for i in 0..<mask.labels.count {
      let v = mask.labels[i] * 40
      img.pixels[3 * i] = v
      img.pixels[3 * i + 1] = v
      img.pixels[3 * i + 2] = v
    }
    return Sample(image: img, mask: mask, id: "self")
  }

  /// Checks image and mask agree: padding is (fill, 255); interior pixels (whose 3×3 mask
  /// neighbourhood is one label, so bilinear blending cannot reach another label) carry 40 × label.
  func assertAligned(_ s: Sample, fill: (UInt8, UInt8, UInt8), file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(s.image.width, s.mask.width, file: file, line: line)
    XCTAssertEqual(s.image.height, s.mask.height, file: file, line: line)
    var checked = 0
    for y in 1..<(s.mask.height - 1) {
      for x in 1..<(s.mask.width - 1) {
        let l = s.mask[x, y]
        var uniform = true
        for dy in -1...1 { for dx in -1...1 where s.mask[x + dx, y + dy] != l { uniform = false } }
        guard uniform else { continue }
        let p = (y * s.image.width + x) * 3
        if l == 255 {
          XCTAssertEqual(
            [s.image.pixels[p], s.image.pixels[p + 1], s.image.pixels[p + 2]], [fill.0, fill.1, fill.2], file: file,
            line: line)
        } else {
          XCTAssertEqual(Int(s.image.pixels[p]), Int(l) * 40, accuracy: 1, "at (\(x), \(y))", file: file, line: line)
        }
        checked += 1
      }
    }
    XCTAssertGreaterThan(checked, s.mask.labels.count / 3, "too few interior pixels checked", file: file, line: line)
  }

  func testImageEqualToItsMaskStaysAlignedThroughGeometricTransforms() {
    let base = selfMaskSample()
    let fill: (UInt8, UInt8, UInt8) = (7, 7, 7)
    let configs: [Augmentation] = [
      Augmentation(crop: ImageSize(height: 20, width: 30), padColour: fill),
      Augmentation(crop: ImageSize(height: 50, width: 64), horizontalFlip: true, padColour: fill),  // pads
      Augmentation(
        scaleRange: 0.5...2.0, crop: ImageSize(height: 40, width: 40), horizontalFlip: true, padColour: fill),
      Augmentation(resize: ImageSize(height: 66, width: 90), horizontalFlip: true, padColour: fill),
    ]
    for (ci, aug) in configs.enumerated() {
      for seed in 0..<12 {
        var rng = SplitMix64(seed: UInt64(seed * 31 + ci))
        let out = aug.apply(base, rng: &rng)
        if let c = aug.crop {
          XCTAssertEqual(out.mask.width, c.width)
          XCTAssertEqual(out.mask.height, c.height)
        }
        assertAligned(out, fill: fill)
      }
    }
  }

  func testPaddingUsesIgnoreLabelAndFill() {
    let s = Sample(
      image: RGBImage(width: 2, height: 1, fill: (9, 9, 9)), mask: LabelMap(width: 2, height: 1, fill: 1), id: "p")
    var rng = SplitMix64(seed: 1)
    let out = Augmentation(crop: ImageSize(height: 2, width: 3), padColour: (1, 2, 3)).apply(s, rng: &rng)
    // Hand-computed: the original 2×1 sits at the top-left, the rest is padding.
    XCTAssertEqual(out.mask.labels, [1, 1, 255, 255, 255, 255])
    XCTAssertEqual(Array(out.image.pixels[6..<9]), [1, 2, 3])
    XCTAssertEqual(Array(out.image.pixels[0..<3]), [9, 9, 9])
  }

  func testFlipAndNearestResizeByHand() {
    let m = LabelMap(width: 3, height: 1, labels: [1, 2, 3])
    XCTAssertEqual(flipHorizontally(m).labels, [3, 2, 1])
    XCTAssertEqual(resizeNearest(m, width: 6, height: 1).labels, [1, 1, 2, 2, 3, 3])
    XCTAssertEqual(
      resizeNearest(LabelMap(width: 4, height: 1, labels: [1, 2, 3, 4]), width: 2, height: 1).labels, [2, 4])
    // Bilinear 2→4 with half-pixel centres: positions -0.25(clamped 0), 0.25, 0.75, 1.25(clamped) → 0, 25, 75, 100.
    let img = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 100, 100, 100])
    XCTAssertEqual(
      resizeBilinear(img, width: 4, height: 1).pixels.enumerated().filter { $0.offset % 3 == 0 }.map { $0.element },
      [0, 25, 75, 100])
  }

  func testColourJitterKeepsMaskAndIsSeeded() {
    let base = selfMaskSample()
    let aug = Augmentation(colourJitter: 0.4)
    var r1 = SplitMix64(seed: 5)
    var r2 = SplitMix64(seed: 5)
    let a = aug.apply(base, rng: &r1)
    let b = aug.apply(base, rng: &r2)
    XCTAssertEqual(a.mask, base.mask)
    XCTAssertEqual(a.image, b.image)
    XCTAssertNotEqual(a.image, base.image)
  }

  func testNormalizations() {
    let img = RGBImage(width: 1, height: 1, pixels: [255, 128, 0])
    var out = [Float](repeating: 0, count: 4)
    Normalization.none.write(img, into: &out, offset: 1)
    XCTAssertEqual(out[1], 1, accuracy: 1e-6)
    XCTAssertEqual(out[2], 128 / 255, accuracy: 1e-6)
    XCTAssertEqual(out[3], 0)
    Normalization.imagenet.write(img, into: &out, offset: 0)
    XCTAssertEqual(out[0], (1 - 0.485) / 0.229, accuracy: 1e-5)
    XCTAssertEqual(out[1], (128.0 / 255 - 0.456) / 0.224, accuracy: 1e-5)
    XCTAssertEqual(out[2], (0 - 0.406) / 0.225, accuracy: 1e-5)
    Normalization.caffe.write(img, into: &out, offset: 0)  // B, G, R planes
    XCTAssertEqual(out[0], 0 - 104.00699, accuracy: 1e-4)
    XCTAssertEqual(out[1], 128 - 116.66877, accuracy: 1e-4)
    XCTAssertEqual(out[2], 255 - 122.67892, accuracy: 1e-4)
  }

  func testImageSizeParsing() {
    XCTAssertEqual(ImageSize(parsing: "320x480"), ImageSize(height: 320, width: 480))
    XCTAssertEqual(ImageSize(parsing: "64"), ImageSize(height: 64, width: 64))
    XCTAssertNil(ImageSize(parsing: "0x3"))
    XCTAssertNil(ImageSize(parsing: "axb"))
  }
}
