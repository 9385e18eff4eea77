import FCN
import Foundation
import NN
import Tensor
import Training
import WeightIO
import XCTest

/// The training options of the competition workflow: a mixed loss, early stopping that survives
/// a resume, step checkpoints, frozen BatchNorm.
final class CompetitionTrainingTests: TinyTrainingTestCase {
  func last(_ run: String) throws -> Checkpoint.Contents {
    try Checkpoint.load(from: RunFolder(scratch.appendingPathComponent(run).path).last)
  }

  /// min-delta 1 (no mIoU can gain a whole 1): the first evaluation sets the reference, the
  /// next two stall, and patience 2 stops the run at step 6 of 40. Stopped at step 5 (after
  /// two evaluations, one stalled) and resumed, it stops at the same step with the same weights
  /// and state: the count lives in the checkpoint.
  func testEarlyStoppingStopsAndResumesIdentically() throws {
    var o = options(steps: 40)
    o.evalEvery = 2
    o.patience = 2
    o.minDelta = 1
    o.loss = try SegmentationLoss(parsing: "ce:1,dice:0.5")
    let straight = try trainer(o, "straight").train(resume: false)
    XCTAssertEqual(straight.steps, 6)
    XCTAssertFalse(straight.stopped)
    let a = try last("straight")
    XCTAssertEqual(a.state?.earlyStopping?.stalled, 2)
    XCTAssertNotNil(a.state?.earlyStopping?.reference)

    var stopAfter = 5
    let first = try trainer(o, "resumed")
    first.stopRequested = {
      stopAfter -= 1
      return stopAfter == 0
    }
    XCTAssertEqual(try first.train(resume: false).steps, 5)
    XCTAssertEqual(try last("resumed").state?.earlyStopping?.stalled, 1, "evaluations at 2 and 4: one stalled")
    let done = try trainer(o, "resumed", model: TinyNet(classes: 6, seed: 99)).train(resume: true)
    XCTAssertEqual(done.steps, 6)
    XCTAssertEqual(done.metrics, straight.metrics)
    let b = try last("resumed")
    XCTAssertEqual(a.state, b.state)
    XCTAssertEqual(Set(a.model.keys), Set(b.model.keys))
    for (k, v) in a.model { XCTAssertEqual(try v.floats(), try b.model[k]?.floats(), "\(k) differs after resume") }

    // Resuming a run that stopped early trains no further.
    XCTAssertEqual(try trainer(o, "straight").train(resume: true).steps, 6)
  }

  func testEarlyStoppingStateFollowsMinDelta() {
    var s = EarlyStoppingState()
    XCTAssertTrue(s.record(meanIoU: 0.5, minDelta: 0.1))
    XCTAssertFalse(s.record(meanIoU: 0.55, minDelta: 0.1), "0.05 better is not more than 0.1 better")
    XCTAssertFalse(s.record(meanIoU: 0.6, minDelta: 0.1), "exactly min-delta better does not count")
    XCTAssertEqual(s, EarlyStoppingState(reference: 0.5, stalled: 2))
    XCTAssertTrue(s.record(meanIoU: 0.61, minDelta: 0.1))
    XCTAssertEqual(s, EarlyStoppingState(reference: 0.61, stalled: 0))
    XCTAssertFalse(s.record(meanIoU: .nan, minDelta: 0))
    XCTAssertFalse(s.record(meanIoU: 0.61, minDelta: 0), "equal is no improvement")
    XCTAssertEqual(s.stalled, 2)
  }

  /// --keep-last 2 with a checkpoint every 5 of 17 steps: step 15 and the final step 17 remain.
  func testKeepLastKeepsTheNewestStepCheckpoints() throws {
    var o = options(steps: 17)
    o.keepLast = 2
    _ = try trainer(o, "keep").train(resume: false)
    let run = RunFolder(scratch.appendingPathComponent("keep").path)
    let names = try FileManager.default.contentsOfDirectory(atPath: run.checkpoints.path).sorted()
    XCTAssertEqual(
      names, ["best.safetensors", "last.safetensors", "step-00000015.safetensors", "step-00000017.safetensors"])
    let kept = try Checkpoint.load(from: run.checkpoints.appendingPathComponent("step-00000015.safetensors"))
    XCTAssertEqual(kept.state?.step, 15)
    XCTAssertEqual(try last("keep").state?.step, 17)
  }

