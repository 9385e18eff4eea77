import Foundation
import NN
import Tensor
import Training
import WeightIO
import XCTest

/// `--precision bf16` through the trainer: config.json records it, checkpoints stay fp32 (and
/// load into an fp32 run), a stopped bf16 run resumes bit for bit, the loss falls like fp32's,
/// and SGD during backward works in bf16. Run where oneDNN runs bf16, skipped elsewhere.
final class BF16TrainerTests: TinyTrainingTestCase {
  override func setUpWithError() throws {
    guard BF16Support.current != .unavailable else {
      throw XCTSkip("oneDNN runs no bf16 on this CPU (ISA \(Engine.isa)): bf16 training needs AVX-512 or bf16 hardware")
    }
    try super.setUpWithError()
  }

  func options(steps: Int, precision: Precision, optimizer: OptimizerKind = .adamw) -> TrainOptions {
    var o = options(steps: steps)
    o.optimizer = optimizer
    o.learningRate = optimizer == .sgd ? 0.05 : 0.01
    o.precision = precision
    return o
  }

  func run(_ name: String) -> RunFolder { RunFolder(scratch.appendingPathComponent(name).path) }

  func losses(_ name: String) throws -> [Double] {
    let text = try String(contentsOf: run(name).log, encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        object["meanIoU"] == nil
      else { return nil }
      return object["loss"] as? Double
    }
  }

  /// config.json says bf16; the checkpoint's tensors are fp32 and load into an fp32 model.
  func testConfigRecordsPrecisionAndCheckpointsStayFP32() throws {
    _ = try trainer(options(steps: 3, precision: .bf16), "bf16").train(resume: false)
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run("bf16").config)) as? [String: Any]
    let train = try XCTUnwrap(config?["train"] as? [String: Any])
    XCTAssertEqual(train["precision"] as? String, "bf16")
    let checkpoint = try Checkpoint.load(from: run("bf16").last)
    XCTAssertFalse(checkpoint.model.isEmpty)
    for (name, array) in checkpoint.model where name.hasSuffix("weight") || name.hasSuffix("bias") {
      XCTAssertEqual(array.dtype, .f32, "\(name)")
    }
    let fp32 = try TinyNet(classes: 6, seed: 42)
    try fp32.restore(checkpoint.model)
    XCTAssertEqual(try fp32.c1.weight.values, try checkpoint.model["c1.weight"]!.floats())
  }

  /// Stopped after 4 of 8 steps and resumed (a fresh model object, everything from disk): the
  /// weights equal those of 8 straight bf16 steps, bit for bit.
  func testStopAndResumeIsBitIdenticalInBF16() throws {
    _ = try trainer(options(steps: 8, precision: .bf16), "straight").train(resume: false)
    var stopAfter = 4
    let first = try trainer(options(steps: 8, precision: .bf16), "resumed")
    first.stopRequested = {
      stopAfter -= 1
      return stopAfter == 0
    }
    XCTAssertTrue(try first.train(resume: false).stopped)
    let second = try trainer(options(steps: 8, precision: .bf16), "resumed", model: TinyNet(classes: 6, seed: 99))
    XCTAssertEqual(try second.train(resume: true).steps, 8)
    let a = try Checkpoint.load(from: run("straight").last).model.mapValues { try $0.floats() }
    let b = try Checkpoint.load(from: run("resumed").last).model.mapValues { try $0.floats() }
    XCTAssertEqual(Set(a.keys), Set(b.keys))
    for (k, v) in a { XCTAssertEqual(v, b[k], "\(k) differs after resume") }
  }

  /// 30 steps of each precision from the same weights and data: bf16's loss falls as fp32's
  /// does, ending within 15 % of it. With SGD (updates during backward, fcn train's default).
  func testLossFallsLikeFP32WithSGDDuringBackward() throws {
    var ends: [Precision: Double] = [:]
    for precision in Precision.allCases {
      var o = options(steps: 30, precision: precision, optimizer: .sgd)
      o.checkpointEvery = 0
      XCTAssertTrue(o.updatesDuringBackward)
      _ = try trainer(o, "\(precision)").train(resume: false)
      let l = try losses("\(precision)")
      XCTAssertEqual(l.count, 30, "\(precision)")
      let start = l.prefix(3).reduce(0, +) / 3
      let end = l.suffix(3).reduce(0, +) / 3
      XCTAssertLessThan(end, 0.8 * start, "\(precision) losses \(l)")
      ends[precision] = end
    }
    XCTAssertEqual(ends[.bf16]!, ends[.fp32]!, accuracy: 0.15 * ends[.fp32]!)
  }

  /// bf16 takes a quarter off what grows with the batch in the planner's estimate.
  func testPlannerCountsBF16Activations() throws {
    let fp32 = try trainer(options(steps: 1, precision: .fp32), "plan32")
    let bf16 = try trainer(options(steps: 1, precision: .bf16), "plan16")
    let a = fp32.memoryEstimate(batch: 8, height: 64, width: 64)
    let b = bf16.memoryEstimate(batch: 8, height: 64, width: 64)
    let net = try TinyNet(classes: 6)
    let growth =
      net.trainingBytes(batch: 16, height: 64, width: 64) - net.trainingBytes(batch: 8, height: 64, width: 64)
    XCTAssertEqual(Double(a - b), Double(growth) / 4, accuracy: Double(growth) / 100)
  }
}
