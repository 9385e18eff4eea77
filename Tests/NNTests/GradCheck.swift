import NN
import Tensor
import TestSupport
import XCTest

/// Helpers shared by the op tests: move data between [Double] and tensors, run an op on a tape
/// with a random output weighting r, and compare gradients with the reference's by finite
/// differences of sum(f(x) * r).
extension XCTestCase {
  func tensor(_ v: [Double], _ shape: [Int]) throws -> Tensor {
    try Tensor(shape: shape, values: v.map { Float($0) })
  }

  func variable(_ v: [Double], _ shape: [Int]) throws -> Variable {
    Variable(try tensor(v, shape), requiresGrad: true)
  }

  func parameter(_ name: String, _ v: [Double], _ shape: [Int]) throws -> Parameter {
    try Parameter(name, shape: shape, values: v.map { Float($0) })
  }

  func doubles(_ t: Tensor?) throws -> [Double] {
    guard let t else { return [] }
    return try t.toArray().map(Double.init)
  }

  /// Runs `forward` on a tape, seeds the output gradient with `r`, runs backward; returns output.
  func runWithSeed(_ r: [Double], _ forward: () throws -> Variable) throws -> Variable {
    let tape = Tape()
    let y = try tape.record(forward)
    try tape.backward(from: y, seed: tensor(r, y.shape))
    return y
  }

  /// Max error relative to the reference's largest magnitude (floor 1).
  func assertClose(
    _ a: [Double], _ b: [Double], tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(a.count, b.count, "\(what): length", file: file, line: line)
    guard a.count == b.count else { return }
    let scale = max(1, b.map(abs).max() ?? 0)
    let err = maxAbsDiff(a, b) / scale
    XCTAssertLessThanOrEqual(err, tol, "\(what): relative max error \(err)", file: file, line: line)
  }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
