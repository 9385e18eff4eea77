import Foundation
import SegData
import WeightIO
import XCTest

/// `fcn train` on data or settings that cannot train: it stops with exit status 1 and a
/// message naming the file (or the step), and keeps what it had written.
final class BadTrainingInputTests: XCTestCase {
  /// A folder data set without classes.txt infers its class count from the masks; one stray
  /// value (77) must be reported as that mask's problem, not as "the data set has 78 classes".
  func testStrayMaskLabelNamesTheMaskAndTheLabel() throws {
    let dir = try makeTempDir(self)
    let data = dir.appendingPathComponent("data")
    for sub in ["images", "masks"] {
      try FileManager.default.createDirectory(at: data.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    for (name, stray) in [("a", false), ("b", true), ("c", false), ("d", false)] {
      let sample = try SyntheticShapes(count: 1, width: 32, height: 32, seed: 7).sample(at: 0)
      var mask = LabelMap(width: 32, height: 32, labels: sample.mask.labels.map { min($0, 2) })
      if stray { mask[5, 6] = 77 }
      try Data(try encodePNG(sample.image)).write(to: data.appendingPathComponent("images/\(name).png"))
      try Data(try encodeGrayPNG(mask)).write(to: data.appendingPathComponent("masks/\(name).png"))
    }
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 2) + ["--data", "folder:\(data.path)", "--classes", "3"], outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)
    let maskPath = data.appendingPathComponent("masks/b.png").path
    for needle in [maskPath, "label 77", "< 3", "255"] {
      XCTAssertTrue(r.stderr.contains(needle), "stderr should contain \(needle): \(r.stderr)")
    }
    XCTAssertFalse(r.stderr.contains("78 classes"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "no run folder for a run that never started")
  }

  /// A run trained to step 4, resumed with a learning rate of 1e30: the weights blow up
  /// within a step or two. Training stops on the first non-finite loss, names that step, logs it
  /// (loss null, flagged), and leaves the step-4 checkpoint as it was (the next is due at 10).
  func testNonFiniteLossStopsNamingTheStepAndKeepsTheCheckpoint() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let first = try FCNExecutable.run(TinyRun.trainArguments(run: run, steps: 4, checkpointEvery: 4), outputIn: dir)
    XCTAssertEqual(first.status, 0, first.stderr)
    let r = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 20, checkpointEvery: 10) + ["--resume", "--lr", "1e30"], outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)

    let lines = try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    let records = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    let last = try XCTUnwrap(records.last)
    XCTAssertEqual(last["nonFinite"] as? Bool, true, "last log record: \(last)")
    XCTAssertTrue(last["loss"] is NSNull, "the loss is logged as null: \(last)")
    let step = try XCTUnwrap(last["step"] as? Int)
    XCTAssertTrue((5..<10).contains(step), "1e30 diverges before the checkpoint at step 10, got step \(step)")
    XCTAssertTrue(r.stderr.contains("step \(step)"), "stderr names step \(step): \(r.stderr)")
    XCTAssertTrue(r.stderr.contains("last.safetensors (step 4)"), r.stderr)
    // Every other step was logged with its finite loss.
    XCTAssertEqual(records.filter { $0["loss"] is Double }.map { $0["step"] as? Int }, (1..<step).map { $0 })

    let checkpoint = try SafeTensors.read(contentsOf: run.appendingPathComponent("checkpoints/last.safetensors"))
    let state = try XCTUnwrap(checkpoint.metadata["swift_fcn_train_state"])
    XCTAssertTrue(state.contains("\"step\":4"), "the checkpoint still holds step 4: \(state)")
    for (name, array) in checkpoint.tensors where !name.hasPrefix("optimizer/") {
      XCTAssertTrue(try array.floats().allSatisfy(\.isFinite), "\(name) is finite")
    }
  }
}
