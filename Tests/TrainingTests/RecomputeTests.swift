import FCN
import Foundation
import NN
import Tensor
import Training
import WeightIO
import XCTest

/// `--recompute on` (each VGG block run again in backward) must train to exactly the weights,
/// BatchNorm statistics and dropout states of the ordinary path, and keep less alive.
final class RecomputeTests: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-recompute-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  func train(_ config: ModelConfig, _ recompute: RecomputeMode, optimizer: OptimizerKind, steps: Int) throws
    -> [String: [Float]]
  {
    var o = TrainOptions()
    o.model = config.model
    o.data = "synthetic:6"
    o.syntheticSize = .init(height: 44, width: 58)  // not multiples of 32
    o.batch = 2
    o.steps = steps
    o.optimizer = optimizer
    o.learningRate = 0.01
    o.schedule = .constant
    o.checkpointEvery = steps
    o.recompute = recompute
    let model = try FCNModel(config)
    XCTAssertTrue(model.canRecompute)
    let name = "\(config.model)-\(recompute)-\(optimizer)"
    let run = RunFolder(scratch.appendingPathComponent(name).path)
    let t = try Trainer(options: o, model: model, modelConfig: "{\"name\":\"\(config.model)\"}", run: run)
    t.say = { _ in }
    _ = try t.train(resume: false)
    XCTAssertEqual(model.recomputesInBackward, recompute == .on)
    let c = try Checkpoint.load(from: run.last)
    return try c.model.mapValues { try $0.floats() }
  }

  func assertSameTraining(_ config: ModelConfig, optimizer: OptimizerKind) throws {
    let plain = try train(config, .off, optimizer: optimizer, steps: 20)
    let recomputed = try train(config, .on, optimizer: optimizer, steps: 20)
    XCTAssertEqual(Set(plain.keys), Set(recomputed.keys))
    for (name, value) in plain {
      // Bit for bit: == on Float arrays (a NaN would fail it, and must).
      XCTAssertEqual(value, recomputed[name], "\(config.model) \(optimizer): \(name) differs")
    }
  }

  /// VGG19-BN: the replay must not move the running statistics a second time; SGD updates each
  /// weight during backward, after its block's replay.
  func testCourseNetTrainsBitIdenticallyWithSGD() throws {
    try assertSameTraining(
      ModelConfig(model: .courseFCN8, classes: 11, width: 1.0 / 16, fc: 32, seed: 3), optimizer: .sgd)
  }

  /// VGG16 with pad 100 and the dropout head (outside the segments), gradients kept for AdamW.
  func testPaperNetTrainsBitIdenticallyWithAdamW() throws {
    try assertSameTraining(ModelConfig(model: .fcn8s, classes: 21, width: 1.0 / 16, fc: 32, seed: 4), optimizer: .adamw)
  }

  /// Every VGG block is a segment, and nothing outside a block reads inside it.
  func testSegmentsAreTheVGGBlocks() throws {
    for name in ["fcn8s", "fcn32s", "course-fcn8", "course-fcn16"] {
      let model = try FCNModel(ModelConfig(model: name, classes: 3, width: 1.0 / 16, fc: 16), randomInit: false)
      XCTAssertEqual(model.segments.count, 5, name)
      for s in model.segments {
        XCTAssertTrue(model.nodes[s.upperBound].op is MaxPool2D, "\(name): \(s) ends at a pool")
        XCTAssertTrue(model.nodes[s].contains { $0.op.layer is Conv2D }, "\(name): \(s) holds convolutions")
      }
    }
  }

  /// The planner's estimate with recomputation is below the ordinary one, and a limit between
  /// the two makes --recompute auto turn it on instead of refusing.
  func testAutoRecomputesWhenTheOrdinaryStepWouldNotFit() throws {
    let config = try ModelConfig(model: .courseFCN8, classes: 11, width: 1.0 / 8, fc: 32)
    let info = try modelInfo(config: config, height: 160, width: 160, batch: 4)
    XCTAssertLessThan(info.trainingBytesRecomputing, info.trainingBytes)
    var o = TrainOptions()
    o.model = .courseFCN8
    o.data = "synthetic:6"
    o.syntheticSize = .init(height: 160, width: 160)
    o.batch = 4
    o.steps = 1
    o.checkpointEvery = 0
    for (mode, expectRefusal) in [(RecomputeMode.auto, false), (.off, true)] {
      o.recompute = mode
      let model = try FCNModel(config)
      let t = try Trainer(
        options: o, model: model, modelConfig: "{}", run: RunFolder(scratch.appendingPathComponent("auto-\(mode)").path)
      )
      var said = [String]()
      t.say = { said.append($0) }
      model.recomputesInBackward = true
      let recomputing = t.memoryEstimate(batch: 4, height: 160, width: 160)
      model.recomputesInBackward = false
      let ordinary = t.memoryEstimate(batch: 4, height: 160, width: 160)
      t.memoryLimits = MemoryLimits(availableBytes: (recomputing + ordinary) / 2, source: "test limit")
      if expectRefusal {
        XCTAssertThrowsError(try t.train(resume: false)) {
          XCTAssertTrue("\($0)".contains("--recompute on"), "\($0)")
        }
      } else {
        _ = try t.train(resume: false)
        XCTAssertTrue(model.recomputesInBackward)
        XCTAssertTrue(said.contains { $0.contains("--recompute auto") }, "\(said)")
      }
    }
  }

  /// A step whose first activation is past oneDNN's 2 GiB crashes in conv1 however much memory
  /// there is: the planner refuses it up front (with memory to spare), naming a layer and a
  /// batch or crop that would do.
  func testPlannerRefusesAnActivationPastWhatOneDNNCanIndex() throws {
    // 1/16 width: conv1 has 4 channels, 16 in the blocked layout: 64 bytes a pixel, so
    // 2 × 4200 × 4200 pixels need 2.1 GiB in one tensor.
    let config = try ModelConfig(model: .courseFCN8, classes: 11, width: 1.0 / 16, fc: 32)
    var o = TrainOptions()
    o.model = .courseFCN8
    o.data = "synthetic:4"
    o.crop = .init(height: 4200, width: 4200)
    o.batch = 2
    o.steps = 1
    o.checkpointEvery = 0
    o.recompute = .on
    let t = try Trainer(
      options: o, model: try FCNModel(config), modelConfig: "{}",
      run: RunFolder(scratch.appendingPathComponent("too-large").path))
    t.memoryLimits = MemoryLimits(availableBytes: .max, source: "test: unlimited")
    let before = BufferPool.shared.bytesAllocated
    XCTAssertThrowsError(try t.train(resume: false)) {
      let s = "\($0)"
      XCTAssertTrue(s.contains("largest activation (") && s.contains("oneDNN") && s.contains("--batch 1"), s)
    }
    XCTAssertEqual(BufferPool.shared.bytesAllocated, before, "nothing may be allocated for a refused plan")
    // Batch 1 is under the limit: the same check lets it through.
    o.batch = 1
    let one = try Trainer(
      options: o, model: try FCNModel(config), modelConfig: "{}",
      run: RunFolder(scratch.appendingPathComponent("one").path))
    XCTAssertNoThrow(try one.checkLargestActivation(batch: 1, size: .init(height: 4200, width: 4200)))
  }
}
