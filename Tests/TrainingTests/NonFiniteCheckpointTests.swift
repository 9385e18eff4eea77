import Foundation
import Tensor
import Training
import XCTest

final class NonFiniteCheckpointTests: XCTestCase {
  /// A diverged model must not overwrite the last good checkpoint with NaNs.
  func testNonFiniteWeightsLeaveThePreviousCheckpoint() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    func state(_ step: Int) -> TrainState {
      TrainState(step: step, epoch: 0, batchInEpoch: 0, rngStates: [], bestMeanIoU: nil, modelConfig: "{}")
    }
    try Checkpoint.save(
      to: url, model: ["w": try Tensor(shape: [2], values: [1, 2])], optimizer: [:], state: state(3))
    XCTAssertThrowsError(
      try Checkpoint.save(
        to: url, model: ["w": try Tensor(shape: [2], values: [1, .nan])], optimizer: [:], state: state(4))
    ) { error in
      XCTAssertTrue("\(error)".contains("step 4") && "\(error)".contains("w"), "\(error)")
    }
    let kept = try Checkpoint.load(from: url)
    XCTAssertEqual(kept.state?.step, 3)
    XCTAssertEqual(try kept.model["w"]?.floats(), [1, 2])
  }
}
