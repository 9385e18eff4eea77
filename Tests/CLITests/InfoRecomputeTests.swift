import Foundation
import XCTest

/// `fcn info --recompute off|on|auto` estimates the step `fcn train` would run, mode by mode,
/// and `auto` picks the one `fcn train --recompute auto` picks against the memory available.
final class InfoRecomputeTests: XCTestCase {
  static let model = ["info", "--model", "course-fcn8", "--width", "0.25", "--size", "256x256", "--batch", "4"]

  /// The bytes on the `--recompute MODE:` line, from its "N MiB" / "N GiB" figure.
  func estimate(_ output: String, _ mode: String) -> Double? {
    guard let line = output.split(separator: "\n").first(where: { $0.contains("--recompute \(mode):") }) else {
      return nil
    }
    let words = line.split(separator: " ")
    guard let i = words.firstIndex(where: { $0.hasPrefix("MiB") || $0.hasPrefix("GiB") }), i > 0,
      let value = Double(words[i - 1])
    else { return nil }
    return value * (words[i].hasPrefix("GiB") ? 1024 : 1)
  }

  func testEachModeIsEstimatedAndAutoChoosesLikeTraining() throws {
    let dir = try makeTempDir(self)
    let both = try FCNExecutable.run(Self.model, outputIn: dir)
    XCTAssertEqual(both.status, 0, both.stderr)
    let off = try XCTUnwrap(estimate(both.stdout, "off"), both.stdout)
    let on = try XCTUnwrap(estimate(both.stdout, "on"), both.stdout)
    XCTAssertLessThan(on, off, "recomputing keeps fewer activations")

    let onlyOn = try FCNExecutable.run(Self.model + ["--recompute", "on"], outputIn: dir)
    XCTAssertEqual(onlyOn.status, 0, onlyOn.stderr)
    XCTAssertEqual(estimate(onlyOn.stdout, "on"), on)
    XCTAssertNil(estimate(onlyOn.stdout, "off"), onlyOn.stdout)

    // A limit between the two: auto recomputes; above both it does not.
    let between = "\(Int((on + off) / 2))M"
    let auto = try FCNExecutable.run(
      Self.model + ["--recompute", "auto"], outputIn: dir, environment: ["FCN_MEMORY_LIMIT": between])
    XCTAssertEqual(auto.status, 0, auto.stderr)
    XCTAssertEqual(estimate(auto.stdout, "on"), on, auto.stdout)
    XCTAssertNil(estimate(auto.stdout, "off"), auto.stdout)
    XCTAssertTrue(auto.stdout.contains("--recompute auto chooses"), auto.stdout)
    let roomy = try FCNExecutable.run(
      Self.model + ["--recompute", "auto"], outputIn: dir, environment: ["FCN_MEMORY_LIMIT": "\(Int(off) * 2)M"])
    XCTAssertEqual(estimate(roomy.stdout, "off"), off, roomy.stdout)
    XCTAssertNil(estimate(roomy.stdout, "on"), roomy.stdout)
  }
}
