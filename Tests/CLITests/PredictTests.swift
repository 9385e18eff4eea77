import Foundation
import SegData
import WeightIO
import XCTest

/// `fcn predict` on a PNG and a JPEG: palette masks at the input's size, overlays, and
/// `--save-logits` as float32 (N, C, H, W) whose argmax is the mask that was written.
final class PredictTests: XCTestCase {
  /// Synthetic shapes (so the tiny model sees things it was trained on) at a size that is
  /// neither square nor a multiple of 32, so a swapped H/W or a missing crop shows up.
  func inputImage(_ index: Int, width: Int = 45, height: Int = 37) throws -> RGBImage {
    try SyntheticShapes(count: 8, width: width, height: height, seed: 11).sample(at: index).image
  }

  func testPredictWritesMasksOverlaysAndLogits() throws {
    let dir = try makeTempDir(self)
    let weights = try TinyRun.weights()
    let inputs = dir.appendingPathComponent("inputs")
    let out = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    try writeImage(inputImage(0), to: inputs.appendingPathComponent("a.png").path)
    try writeImage(inputImage(1), to: inputs.appendingPathComponent("b.jpg").path)
    let logitsURL = dir.appendingPathComponent("logits.npy")

    let r = try FCNExecutable.run(
      [
        "predict", "--weights", weights.path, "--input", inputs.path, "--output", out.path, "--save-logits",
        logitsURL.path,
      ],
      outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(),
      ["a.png", "a_overlay.png", "b.png", "b_overlay.png"])

    // Logits: one (C, H, W) slab per input, in file-name order.
    let logits = try NumPy.read(contentsOf: logitsURL)
    XCTAssertEqual(logits.dtype, .f32)
    XCTAssertEqual(logits.shape, [2, TinyRun.classes, 37, 45])
    let values = try logits.floats()
    XCTAssertTrue(values.allSatisfy(\.isFinite))

    var predicted = Set<UInt8>()
    for (n, stem) in ["a", "b"].enumerated() {
      // The input as the CLI decoded it (the JPEG's pixels are the decoder's, not inputImage's).
      let image = try readImage(inputs.appendingPathComponent(stem == "a" ? "a.png" : "b.jpg").path)
      let maskPath = out.appendingPathComponent("\(stem).png").path
      let mask = try readLabelMap(maskPath)
      XCTAssertEqual([mask.height, mask.width], [37, 45], "\(stem): mask size")
      XCTAssertEqual(try pngColourType(maskPath), 3, "\(stem).png should be a palette PNG")
      XCTAssertEqual(try readImage(maskPath), VOCPalette.colourize(mask), "\(stem).png colours are the VOC palette")
      XCTAssertEqual(
        mask.labels, argmax(values, item: n, classes: TinyRun.classes, pixels: 37 * 45),
        "\(stem): mask is not the logits' argmax")
      XCTAssertEqual(
        try readImage(out.appendingPathComponent("\(stem)_overlay.png").path), overlay(image, labels: mask))
      predicted.formUnion(mask.labels)
    }
    XCTAssertGreaterThanOrEqual(
      predicted.count, 3, "masks of one or two classes would hide argmax mistakes: \(predicted)")
  }

  /// A single file (not a folder) as input, at another size: the mask follows that size.
  func testPredictOnOneJPEGFileKeepsItsSize() throws {
    let dir = try makeTempDir(self)
    let input = dir.appendingPathComponent("tall.jpeg")
    let out = dir.appendingPathComponent("out")
    try writeImage(inputImage(2, width: 29, height: 50), to: input.path)
    let r = try FCNExecutable.run(
      ["predict", "--weights", try TinyRun.weights().path, "--input", input.path, "--output", out.path], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let mask = try readLabelMap(out.appendingPathComponent("tall.png").path)
    XCTAssertEqual([mask.height, mask.width], [50, 29])
    XCTAssertTrue(mask.labels.allSatisfy { Int($0) < TinyRun.classes })
  }

  /// Per-pixel argmax of item `item` of (N, C, H·W) logits; the first maximum wins.
  func argmax(_ z: [Float], item: Int, classes: Int, pixels: Int) -> [UInt8] {
    (0..<pixels).map { i in
      var best = 0
      for c in 1..<classes where z[(item * classes + c) * pixels + i] > z[(item * classes + best) * pixels + i] {
        best = c
      }
      return UInt8(best)
    }
  }

  /// IHDR's colour type byte: 3 = indexed (palette), 2 = RGB, 0 = gray.
  func pngColourType(_ path: String) throws -> UInt8 {
    let bytes = try readFileBytes(path)
    XCTAssertEqual(Array(bytes[12..<16]), Array("IHDR".utf8))
    return bytes[25]
  }
}
