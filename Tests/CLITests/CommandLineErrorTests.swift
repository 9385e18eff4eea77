import Foundation
import SegData
import XCTest

/// Mistakes at the command line end with a message that names the file or option and the
/// documented exit status — 1 for bad input or a refused configuration, 2 for a command line
/// that cannot be understood — never with a crash, a hang or a half-written run.
final class CommandLineErrorTests: XCTestCase {
  func assertFails(
    _ r: FCNExecutable.Result, status: Int32, mentions needles: [String], file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(r.status, status, "exit status; stderr: \(r.stderr)", file: file, line: line)
    for n in needles {
      XCTAssertTrue(r.stderr.contains(n), "stderr should name \(n): \(r.stderr)", file: file, line: line)
    }
  }

  func testMissingDataFolderNamesThePath() throws {
    let dir = try makeTempDir(self)
    let missing = dir.appendingPathComponent("no-such-dataset").path
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(TinyRun.trainArguments(run: run) + ["--data", "folder:\(missing)"], outputIn: dir)
    assertFails(r, status: 1, mentions: [missing])
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "no run folder for a run that never started")
  }

  func testEvalOnMissingDataFolderNamesThePath() throws {
    let dir = try makeTempDir(self)
    let missing = dir.appendingPathComponent("gone").path
    let r = try FCNExecutable.run(
      ["eval", "--weights", try TinyRun.weights().path, "--data", "folder:\(missing)"], outputIn: dir)
    assertFails(r, status: 1, mentions: [missing])
  }

  func testTruncatedPNGInputToPredictNamesTheFile() throws {
    let dir = try makeTempDir(self)
    let png = try encodePNG(SyntheticShapes(count: 1, width: 40, height: 30, seed: 5).sample(at: 0).image)
    let input = dir.appendingPathComponent("cut.png")
    try Data(png.prefix(png.count / 2)).write(to: input)
    let out = dir.appendingPathComponent("out")
    let r = try FCNExecutable.run(
      ["predict", "--weights", try TinyRun.weights().path, "--input", input.path, "--output", out.path], outputIn: dir)
    assertFails(r, status: 1, mentions: [input.path])
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: out.appendingPathComponent("cut.png").path),
      "no mask for an unreadable image")
  }

  /// A --crop that is not HxW cannot be understood, like `--batch abc`: a usage error (2).
  func testMalformedCropIsAUsageErrorNamingTheOption() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(TinyRun.trainArguments(run: run) + ["--crop", "12xabc"], outputIn: dir)
    assertFails(r, status: 2, mentions: ["--crop", "12xabc"])
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.path))
  }

  /// A well-formed --crop too large for this machine even at batch 1 is a refused
  /// configuration (1), and the advice says to make the crop smaller.
  func testCropTooLargeForMemoryIsRefusedNamingTheOption() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(
      TinyRun.trainArguments(run: run) + ["--batch", "1", "--crop", "60000x60000"], outputIn: dir, timeout: 30)
    assertFails(r, status: 1, mentions: ["refusing", "--crop"])
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints").path))
  }

  func testUnknownFlagIsAUsageError() throws {
    let dir = try makeTempDir(self)
    let r = try FCNExecutable.run(["train", "--no-such-flag"], outputIn: dir)
    assertFails(r, status: 2, mentions: ["--no-such-flag"])
  }

  /// The memory planner refuses before allocating anything: quickly, with the estimate and
  /// what would fit, and without leaving a checkpoint behind.
  func testAbsurdBatchIsRefusedQuicklyWithEstimateAndAdvice() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    // 100000 samples (generated lazily) so the batch is not refused for the data set's size;
    // 256×256 so the estimate (terabytes) exceeds any machine's memory.
    let arguments =
      TinyRun.trainArguments(run: run) + [
        "--data", "synthetic:100000", "--synthetic-size", "256x256", "--batch", "100000",
      ]
    let r = try FCNExecutable.run(arguments, outputIn: dir, timeout: 30)
    assertFails(
      r, status: 1,
      mentions: ["refusing", "batch 100000", "needs about", "available", "Try:", "--batch", "--accumulate"])
    XCTAssertLessThan(r.seconds, 10, "the refusal took \(r.seconds) s")
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/last.safetensors").path))
  }
}
