import NN
import Tensor
import XCTest

/// Optimiser state comes back from checkpoint files, so its values are checked, not trusted.
final class OptimizerStateTests: XCTestCase {
  /// Found by tools/fuzz.py: a damaged checkpoint gave Adam a step count of 2.4e38 (or NaN),
  /// and Int(2.4e38) trapped on resume. It is an error now; a proper count still loads.
  func testAdamRefusesAStepCountThatIsNotOne() throws {
    let p = try Parameter("w", Tensor.zeros(shape: [3]))
    let adam = Adam([p], decoupled: false)
    for bad: Float in [.nan, .infinity, 2.4e38, -2, 0.5] {
      XCTAssertThrowsError(try adam.loadStateDict(["w.step": [bad]]), "step \(bad)") { error in
        XCTAssertTrue("\(error)".contains("w.step"), "\(error)")
      }
    }
    XCTAssertNoThrow(try adam.loadStateDict(["w.step": [7], "w.exp_avg": [0, 0, 0], "w.exp_avg_sq": [0, 0, 0]]))
    XCTAssertEqual(adam.stateDict()["w.step"], [7])
  }
}
