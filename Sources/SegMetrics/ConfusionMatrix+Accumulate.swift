extension ConfusionMatrix {
  /// Counts one batch of pixels: `predictions[i]` is the predicted class of the pixel whose
  /// ground truth is `targets[i]` (any layout, as long as both arrays use the same one).
  ///
  /// - Pixels whose target equals `ignoreIndex` are skipped, whatever their prediction.
  /// - A target outside 0..<classes (and not the ignore index) throws `targetOutOfRange`;
  ///   a prediction outside 0..<classes throws `predictionOutOfRange`. Both name the value and
  ///   the pixel index. On any error the matrix is left exactly as it was before the call.
  public mutating func accumulate(
    predictions: UnsafeBufferPointer<Int32>, targets: UnsafeBufferPointer<Int32>
  ) throws {
    guard predictions.count == targets.count else {
      throw SegMetricsError.lengthMismatch(predictions: predictions.count, targets: targets.count)
    }
    let k = classes
    // Int64 so that an ignore index outside Int32 simply never matches; Int64.min means "none".
    let ignore = ignoreIndex.map { Int64($0) } ?? Int64.min
    let failure = counts.withUnsafeMutableBufferPointer { table -> SegMetricsError? in
      // Hot loop: one compare for ignore, one unsigned compare per label (catches negatives),
      // one increment. Errors are rare, so instead of validating first (a second pass over
      // every pixel) we undo the already-counted prefix when one occurs.
      let limit = UInt32(k)
      for i in 0..<targets.count {
        let t = targets[i]
        if Int64(t) == ignore { continue }
        let p = predictions[i]
        let row = UInt32(bitPattern: t)
        let col = UInt32(bitPattern: p)
        if row >= limit || col >= limit {
          Self.uncount(prefix: i, predictions, targets, ignore: ignore, k: k, table: table)
          return row >= limit
            ? .targetOutOfRange(value: t, index: i, classes: k)
            : .predictionOutOfRange(value: p, index: i, classes: k)
        }
        table[Int(row) &* k &+ Int(col)] &+= 1
      }
      return nil
    }
    if let failure { throw failure }
  }

  /// Array convenience for `accumulate(predictions:targets:)` on buffer pointers.
  public mutating func accumulate(predictions: [Int32], targets: [Int32]) throws {
    try predictions.withUnsafeBufferPointer { p in
      try targets.withUnsafeBufferPointer { t in
        try accumulate(predictions: p, targets: t)
      }
    }
  }

  /// Undoes the counting of pixels 0..<prefix, all of which were valid.
  private static func uncount(
    prefix: Int, _ predictions: UnsafeBufferPointer<Int32>,
    _ targets: UnsafeBufferPointer<Int32>, ignore: Int64, k: Int,
    table: UnsafeMutableBufferPointer<Int64>
  ) {
    for i in 0..<prefix where Int64(targets[i]) != ignore {
      table[Int(targets[i]) * k + Int(predictions[i])] -= 1
    }
  }
}
