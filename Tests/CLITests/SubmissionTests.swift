import Foundation
import SegData
import XCTest

/// `fcn predict --data coco:test.json --submission out.csv`: a COCO image list without
/// annotations, rows in the JSON's order, masks resized by OpenCV's INTER_NEAREST — checked
/// against the masks `--output` writes in the same run, resized here by a separate loop.
final class SubmissionTests: XCTestCase {
  /// test.json (images only, no "annotations", no "categories"), in an order that is not the
  /// file names' order, one file in a sub-folder, a JPEG, sizes that are not multiples of 32.
  func makeTestSet(_ root: URL, extra: [(String, Int, Int)] = []) throws -> [(name: String, width: Int, height: Int)] {
    let images = root.appendingPathComponent("images")
    try FileManager.default.createDirectory(
      at: images.appendingPathComponent("batch_01"), withIntermediateDirectories: true)
    var list = [("zeta.png", 45, 37), ("batch_01/0001.png", 29, 50), ("alpha.jpg", 33, 40)]
    for (i, item) in list.enumerated() {
      try writeImage(
        Competition.image(i, width: item.1, height: item.2), to: images.appendingPathComponent(item.0).path)
    }
    list += extra
    let entries = list.enumerated().map { i, item in
      #"{"id": \#(i + 7), "file_name": "\#(item.0)", "width": \#(item.1), "height": \#(item.2)}"#
    }
    try #"{"images": [\#(entries.joined(separator: ", "))]}"#.write(
      to: root.appendingPathComponent("test.json"), atomically: true, encoding: .utf8)
    return list.map { ($0.0, $0.1, $0.2) }
  }

  func rows(_ csv: URL) throws -> [(id: String, values: [String])] {
    let text = try String(contentsOf: csv, encoding: .utf8)
    XCTAssertTrue(text.hasSuffix("\n"))
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    XCTAssertEqual(lines.removeFirst(), "image_id,PredictionString")
    return lines.map { line in
      let comma = line.firstIndex(of: ",")!
      return (
        String(line[..<comma]),
        line[line.index(after: comma)...].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
      )
    }
  }

  func testSubmissionRowsAreTheOutputMasksResizedByNearestInJSONOrder() throws {
    let dir = try makeTempDir(self)
    let list = try makeTestSet(dir)
    // The images somewhere else than next to the JSON: --images finds them.
    let moved = dir.appendingPathComponent("elsewhere")
    try FileManager.default.moveItem(at: dir.appendingPathComponent("images"), to: moved)
    let csv = dir.appendingPathComponent("out.csv")
    let masks = dir.appendingPathComponent("masks")
    let r = try FCNExecutable.run(
      [
        "predict", "--weights", try TinyRun.weights().path, "--data",
        "coco:" + dir.appendingPathComponent("test.json").path,
        "--images", moved.path, "--submission", csv.path, "--submission-size", "11x7", "--output", masks.path,
      ], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let got = try rows(csv)
    XCTAssertEqual(got.map(\.id), list.map(\.name), "one row per image, JSON order, file_name exactly")
    var classes = Set<String>()
    for (row, item) in zip(got, list) {
      let stem = (item.name as NSString).deletingPathExtension
      let mask = try readLabelMap(masks.appendingPathComponent(stem + ".png").path)
      XCTAssertEqual([mask.width, mask.height], [item.width, item.height])
      var want: [String] = []
      for y in 0..<11 {
        for x in 0..<7 {
          let sy = Competition.nearestSource(y, dst: 11, src: mask.height)
          let sx = Competition.nearestSource(x, dst: 7, src: mask.width)
          want.append(String(mask.labels[sy * mask.width + sx]))
        }
      }
      XCTAssertEqual(row.values, want, item.name)
      classes.formUnion(row.values)
    }
    XCTAssertGreaterThanOrEqual(classes.count, 3, "rows of one class would hide a wrong resize: \(classes)")

    // The default size: 256 × 256 values a row.
    let full = dir.appendingPathComponent("full.csv")
    let d = try FCNExecutable.run(
      [
        "predict", "--weights", try TinyRun.weights().path, "--data",
        "coco:" + dir.appendingPathComponent("test.json").path,
        "--images", moved.path, "--submission", full.path,
      ], outputIn: dir)
    XCTAssertEqual(d.status, 0, d.stderr)
    XCTAssertEqual(try rows(full).map(\.values.count), [65536, 65536, 65536])
  }

  /// An unreadable image stops the run naming it and leaves an earlier CSV as it was;
  /// --skip-bad warns and writes no row for it.
  func testUnreadableImageStopsOrIsSkipped() throws {
    let dir = try makeTempDir(self)
    try makeTestSet(dir, extra: [("broken.png", 20, 20), ("missing.png", 20, 20)])
    try Data("not a png".utf8).write(to: dir.appendingPathComponent("images/broken.png"))
    let csv = dir.appendingPathComponent("out.csv")
    try "earlier submission\n".write(to: csv, atomically: true, encoding: .utf8)
    let arguments = [
      "predict", "--weights", try TinyRun.weights().path, "--data",
      "coco:" + dir.appendingPathComponent("test.json").path,
      "--submission", csv.path, "--submission-size", "4x4",
    ]
    let stop = try FCNExecutable.run(arguments, outputIn: dir)
    XCTAssertEqual(stop.status, 1, stop.stderr)
    XCTAssertTrue(stop.stderr.contains("broken.png"), stop.stderr)
    XCTAssertEqual(try String(contentsOf: csv, encoding: .utf8), "earlier submission\n")
    XCTAssertFalse(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") },
      "no temporary file left behind")

    let skip = try FCNExecutable.run(arguments + ["--skip-bad"], outputIn: dir)
    XCTAssertEqual(skip.status, 0, skip.stderr)
    XCTAssertTrue(skip.stderr.contains("broken.png") && skip.stderr.contains("missing.png"), skip.stderr)
    XCTAssertEqual(try rows(csv).map(\.id), ["zeta.png", "batch_01/0001.png", "alpha.jpg"])
  }

  /// The COCO file is still checked: a broken JSON or an image list that is not one stops with the file named.
  func testBadTestJSONIsRefused() throws {
    let dir = try makeTempDir(self)
    let json = dir.appendingPathComponent("test.json")
    try #"{"images": [{"id": 1, "file_name": "a.png"}]}"#.write(to: json, atomically: true, encoding: .utf8)
    let r = try FCNExecutable.run(
      [
        "predict", "--weights", try TinyRun.weights().path, "--data", "coco:" + json.path, "--submission",
        dir.appendingPathComponent("s.csv").path,
      ], outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("test.json") && r.stderr.contains("width"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.csv").path))
  }
}