  /// --freeze-bn: after training steps the running statistics are still their initial values
  /// while γ and β have moved; without it the statistics move.
  func testFreezeBatchNormKeepsRunningStatisticsButLearnsAffine() throws {
    for frozen in [true, false] {
      var o = options(steps: 3)
      o.freezeBatchNorm = frozen
      let model = try TinyNet(classes: 6)
      _ = try trainer(o, "freeze-\(frozen)", model: model).train(resume: false)
      let c = try last("freeze-\(frozen)")
      let mean = try c.model["bn.running_mean"]!.floats()
      let variance = try c.model["bn.running_var"]!.floats()
      XCTAssertEqual(mean == [Float](repeating: 0, count: 16), frozen, "running mean, frozen \(frozen)")
      XCTAssertEqual(variance == [Float](repeating: 1, count: 16), frozen, "running variance, frozen \(frozen)")
      XCTAssertNotEqual(try c.model["bn.weight"]!.floats(), [Float](repeating: 1, count: 16), "γ learns")
      XCTAssertNotEqual(try c.model["bn.bias"]!.floats(), [Float](repeating: 0, count: 16), "β learns")
    }
  }

  /// A frozen-BatchNorm course net with a mixed loss trains to the same bits with `--recompute on`
  /// (each VGG block replayed in backward) as without, and its running statistics stay put.
  func testFrozenBatchNormAndMixedLossUnderRecompute() throws {
    var weights = [RecomputeMode: [String: [Float]]]()
    let config = try ModelConfig(model: .courseFCN8, classes: 11, width: 1.0 / 16, fc: 32, seed: 3)
    for mode in [RecomputeMode.off, .on] {
      var o = options(steps: 4)
      o.data = "synthetic:6"
      o.syntheticSize = .init(height: 44, width: 58)
      o.batch = 2
      o.optimizer = .sgd
      o.checkpointEvery = 4
      o.freezeBatchNorm = true
      o.loss = try SegmentationLoss(parsing: "ce:1,dice:0.5,lovasz:0.5")
      o.recompute = mode
      let model = try FCNModel(config)
      let before = model.stateDict().filter { $0.key.contains("running") }.mapValues { try! $0.toArray() }
      let run = RunFolder(scratch.appendingPathComponent("frozen-\(mode)").path)
      let t = try Trainer(options: o, model: model, modelConfig: "{\"name\":\"course\"}", run: run)
      t.say = { _ in }
      _ = try t.train(resume: false)
      weights[mode] = try Checkpoint.load(from: run.last).model.mapValues { try $0.floats() }
      XCTAssertFalse(before.isEmpty)
      for (name, value) in before { XCTAssertEqual(weights[mode]?[name], value, "\(mode): \(name) moved") }
    }
    XCTAssertEqual(Set(weights[.off]!.keys), Set(weights[.on]!.keys))
    for (name, value) in weights[.off]! {
      XCTAssertEqual(value, weights[.on]![name], "\(name) differs with --recompute on")
    }
  }

  /// config.json of older runs has none of the new keys: they read as the defaults.
  func testOptionsRoundTripAndOldConfigsReadAsDefaults() throws {
    var o = options(steps: 3)
    o.loss = try SegmentationLoss(parsing: "ce:1,focal:0.5:gamma=3")
    (o.patience, o.minDelta, o.keepLast, o.freezeBatchNorm) = (4, 0.01, 3, true)
    let data = try JSONEncoder().encode(o)
    XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"loss\":\"ce:1,focal:0.5:gamma=3\""))
    XCTAssertEqual(try JSONDecoder().decode(TrainOptions.self, from: data), o)
    let old = try JSONDecoder().decode(TrainOptions.self, from: Data("{\"batch\": 2}".utf8))
    XCTAssertEqual(old.loss, .crossEntropy)
    XCTAssertNil(old.patience)
    XCTAssertEqual(old.keepLast, 0)
    XCTAssertFalse(old.freezeBatchNorm)
    XCTAssertThrowsError(try JSONDecoder().decode(TrainOptions.self, from: Data("{\"loss\": \"ce:x\"}".utf8))) {
      XCTAssertTrue("\($0)".contains("ce:x"), "\($0)")
    }
  }
}
