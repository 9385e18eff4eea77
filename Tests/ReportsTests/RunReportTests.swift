import Foundation
import SegMetrics
import XCTest

@testable import Reports

final class RunReportTests: XCTestCase {
  func testReportIsOneSelfContainedPage() throws {
    let run = try FakeRun.write(to: FakeRun.temporaryDirectory(self).appendingPathComponent("demo"))
    let url = try RunReport.write(run: run)
    XCTAssertEqual(url, run.appendingPathComponent("report.html"))
    let html = try String(contentsOf: url, encoding: .utf8)

    // Nothing fetched from anywhere: no URL, no script, no stylesheet link, images inline.
    XCTAssertFalse(html.lowercased().contains("http"), "a URL in the page")
    XCTAssertFalse(html.lowercased().contains("<script"))
    XCTAssertFalse(html.lowercased().contains("<link"))
    XCTAssertFalse(html.contains("@import"))
    let sources = html.components(separatedBy: "src=\"").dropFirst()
    XCTAssertEqual(sources.count, 1, "the one sample panel")
    for s in sources { XCTAssertTrue(s.hasPrefix("data:image/png;base64,"), String(s.prefix(40))) }
    for h in html.components(separatedBy: "href=\"").dropFirst() { XCTAssertTrue(h.hasPrefix("#")) }
    for u in html.components(separatedBy: "url(").dropFirst() { XCTAssertTrue(u.hasPrefix("#")) }

    // The page's parts: charts with their titles, every class, the config.
    for needle in [
      "Training loss", "Validation metrics", "Per-class IoU over training", "Confusion matrix", "Per-class IoU",
      "train.lr", "synthetic:512", "mIoU", "finished",
    ] {
      XCTAssertTrue(html.contains(needle), "missing \(needle)")
    }
    for name in FakeRun.classNames { XCTAssertTrue(html.contains(name), "missing class \(name)") }
    XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 5)
    // The embedded sample decodes back to the file's bytes.
    let b64 = sources.first!.dropFirst("data:image/png;base64,".count).prefix { $0 != "\"" }
    XCTAssertEqual(
      Data(base64Encoded: String(b64)), try Data(contentsOf: run.appendingPathComponent("samples/val_0.png")))

