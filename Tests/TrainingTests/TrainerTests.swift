import Foundation
import NN
import SegMetrics
import Tensor
import Training
import WeightIO
import XCTest

final class TrainerTests: TinyTrainingTestCase {
  func weights(_ run: String) throws -> [String: [Float]] {
    let c = try Checkpoint.load(from: RunFolder(scratch.appendingPathComponent(run).path).last)
    return try c.model.mapValues { try $0.floats() }
  }

  /// A few synthetic images, trained on themselves: the loop must be able to fit them.
  func testTinyTrainingOverfitsAFewImages() throws {
    var o = options(steps: 300, data: "synthetic:4")
    o.checkpointEvery = 0
    let model = try TinyNet(classes: 6)
    let t = try trainer(o, "overfit", model: model)
    _ = try t.train(resume: false)
    // Score on the training images themselves (overfitting is the point).
    let train = try SegDataAccess.trainSet(o)
    let matrix = try evaluate(model, dataset: train, normalization: .imagenet)
    XCTAssertGreaterThanOrEqual(matrix.meanIoU, 0.9, "train-set mIoU \(matrix.meanIoU)")
    let run = RunFolder(scratch.appendingPathComponent("overfit").path)
    let plots = ["loss.svg", "metrics.svg", "class_iou_curves.svg", "class_iou.svg", "confusion.svg"].map {
      run.plots.appendingPathComponent($0)
    }
    for url in [run.config, run.log, run.last, run.best, run.metrics, run.confusion, run.report] + plots {
      XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "missing \(url.lastPathComponent)")
    }
    let samples = try FileManager.default.contentsOfDirectory(atPath: run.samples.path)
    XCTAssertEqual(samples.count, 1, "one val image in synthetic:4 → one overlay: \(samples)")
    if let keep = ProcessInfo.processInfo.environment["FCN_KEEP_TEST_RUN"] {
      try? FileManager.default.copyItem(atPath: run.directory.path, toPath: keep)
    }
  }

  /// Stopping after 7 steps and resuming to 12 gives bit-identical weights to 12 straight steps
  /// (dropout, BatchNorm statistics, AdamW moments and the loader position all restored).
  func testStopAndResumeIsBitIdentical() throws {
    _ = try trainer(options(steps: 12), "straight").train(resume: false)

    var stopAfter = 7
    let first = try trainer(options(steps: 12), "resumed")
    first.stopRequested = {
      stopAfter -= 1
      return stopAfter == 0
    }
    let partial = try first.train(resume: false)
    XCTAssertTrue(partial.stopped)
    XCTAssertEqual(partial.steps, 7)
    // A fresh process: new model object with different initial weights, everything from disk.
    let second = try trainer(options(steps: 12), "resumed", model: TinyNet(classes: 6, seed: 99))
    let done = try second.train(resume: true)
    XCTAssertEqual(done.steps, 12)
    let a = try weights("straight")
    let b = try weights("resumed")
    XCTAssertEqual(Set(a.keys), Set(b.keys))
    for (k, v) in a { XCTAssertEqual(v, b[k], "\(k) differs after resume") }
  }

  /// A damaged checkpoint's counters: a negative step would train for ~forever, an epoch of
  /// Int.max overflowed when the loader moved to the next, a generator state of two words
  /// trapped in the dropout layer. All are refused naming the file.
  func testResumeRefusesAnImpossibleTrainState() throws {
    _ = try trainer(options(steps: 2), "damaged").train(resume: false)
    let last = RunFolder(scratch.appendingPathComponent("damaged").path).last
    let (tensors, metadata) = try SafeTensors.read(contentsOf: last)
    let state = try XCTUnwrap(metadata[Checkpoint.stateKey])
    for (damaged, needle) in [
      (state.replacingOccurrences(of: "\"step\":2", with: "\"step\":-1000000000000"), "negative"),
      (state.replacing(#/"epoch":[0-9]+/#, with: #""epoch":9223372036854775807"#), "2^40"),
      (state.replacing(#/"rngStates":\[\[[0-9]+,[0-9]+,/#, with: #""rngStates":[["#), "4 words"),
    ] {
      XCTAssertNotEqual(damaged, state)
      var changed = metadata
      changed[Checkpoint.stateKey] = damaged
      try SafeTensors.write(tensors, metadata: changed, to: last)
      XCTAssertThrowsError(try trainer(options(steps: 4), "damaged").train(resume: true)) {
        XCTAssertTrue("\($0)".contains(last.path) && "\($0)".contains(needle), "\($0)")
      }
    }
  }

  func testExistingRunIsNotOverwrittenWithoutResume() throws {
    _ = try trainer(options(steps: 2), "once").train(resume: false)
    XCTAssertThrowsError(try trainer(options(steps: 2), "once").train(resume: false)) {
      XCTAssertTrue("\($0)".contains("--resume"), "\($0)")
    }
  }

  func testPlannerRefusesAnAbsurdBatchBeforeAllocating() throws {
    var o = options(steps: 1, data: "synthetic:80")
    o.batch = 64
    o.crop = .init(height: 32, width: 32)
    let t = try trainer(o, "planner")
    t.memoryLimits = MemoryLimits(availableBytes: 2 << 20, source: "test limit")
    let before = BufferPool.shared.bytesAllocated
    XCTAssertThrowsError(try t.train(resume: false)) { error in
      let s = "\(error)"
      XCTAssertTrue(s.contains("refusing") && s.contains("test limit") && s.contains("--batch"), s)
    }
    XCTAssertEqual(BufferPool.shared.bytesAllocated, before, "nothing may be allocated for a refused plan")
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("planner/checkpoints").path))
  }
}
