import Foundation

/// One off-diagonal cell of a confusion matrix: pixels of class `truth` predicted as `predicted`,
/// and their share of all counted pixels of `truth` (the row-normalised value).
public struct ConfusedPair: Equatable, Sendable, Codable {
  public var truth: Int
  public var predicted: Int
  public var pixels: Int64
  /// pixels / (counted pixels whose ground truth is `truth`).
  public var fractionOfTruth: Double
}

extension ConfusionMatrix {
  /// Each row divided by its sum: entry [t][p] is the share of class t's pixels predicted as p.
  /// nil for a class with no ground-truth pixels (its row is undefined, not zero).
  public var rowNormalized: [[Double]?] {
    (0..<classes).map { t in
      let row = counts[t * classes..<(t + 1) * classes]
      let total = row.reduce(0, +)
      guard total > 0 else { return nil }
      return row.map { Double($0) / Double(total) }
    }
  }

  /// The `top` off-diagonal cells with the largest row-normalised share, largest first (ties:
  /// more pixels first, then lower class ids). Cells with no pixels are never listed.
  public func mostConfusedPairs(top: Int = 5) -> [ConfusedPair] {
    var pairs = [ConfusedPair]()
    for t in 0..<classes {
      let total = counts[t * classes..<(t + 1) * classes].reduce(0, +)
      for p in 0..<classes where p != t && count(target: t, predicted: p) > 0 {
        let n = count(target: t, predicted: p)
        pairs.append(ConfusedPair(truth: t, predicted: p, pixels: n, fractionOfTruth: Double(n) / Double(total)))
      }
    }
    pairs.sort {
      ($0.fractionOfTruth, $0.pixels, -$0.truth, -$0.predicted) > (
        $1.fractionOfTruth, $1.pixels, -$1.truth, -$1.predicted
      )
    }
    return Array(pairs.prefix(max(top, 0)))
  }
}

/// The terminal lines for the most confused pairs:
///
///     most confused (share of the true class's pixels):
///       Paper → Paper pack  12.3% of Paper's pixels (1234 px)
public enum ConfusedPairsTable {
  public static func format(_ pairs: [ConfusedPair], classNames: [String]?) -> String {
    func name(_ c: Int) -> String {
      guard let classNames, c < classNames.count, !classNames[c].isEmpty else { return "class \(c)" }
      return classNames[c]
    }
    guard !pairs.isEmpty else { return "most confused: none (no pixel of one class was predicted as another)\n" }
    let arrows = pairs.map { "\(name($0.truth)) → \(name($0.predicted))" }
    let width = arrows.map(\.count).max() ?? 0
    var lines = ["most confused (share of the true class's pixels):"]
    for (pair, arrow) in zip(pairs, arrows) {
      let padded = arrow + String(repeating: " ", count: width - arrow.count)
      lines.append(
        "  \(padded)  " + String(format: "%5.1f%%", 100 * pair.fractionOfTruth)
          + " of \(name(pair.truth))'s pixels (\(pair.pixels) px)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// What `fcn eval --json` writes: every key of `Metrics` (unchanged), the row-normalised
/// confusion matrix (`confusionRowNormalized`, row = ground truth, null for a class without
/// ground-truth pixels) and the most confused pairs (`mostConfused`, with class names).
public struct EvaluationReport: Encodable {
  public var metrics: Metrics
  public var matrix: ConfusionMatrix
  public var top: Int

  public init(metrics: Metrics, matrix: ConfusionMatrix, top: Int = 5) {
    self.metrics = metrics
    self.matrix = matrix
    self.top = top
  }

  private enum CodingKeys: String, CodingKey { case confusionRowNormalized, mostConfused }

  private struct NamedPair: Encodable {
    var truth: Int
    var predicted: Int
    var truthName: String?
    var predictedName: String?
    var pixels: Int64
    var fractionOfTruth: Double
  }

  public func encode(to encoder: Encoder) throws {
    try metrics.encode(to: encoder)
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(matrix.rowNormalized, forKey: .confusionRowNormalized)
    let names = metrics.classNames
    try c.encode(
      matrix.mostConfusedPairs(top: top).map {
        NamedPair(
          truth: $0.truth, predicted: $0.predicted, truthName: names?[$0.truth], predictedName: names?[$0.predicted],
          pixels: $0.pixels, fractionOfTruth: $0.fractionOfTruth)
      }, forKey: .mostConfused)
  }

  /// Pretty-printed JSON with sorted keys, as `Metrics.jsonData()`.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }
}
