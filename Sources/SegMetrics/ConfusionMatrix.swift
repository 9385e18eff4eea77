/// A K×K table of pixel counts: row = ground-truth class, column = predicted class
/// (the layout of `fast_hist` in the reference FCN `score.py`).
///
/// Pixels whose ground truth equals `ignoreIndex` are not counted at all — they appear in no
/// row, no column and no total. Every metric in this module is derived from these counts.
///
/// Accumulation is single-threaded and allocation-free; to score on several threads, give each
/// thread its own matrix and `merge` them (addition of counts, so the result is the same).
public struct ConfusionMatrix: Equatable, Sendable {
  /// Upper bound on `classes`, so that a mistyped class count cannot allocate gigabytes
  /// (4096² Int64 counts = 128 MiB).
  public static let maxClasses = 4096

  /// Number of classes K; valid labels are 0..<K.
  public let classes: Int
  /// Ground-truth label that marks "do not score this pixel" (VOC uses 255); nil scores all.
  public let ignoreIndex: Int?
  /// Row-major K×K counts: `counts[target * classes + predicted]`.
  public internal(set) var counts: [Int64]

  /// An all-zero matrix. Throws `invalidClassCount` unless 1 ≤ classes ≤ `maxClasses`.
  public init(classes: Int, ignoreIndex: Int? = 255) throws {
    guard classes >= 1, classes <= Self.maxClasses else {
      throw SegMetricsError.invalidClassCount(classes)
    }
    self.classes = classes
    self.ignoreIndex = ignoreIndex
    self.counts = [Int64](repeating: 0, count: classes * classes)
  }

  /// A matrix with given row-major counts (row = ground truth), e.g. hand-built in tests or
  /// read back from a file. Throws if counts is not K×K or holds a negative number.
  public init(classes: Int, ignoreIndex: Int? = 255, counts: [Int64]) throws {
    try self.init(classes: classes, ignoreIndex: ignoreIndex)
    guard counts.count == classes * classes, counts.allSatisfy({ $0 >= 0 }) else {
      throw SegMetricsError.malformedCounts(classes: classes, countsLength: counts.count)
    }
    self.counts = counts
  }

  /// Number of pixels whose ground truth was `target` and prediction was `predicted`.
  public func count(target: Int, predicted: Int) -> Int64 {
    counts[target * classes + predicted]
  }

  /// Adds another matrix's counts to this one (e.g. per-thread or per-shard partial results).
  /// Throws `classCountMismatch` if the matrices have different class counts.
  public mutating func merge(_ other: ConfusionMatrix) throws {
    guard other.classes == classes else {
      throw SegMetricsError.classCountMismatch(classes, other.classes)
    }
    for i in counts.indices { counts[i] += other.counts[i] }
  }

  /// The sum of two matrices; see `merge`.
  public func merging(_ other: ConfusionMatrix) throws -> ConfusionMatrix {
    var sum = self
    try sum.merge(other)
    return sum
  }

  /// Clears all counts (e.g. at the start of each validation pass).
  public mutating func reset() {
    for i in counts.indices { counts[i] = 0 }
  }
}
