import Foundation
import XCTest

/// Arguments far outside anything sensible: exit status 1 naming the option, never an abort
/// allocating what they ask for or an arithmetic trap.
final class AbsurdArgumentTests: XCTestCase {
  func testEachAbsurdValueIsRefusedNamingTheOption() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let train = TinyRun.trainArguments(run: run, steps: 2)
    let cases: [(arguments: [String], mentions: String)] = [
      // Aborted allocating a permutation of 10^14 indices.
      (train + ["--data", "synthetic:99999999999999"], "synthetic:"),
      // Overflowed (SIGILL) adding up layer sizes.
      (["info", "--size", "40000x40000", "--batch", "100000"], "batch 100000"),
      // Failed writing config.json with a message about JSON encoding, not the flag.
      (train + ["--momentum", "nan"], "--momentum"),
      (train + ["--weight-decay", "inf"], "--weight-decay"),
      (train + ["--lr", "inf"], "--lr"),
      (train + ["--workers", "1000000"], "--workers"),
    ]
    for (arguments, needle) in cases {
      let r = try FCNExecutable.run(arguments, outputIn: dir, timeout: 60)
      XCTAssertEqual(r.status, 1, "\(arguments): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(needle), "\(arguments) should name \(needle): \(r.stderr)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "\(arguments) left a run folder")
    }
  }
}
