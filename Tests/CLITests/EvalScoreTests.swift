import Foundation
import SegData
import SegMetrics
import XCTest

/// `fcn eval` on a folder data set must report exactly what `fcn score` reports for the masks
/// `fcn predict` writes for the same images: both are "the model's prediction of this image",
/// so any difference (normalisation, resizing, decoding, argmax) is a bug in one of them.
final class EvalScoreTests: XCTestCase {
  /// images/ (PNG and JPEG, three sizes, none a multiple of 32), masks/ with an ignored band,
  /// classes.txt with the model's six classes; every image in the val split.
  func makeFolderDataset(_ root: URL) throws {
    let fm = FileManager.default
    for d in ["images", "masks"] {
      try fm.createDirectory(at: root.appendingPathComponent(d), withIntermediateDirectories: true)
    }
    let items = [("s0", "png", 45, 37), ("s1", "jpg", 33, 40), ("s2", "png", 50, 29)]
    for (i, (stem, ext, width, height)) in items.enumerated() {
      let sample = try SyntheticShapes(count: 8, width: width, height: height, seed: 21).sample(at: i)
      var mask = sample.mask
      if i == 1 { for k in 0..<(3 * width) { mask.labels[k] = LabelMap.ignore } }
      try writeImage(sample.image, to: root.appendingPathComponent("images/\(stem).\(ext)").path)
      try writeLabelMap(mask, to: root.appendingPathComponent("masks/\(stem).png").path)
    }
    let stems = items.map(\.0).joined(separator: "\n") + "\n"
    try stems.write(to: root.appendingPathComponent("train.txt"), atomically: true, encoding: .utf8)
    try stems.write(to: root.appendingPathComponent("val.txt"), atomically: true, encoding: .utf8)
    try (SyntheticShapes.classNames.joined(separator: "\n") + "\n")
      .write(to: root.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
  }

  func testEvalEqualsScoreOfPredictedMasks() throws {
    let dir = try makeTempDir(self)
    let data = dir.appendingPathComponent("data")
    let predictions = dir.appendingPathComponent("pred")
    try makeFolderDataset(data)
    let weights = try TinyRun.weights().path
    let evalJSON = dir.appendingPathComponent("eval.json")
    let scoreJSON = dir.appendingPathComponent("score.json")

    let e = try FCNExecutable.run(
      ["eval", "--weights", weights, "--data", "folder:\(data.path)", "--json", evalJSON.path], outputIn: dir)
    XCTAssertEqual(e.status, 0, e.stderr)
    let p = try FCNExecutable.run(
      [
        "predict", "--weights", weights, "--input", data.appendingPathComponent("images").path, "--output",
        predictions.path,
      ], outputIn: dir)
    XCTAssertEqual(p.status, 0, p.stderr)
    let s = try FCNExecutable.run(
      [
        "score", "--pred", predictions.path, "--gt", data.appendingPathComponent("masks").path, "--classes",
        "\(TinyRun.classes)", "--json", scoreJSON.path,
      ],
      outputIn: dir)
    XCTAssertEqual(s.status, 0, s.stderr)

    // Guard against a vacuous pass: masks of one class hardly depend on the input's pixels.
    var classes = Set<UInt8>()
    for stem in ["s0", "s1", "s2"] {
      classes.formUnion(try readLabelMap(predictions.appendingPathComponent("\(stem).png").path).labels)
    }
    XCTAssertGreaterThanOrEqual(classes.count, 3, "predicted classes \(classes)")

    var evaluated = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: evalJSON))
    var scored = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: scoreJSON))
    // eval knows the data set's class names and score does not; everything else must agree.
    (evaluated.classNames, scored.classNames) = (nil, nil)
    XCTAssertEqual(evaluated, scored)
    let pixels: Int64 = 45 * 37 + 33 * 40 + 50 * 29
    let ignored: Int64 = 3 * 33
    XCTAssertEqual(evaluated.countedPixels, pixels - ignored, "ignored pixels must not count")
    XCTAssertEqual(evaluated.classes, TinyRun.classes)
  }
}
