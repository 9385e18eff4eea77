import Foundation
import Tensor
import WeightIO

/// A reference tensor stored as tools/make_model_golden_matrix.py summarises it: KEY.meta
/// [stride, *shape], KEY.sample (the flattened tensor at 0, stride, 2·stride, …) and KEY.stats
/// ([sum, L2 norm, max |·|] of each row: the N·C planes of logits, the first axis of a gradient).
struct SampledGolden {
  var shape: [Int]
  var stride: Int
  var sample: [Float]
  /// rows × 3.
  var stats: [Float]

  init(_ fixtures: [String: HostArray], key: String) throws {
    guard let meta = fixtures["\(key).meta"], let sample = fixtures["\(key).sample"],
      let stats = fixtures["\(key).stats"]
    else { throw GoldenMissing(key: key) }
    let m = try meta.floats().map { Int($0) }
    stride = m[0]
    shape = Array(m.dropFirst())
    self.sample = try sample.floats()
    self.stats = try stats.floats()
  }

  /// The largest |value| of the whole reference tensor.
  var scale: Double { max(Swift.stride(from: 2, to: stats.count, by: 3).map { Double(stats[$0]) }.max() ?? 0, 1e-12) }

  /// The error of `got` relative to the reference's largest magnitude, and where it is worst.
  /// Sampled values count as |got − ref| / scale; a row's sum, L2 norm and max as their error
  /// divided by M·scale, √M·scale and scale: an error of at most 1e-4·scale in each of the
  /// row's M values keeps all three under 1e-4 too, so one bound applies to the whole result.
  func error(of got: [Float]) -> (error: Double, worst: String) {
    var worst = (error: 0.0, worst: "")
    func note(_ e: Double, _ what: @autoclosure () -> String) { if e > worst.error { worst = (e, what()) } }
    let scale = self.scale
    for (i, ref) in sample.enumerated() {
      note(
        abs(Double(got[i * stride]) - Double(ref)) / scale,
        "value at \(index(i * stride)) (\(got[i * stride]) vs \(ref))")
    }
    let rows = stats.count / 3
    let m = got.count / rows
    for r in 0..<rows {
      let row = got[(r * m)..<((r + 1) * m)].map { Double($0) }
      let sum = row.reduce(0, +)
      let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let largest = row.map(abs).max() ?? 0
      let ref = stats[(3 * r)..<(3 * r + 3)].map { Double($0) }
      note(abs(sum - ref[0]) / (Double(m) * scale), "row \(r) sum \(sum) vs \(ref[0])")
      note(abs(norm - ref[1]) / (Double(m).squareRoot() * scale), "row \(r) L2 norm \(norm) vs \(ref[1])")
      note(abs(largest - ref[2]) / scale, "row \(r) max |·| \(largest) vs \(ref[2])")
    }
    return worst
  }

  /// The multi-index of a flat (row-major) position, for failure messages.
  func index(_ flat: Int) -> [Int] {
    var rest = flat
    return shape.reversed().map { d in
      defer { rest /= d }
      return rest % d
    }.reversed()
  }

  /// Whether `got` is what was summarised: its element count and the sample's length.
  func fits(_ got: [Float]) -> Bool {
    stats.count >= 3 && stats.count % 3 == 0 && got.count % (stats.count / 3) == 0
      && sample.count == (got.count + stride - 1) / stride
  }
}

struct GoldenMissing: Error, CustomStringConvertible {
  var key: String
  var description: String { "missing fixture \(key): run tools/make_model_golden_matrix.py" }
}
