import Foundation
import XCTest

/// The options that choose among fixed values (optimizer, schedule, precision, normalisation,
/// split, bench op and mode, backbone) are read into types: anything else is a usage error
/// (exit 2) that names the option and the values it takes, before any work starts. And the
/// augmentation options reach the run's config.json.
final class ChoiceOptionTests: XCTestCase {
  func assertUsageError(
    _ arguments: [String], option: String, validValue: String, in dir: URL,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let r = try FCNExecutable.run(arguments, outputIn: dir, timeout: 30)
    XCTAssertEqual(r.status, 2, "\(arguments): exit status; stderr: \(r.stderr)", file: file, line: line)
    for needle in [option, validValue] {
      XCTAssertTrue(
        r.stderr.contains(needle), "\(arguments): stderr should name \(needle): \(r.stderr)", file: file, line: line)
    }
  }

  func testUnknownChoiceNamesTheOptionAndTheValidValues() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let train = TinyRun.trainArguments(run: run)
    let weights = dir.appendingPathComponent("w.safetensors").path
    let cases: [([String], String, String)] = [
      (train + ["--optimizer", "lbfgs"], "--optimizer", "adamw"),
      (train + ["--schedule", "linear"], "--schedule", "cosine"),
      (train + ["--normalize", "zscore"], "--normalize", "caffe"),
      (train + ["--precision", "fp16"], "--precision", "bf16"),
      (train + ["--backbone", "resnet50"], "--backbone", "vgg16-bn"),
      (["eval", "--weights", weights, "--split", "test"], "--split", "val"),
      (
        ["predict", "--weights", weights, "--input", dir.path, "--output", dir.path, "--normalize", "rgb"],
        "--normalize", "imagenet"
      ),
      (["bench", "--op", "gemm"], "--op", "loader"),
      (["bench", "--model", "fcn8s", "--mode", "backward"], "--mode", "infer"),
    ]
    for (arguments, option, valid) in cases {
      try assertUsageError(arguments, option: option, validValue: valid, in: dir)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "no run folder for a run that never started")
  }

  /// Malformed is a usage error (2); well-formed but not a scale is a refused configuration (1).
  func testBadScaleJitterNamesTheOption() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    for (value, status) in [("1.25,0.75", Int32(2)), ("0.75", 2), ("a,b", 2), ("0,1.25", 1)] {
      let r = try FCNExecutable.run(
        TinyRun.trainArguments(run: run) + ["--scale-jitter", value], outputIn: dir, timeout: 30)
      XCTAssertEqual(r.status, status, "--scale-jitter \(value); stderr: \(r.stderr)")
      XCTAssertTrue(r.stderr.contains("--scale-jitter"), "--scale-jitter \(value): \(r.stderr)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints").path))
  }

  /// Every training option the command line offers lands in config.json, choices as strings.
  func testAugmentationAndChoicesReachConfigJSON() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 2, checkpointEvery: 0) + [
        "--scale-jitter", "0.9,1.1", "--no-flip", "--optimizer", "adam", "--schedule", "step", "--normalize", "caffe",
      ], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let data = try Data(contentsOf: run.appendingPathComponent("config.json"))
    let config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let train = try XCTUnwrap(config["train"] as? [String: Any])
    XCTAssertEqual(train["scaleJitter"] as? [Double], [0.9, 1.1])
    XCTAssertEqual(train["flip"] as? Bool, false)
    XCTAssertEqual(train["optimizer"] as? String, "adam")
    XCTAssertEqual(train["schedule"] as? String, "step")
    XCTAssertEqual(train["normalize"] as? String, "caffe")
  }

  /// `fcn bench --model` takes the model options every command shares; --classes stays 21
  /// when not given.
  func testBenchUsesTheSharedModelOptions() throws {
    let dir = try makeTempDir(self)
    let r = try FCNExecutable.run(
      ["bench"] + TinyRun.model + [
        "--size", "32x32", "--batch", "1", "--steps", "1", "--warmup", "0", "--json",
      ], outputIn: dir, timeout: 300)
    XCTAssertEqual(r.status, 0, r.stderr)
    let line = try XCTUnwrap(r.stdout.split(separator: "\n").last.map(String.init), r.stdout)
    let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    XCTAssertEqual(result["model"] as? String, "fcn8s")
    XCTAssertEqual(result["classes"] as? Int, 21)
    XCTAssertEqual(result["mode"] as? String, "infer")
  }
}
