import FCN
import Training
import XCTest

/// `fcn info --max-batch`: the batch found from two estimates and a line must be the largest one
/// whose own estimate (made directly at that batch) fits.
final class CapacityTests: XCTestCase {
  func testLargestBatchIsTheLastThatFitsByDirectEstimate() throws {
    let config = try ModelConfig(model: "course-fcn8", classes: 21, width: 1.0 / 8, fc: 64)
    let (h, w) = (96, 128)
    let loaderPerImage = Int64(3 * h * w * (3 * 4 + 4 + 3))
    func direct(_ b: Int, _ mode: TrainingCapacity.Mode) throws -> Int64 {
      let info = try modelInfo(config: config, height: h, width: w, batch: b)
      let model =
        switch mode {
        case .updateDuringBackward: info.trainingBytesUpdatingDuringBackward
        case .recomputing: info.trainingBytesRecomputingDuringBackward
        case .sgdKeepingGradients, .adam: info.trainingBytes
        }
      // The model's estimate counts SGD's momentum; Adam keeps one more slot.
      let slots: Int64 = mode == .adam ? 1 : 0
      return Int64(model) + slots * Int64(info.weightBytes) + Int64(b) * loaderPerImage
    }
    for available: Int64 in [300 << 20, 1 << 30, 3 << 30] {
      for c in try TrainingCapacity.estimate(config: config, height: h, width: w, available: available) {
        XCTAssertGreaterThan(c.largestBatch, 0, "\(c.mode) at \(available) bytes")
        XCTAssertLessThanOrEqual(try direct(c.largestBatch, c.mode), available, "\(c.mode): batch \(c.largestBatch)")
        XCTAssertGreaterThan(
          try direct(c.largestBatch + 1, c.mode), available, "\(c.mode): batch \(c.largestBatch + 1)")
      }
    }
    let none = try TrainingCapacity.estimate(config: config, height: h, width: w, available: 1 << 20)
    XCTAssertEqual(none.map(\.largestBatch), [0, 0, 0, 0], "1 MiB fits no step")
  }
}
