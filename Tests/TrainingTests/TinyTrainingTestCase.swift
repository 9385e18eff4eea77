import Foundation
import Training
import XCTest

/// What the trainer tests share: a scratch folder per test, options for a TinyNet on a few
/// synthetic 32×32 images (constant rate, no augmentation, so runs repeat exactly), and a quiet
/// trainer whose run folder is in the scratch folder.
class TinyTrainingTestCase: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-training-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

  func options(steps: Int, data: String = "synthetic:8") -> TrainOptions {
    var o = TrainOptions()
    o.model = .fcn8s  // a record only: the trainer runs the TinyNet it is given
    o.data = data
    o.syntheticSize = .init(height: 32, width: 32)
    o.batch = 4
    o.steps = steps
    o.optimizer = .adamw
    o.learningRate = 0.01
    o.weightDecay = 0
    o.schedule = .constant
    o.workers = 1
    o.checkpointEvery = 5
    o.scaleJitter = 1...1
    o.flip = false
    return o
  }

  func trainer(_ o: TrainOptions, _ name: String, model: TinyNet? = nil) throws -> Trainer {
    let t = try Trainer(
      options: o, model: model ?? TinyNet(classes: 6), modelConfig: "{\"name\":\"tiny\"}", run: runFolder(name))
    t.say = { _ in }
    return t
  }

  func runFolder(_ name: String) -> RunFolder { RunFolder(scratch.appendingPathComponent(name).path) }
}
