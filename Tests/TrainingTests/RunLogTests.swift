import Foundation
import Training
import XCTest

final class RunLogTests: XCTestCase {
  /// JSON has no NaN: a diverged step is written with a null loss and a flag, not dropped.
  func testNonFiniteValuesAreWrittenAsNullAndFlagged() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("runlog-\(UUID().uuidString).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let log = try RunLog(path: path, truncate: true)
    log.write(StepRecord(step: 1, loss: 0.5))
    log.write(StepRecord(step: 2, loss: .nan, lr: .infinity))
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 2)
    let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    XCTAssertNil(first["nonFinite"])
    let second = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
    XCTAssertEqual(second["step"] as? Int, 2)
    XCTAssertTrue(second["loss"] is NSNull)
    XCTAssertTrue(second["lr"] is NSNull)
    XCTAssertEqual(second["nonFinite"] as? Bool, true)
  }
}
