import Foundation
import XCTest

/// `fcn train --loss/--patience/--keep-last/--freeze-bn` from the command line: recorded in
/// config.json, bad values refused naming the option or term; `fcn eval` prints the most
/// confused pairs and writes the row-normalised matrix with --json.
final class CompetitionOptionsTests: XCTestCase {
  func testOptionsAreRecordedAndStepCheckpointsKept() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let arguments =
      TinyRun.trainArguments(run: run, steps: 12, checkpointEvery: 2) + [
        "--loss", "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.5", "--eval-every", "4", "--patience", "5",
        "--min-delta", "0.01", "--keep-last", "2", "--freeze-bn", "--backbone", "vgg16-bn",
      ]
    let r = try FCNExecutable.run(arguments, outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json")))
    let train = (config as! [String: Any])["train"] as! [String: Any]
    XCTAssertEqual(train["loss"] as? String, "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.5")
    XCTAssertEqual(train["patience"] as? Int, 5)
    XCTAssertEqual(train["minDelta"] as? Double, 0.01)
    XCTAssertEqual(train["keepLast"] as? Int, 2)
    XCTAssertEqual(train["freezeBatchNorm"] as? Bool, true)
    let checkpoints = try FileManager.default.contentsOfDirectory(
      atPath: run.appendingPathComponent("checkpoints").path
    ).sorted()
    XCTAssertEqual(
      checkpoints, ["best.safetensors", "last.safetensors", "step-00000010.safetensors", "step-00000012.safetensors"])
    // A kept step checkpoint is a checkpoint: eval reads it.
    let e = try FCNExecutable.run(
      ["eval", "--weights", run.appendingPathComponent("checkpoints/step-00000010.safetensors").path], outputIn: dir)
    XCTAssertEqual(e.status, 0, e.stderr)
  }

  func testBadValuesAreRefusedNamingTheTermOrOption() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    for (extra, named) in [
      (["--loss", "ce:1,dcie:0.5"], "dcie:0.5"), (["--loss", "focal:3:0.5"], "focal:3:0.5"),
      (["--loss", "dice:-1"], "dice:-1"), (["--patience", "3"], "--eval-every"),
      (["--patience", "0", "--eval-every", "2"], "--patience"), (["--min-delta=-0.1"], "--min-delta"),
      (["--keep-last=-1"], "--keep-last"),
    ] {
      let r = try FCNExecutable.run(TinyRun.trainArguments(run: run, steps: 2) + extra, outputIn: dir)
      XCTAssertEqual(r.status, 1, "\(extra): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(named), "\(extra): \(r.stderr)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "\(extra): nothing is written")
    }
  }

  func testEvalPrintsMostConfusedPairsAndWritesTheMatrix() throws {
    let dir = try makeTempDir(self)
    let json = dir.appendingPathComponent("eval.json")
    let e = try FCNExecutable.run(
      ["eval", "--weights", try TinyRun.weights().path, "--data", "synthetic:8", "--json", json.path], outputIn: dir)
    XCTAssertEqual(e.status, 0, e.stderr)
    XCTAssertTrue(e.stdout.contains("most confused (share of the true class's pixels):"), e.stdout)
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
    let rows = object["confusionRowNormalized"] as! [Any]
    XCTAssertEqual(rows.count, TinyRun.classes)
    for case let row as [Double] in rows {
      XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-9, "each present class's row sums to 1")
    }
    let pairs = object["mostConfused"] as! [[String: Any]]
    XCTAssertFalse(pairs.isEmpty)
    XCTAssertLessThanOrEqual(pairs.count, 5)
    // The printed lines are the JSON's pairs: the first one's share appears in stdout.
    let first = pairs[0]
    let line = String(
      format: "%.1f%% of %@'s pixels", 100 * (first["fractionOfTruth"] as! Double), first["truthName"] as! String)
    XCTAssertTrue(e.stdout.contains(line), "\(line) not in \(e.stdout)")
    let shares = pairs.map { $0["fractionOfTruth"] as! Double }
    XCTAssertEqual(shares, shares.sorted(by: >))
  }
}
