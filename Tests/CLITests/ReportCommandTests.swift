import Foundation
import SegMetrics
import XCTest

/// `fcn train` leaves a report; `fcn report` rewrites it from the folder; `fcn compare` compares
/// runs; a missing or damaged folder is an error naming it (exit 1).
final class ReportCommandTests: XCTestCase {
  func testTrainWritesAReportAndReportAndCompareWork() throws {
    let dir = try makeTempDir(self)
    let a = dir.appendingPathComponent("a")
    let b = dir.appendingPathComponent("b")
    var trainA = TinyRun.trainArguments(run: a, steps: 6, checkpointEvery: 0)
    trainA += ["--eval-every", "3"]
    let t1 = try FCNExecutable.run(trainA, outputIn: dir)
    XCTAssertEqual(t1.status, 0, t1.stderr)
    let t2 = try FCNExecutable.run(
      TinyRun.trainArguments(run: b, steps: 6, checkpointEvery: 0) + ["--lr", "0.0005"], outputIn: dir)
    XCTAssertEqual(t2.status, 0, t2.stderr)

    let report = a.appendingPathComponent("report.html")
    let html = try String(contentsOf: report, encoding: .utf8)
    XCTAssertTrue(html.contains("Confusion matrix") && html.contains("data:image/png;base64,"))
    XCTAssertFalse(html.lowercased().contains("http"))
    // The log carries per-class IoU at each evaluation (steps 3 and 6).
    let log = try String(contentsOf: a.appendingPathComponent("log.jsonl"), encoding: .utf8)
    XCTAssertEqual(log.components(separatedBy: "\"val_class_iou\"").count - 1, 2)

    // confusion.json (what the report's per-class numbers come from) is the final evaluation:
    // its metrics are metrics.json's.
    struct Snapshot: Decodable {
      var step: Int
      var classNames: [String]
      var matrix: ConfusionMatrix
    }
    let snapshot = try JSONDecoder().decode(
      Snapshot.self, from: Data(contentsOf: a.appendingPathComponent("confusion.json")))
    let final = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: a.appendingPathComponent("metrics.json")))
    XCTAssertEqual(snapshot.step, 6)
    XCTAssertEqual(try snapshot.matrix.metrics(classNames: snapshot.classNames), final)
    for name in snapshot.classNames { XCTAssertTrue(html.contains(name), name) }

    try FileManager.default.removeItem(at: report)
    let r = try FCNExecutable.run(["report", "--run", a.path], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(FileManager.default.fileExists(atPath: report.path))

    let out = dir.appendingPathComponent("cmp.html")
    let c = try FCNExecutable.run(["compare", a.path, b.path, "--out", out.path], outputIn: dir)
    XCTAssertEqual(c.status, 0, c.stderr)
    XCTAssertTrue(c.stdout.contains("train.learningRate"), c.stdout)
    XCTAssertTrue(c.stdout.contains("mIoU"), c.stdout)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
  }

  func testMissingAndDamagedRunsAreErrors() throws {
    let dir = try makeTempDir(self)
    let missing = dir.appendingPathComponent("no-such-run")
    let r = try FCNExecutable.run(["report", "--run", missing.path], outputIn: dir)
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains(missing.path), r.stderr)

    let damaged = dir.appendingPathComponent("damaged")
    try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
    try "{oops".write(to: damaged.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    try "".write(to: damaged.appendingPathComponent("log.jsonl"), atomically: true, encoding: .utf8)
    let d = try FCNExecutable.run(["report", "--run", damaged.path], outputIn: dir)
    XCTAssertEqual(d.status, 1)
    XCTAssertTrue(d.stderr.contains(damaged.appendingPathComponent("config.json").path), d.stderr)

    let page = dir.appendingPathComponent("compare.html")
    let c = try FCNExecutable.run(["compare", damaged.path, missing.path, "--out", page.path], outputIn: dir)
    XCTAssertEqual(c.status, 1)
    XCTAssertFalse(FileManager.default.fileExists(atPath: page.path))
    let one = try FCNExecutable.run(["compare", damaged.path], outputIn: dir)
    XCTAssertEqual(one.status, 2, "one run is a usage error")
  }
}
