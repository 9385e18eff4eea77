/// The metrics of Long, Shelhamer & Darrell (FCN, §5) computed from the confusion matrix,
/// following the reference `score.py` exactly, including its NaN handling (`np.nanmean`).
///
/// Notation: n_ij = pixels of ground-truth class i predicted as j (ignored pixels never counted),
/// t_i = Σ_j n_ij (ground-truth pixels of class i), p_i = Σ_j n_ji (pixels predicted as i),
/// N = Σ_i t_i. A "0/0" result is undefined: nil per class, NaN for a scalar with nothing to
/// average.
extension ConfusionMatrix {
  /// N: all counted pixels (ignored pixels excluded).
  public var totalCount: Int64 { counts.reduce(0, +) }

  /// t_i: ground-truth pixels of each class (row sums).
  public var groundTruthCounts: [Int64] {
    (0..<classes).map { i in (0..<classes).reduce(Int64(0)) { $0 + count(target: i, predicted: $1) } }
  }

  /// p_i: pixels predicted as each class (column sums).
  public var predictedCounts: [Int64] {
    (0..<classes).map { j in (0..<classes).reduce(Int64(0)) { $0 + count(target: $1, predicted: j) } }
  }

  /// n_ii: correctly labelled pixels of each class (the diagonal).
  public var correctCounts: [Int64] { (0..<classes).map { count(target: $0, predicted: $0) } }

  /// Σ n_ii / N. NaN when no pixel was counted.
  public var pixelAccuracy: Double {
    ratio(correctCounts.reduce(0, +), totalCount) ?? .nan
  }

  /// n_ii / t_i per class. nil for a class absent from the ground truth (t_i = 0), even if it
  /// was predicted: its recall is undefined (those false positives still lower its IoU).
  public var perClassAccuracy: [Double?] {
    zip(correctCounts, groundTruthCounts).map { ratio($0, $1) }
  }

  /// Mean of `perClassAccuracy` over the classes present in the ground truth (nil entries left
  /// out, as `np.nanmean`). NaN when no class is present.
  public var meanAccuracy: Double { Self.meanOfDefined(perClassAccuracy) }

  /// n_ii / (t_i + p_i − n_ii) per class. nil for a class absent from both the ground truth and
  /// the prediction (union 0). A class only predicted, never in the ground truth, gets 0.
  public var perClassIoU: [Double?] {
    let n = correctCounts
    let t = groundTruthCounts
    let p = predictedCounts
    return (0..<classes).map { ratio(n[$0], t[$0] + p[$0] - n[$0]) }
  }

  /// Mean of `perClassIoU` over the classes present in the ground truth or the prediction
  /// (nil entries left out, as `np.nanmean`). NaN when no pixel was counted.
  public var meanIoU: Double { Self.meanOfDefined(perClassIoU) }

  /// Σ_i (t_i / N) · IoU_i over classes with t_i > 0 — the IoU weighted by how often each class
  /// occurs in the ground truth. Classes absent from the ground truth have weight 0 and are left
  /// out (their IoU may be 0 or undefined; neither contributes). NaN when no pixel was counted.
  public var frequencyWeightedIoU: Double {
    let total = totalCount
    guard total > 0 else { return .nan }
    let t = groundTruthCounts
    let iou = perClassIoU
    var sum = 0.0
    for i in 0..<classes where t[i] > 0 {
      // t_i > 0 implies union > 0, so IoU is defined here.
      sum += Double(t[i]) / Double(total) * (iou[i] ?? 0)
    }
    return sum
  }

  /// All of the above in one value for reports and JSON.
  public func metrics(classNames: [String]? = nil) throws -> Metrics {
    try Metrics(self, classNames: classNames)
  }

  private func ratio(_ numerator: Int64, _ denominator: Int64) -> Double? {
    denominator == 0 ? nil : Double(numerator) / Double(denominator)
  }

  private static func meanOfDefined(_ values: [Double?]) -> Double {
    let defined = values.compactMap { $0 }
    return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
  }
}
