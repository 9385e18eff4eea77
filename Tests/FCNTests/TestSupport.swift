import FCN
import Foundation
import NN
import Tensor
import WeightIO
import XCTest

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// The deterministic input / backward-seed pattern of the golden scripts (tools/golden_nets.py): values
/// (k mod 1021) / 512 − 1, exact in fp32, so fixtures need not store inputs.
func pattern(_ shape: [Int], salt: Int) throws -> Tensor {
  let n = shape.reduce(1, *)
  let values = (0..<n).map { i -> Float in
    let k = (i &* 2_654_435_761 &+ salt &* 97) % 1021
    return Float(k) / 512 - 1
  }
  return try Tensor(shape: shape, values: values)
}

/// max |a − b| / max |b|: the error relative to the reference's scale.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-12)
  return zip(a, b).map { abs(Double($0) - Double($1)) }.max()! / scale
}