    for plot in ["loss.svg", "metrics.svg", "class_iou_curves.svg", "class_iou.svg", "confusion.svg"] {
      let svg = try String(contentsOf: run.appendingPathComponent("plots/" + plot), encoding: .utf8)
      XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), plot)
    }
  }

  /// The headline numbers are those of the confusion matrix (hand-checked: pixel accuracy of
  /// FakeRun's matrix is (9000 + 800 + 700 + 300) / total).
  func testMetricsComeFromTheConfusionMatrix() throws {
    let run = try FakeRun.write(to: FakeRun.temporaryDirectory(self).appendingPathComponent("r"))
    let record = try RunRecord.load(run)
    let m = try record.latestMetrics()!
    XCTAssertEqual(m.pixelAccuracy, 10_800.0 / 11_115.0, accuracy: 1e-12)
    let html = try RunReport(record).html()
    XCTAssertTrue(html.contains(String(format: "%.1f %%", 10_800.0 / 11_115.0 * 100)))
    XCTAssertEqual(record.steps.count, 200)
    XCTAssertEqual(record.evaluations.map(\.step), [50, 100, 150, 200])
    XCTAssertEqual(record.evaluations[0].classIoU?.count, 4)
    XCTAssertNil(record.evaluations[0].classIoU?[3] ?? nil)
    XCTAssertEqual(record.configValue("train.flip"), "true")
    XCTAssertEqual(record.configValue("train.batch"), "8")
  }

  /// A resumed run logs redone steps again: the later line wins; a half-written last line (a
  /// kill during the write) is skipped.
  func testLogOfAResumedAndKilledRun() throws {
    let run = try FakeRun.write(to: FakeRun.temporaryDirectory(self).appendingPathComponent("r"), finished: false)
    let log = run.appendingPathComponent("log.jsonl")
    var text = try String(contentsOf: log, encoding: .utf8)
    text += "{\"loss\":0.25,\"step\":199}\n{\"loss\":0.2"
    try text.write(to: log, atomically: true, encoding: .utf8)
    let record = try RunRecord.load(run)
    XCTAssertEqual(record.steps.count, 200)
    XCTAssertEqual(record.steps.first { $0.step == 199 }?.loss, 0.25)
    XCTAssertTrue(try RunReport(record).html().contains("in progress or stopped"))
  }

  func testDamagedRunFoldersAreNamed() throws {
    let root = try FakeRun.temporaryDirectory(self)
    func expect(_ url: URL, _ check: (ReportError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
      XCTAssertThrowsError(try RunReport.write(run: url), file: file, line: line) { error in
        guard let e = error as? ReportError else { return XCTFail("\(error)", file: file, line: line) }
        XCTAssertTrue(check(e), "\(e)", file: file, line: line)
      }
    }
    let missing = root.appendingPathComponent("nope")
    expect(missing) { $0 == .missingRun(missing.path) && $0.description.contains(missing.path) }

    let empty = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    expect(empty) { $0.description.contains("config.json is missing") && $0.description.contains(empty.path) }

    func damaged(_ file: String, _ contents: String, _ expected: String, line: UInt = #line) throws {
      let run = try FakeRun.write(to: root.appendingPathComponent("bad-\(file)-\(line)"))
      try contents.write(to: run.appendingPathComponent(file), atomically: true, encoding: .utf8)
      expect(
        run, { $0.description.contains(run.appendingPathComponent(file).path) && $0.description.contains(expected) },
        line: line)
    }
    try damaged("config.json", "{\"train\": ", "not a JSON object")
    try damaged("config.json", "[1, 2]", "not a JSON object")
    try damaged("log.jsonl", "{\"step\":1,\"loss\":1}\ngarbage\n{\"step\":2,\"loss\":1}\n", "line 2 is not valid JSON")
    try damaged("log.jsonl", "{\"loss\":1}\n", "line 1 is not a JSON object with a \"step\"")
    try damaged("metrics.json", "{\"pixelAccuracy\": \"x\"}", "not the expected JSON")
    try damaged(
      "confusion.json", "{\"step\":1,\"classNames\":[\"a\"],\"matrix\":{\"classes\":2,\"counts\":[1,2,3]}}",
      "not the expected JSON")
    try damaged(
      "confusion.json", "{\"step\":1,\"classNames\":[\"a\"],\"matrix\":{\"classes\":2,\"counts\":[1,2,3,4]}}",
      "1 class names for a 2-class matrix")
    // A file where the folder should be.
    let file = root.appendingPathComponent("file")
    try "x".write(to: file, atomically: true, encoding: .utf8)
    expect(file) { $0.description.contains(file.path) }
  }

  /// The page is replaced, never half-written: writing over an existing page leaves no
  /// temporary files and a complete page.
  func testRewritingKeepsOnePage() throws {
    let run = try FakeRun.write(to: FakeRun.temporaryDirectory(self).appendingPathComponent("r"))
    try RunReport.write(run: run)
    try RunReport.write(run: run)
    let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
    XCTAssertEqual(
      files, ["config.json", "confusion.json", "log.jsonl", "metrics.json", "plots", "report.html", "samples"])
    XCTAssertTrue(
      try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8).hasSuffix("</html>\n"))
  }

  func testComparisonFindsConfigDifferencesAndTheBestRun() throws {
    let root = try FakeRun.temporaryDirectory(self)
    let a = try FakeRun.write(to: root.appendingPathComponent("a"), lr: 0.002, seed: 1)
    let b = try FakeRun.write(to: root.appendingPathComponent("b"), lr: 0.001, seed: 2)
    // b evaluates better.
    let log = b.appendingPathComponent("log.jsonl")
    try (String(contentsOf: log, encoding: .utf8) + "{\"step\":200,\"val_miou\":0.9}\n")
      .write(to: log, atomically: true, encoding: .utf8)
    let c = RunComparison(try [a, b].map(RunRecord.load))
    XCTAssertEqual(c.configDifferences.map(\.key), ["train.lr"])
    XCTAssertEqual(c.configDifferences.first?.values, ["0.002", "0.001"])
    let table = try c.terminalTable()
    XCTAssertTrue(table.contains("train.lr"), table)
    let bestLine = table.split(separator: "\n").first { $0.hasPrefix("best mIoU") }!
    XCTAssertTrue(bestLine.hasSuffix("90.0 % (200) *"), String(bestLine))
    let html = try c.html()
    XCTAssertFalse(html.lowercased().contains("http"))
    XCTAssertTrue(html.contains("Configuration differences") && html.contains("0.001"))
    XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2)
    // Same folder name twice: the columns use the paths.
    let twin = try FakeRun.write(to: root.appendingPathComponent("x/a"))
    XCTAssertEqual(RunComparison(try [a, twin].map(RunRecord.load)).labels, [a.path, twin.path])
    // Identical settings.
    // The same run twice: no differences, and a tie marks no one best.
    let same = RunComparison(try [a, a].map(RunRecord.load))
    XCTAssertTrue(same.configDifferences.isEmpty)
    XCTAssertFalse(try same.terminalTable().contains("*\n"))
  }
}
