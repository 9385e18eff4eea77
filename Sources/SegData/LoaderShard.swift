// Data-parallel training splits every global batch over the processes: process `index` of
// `count` builds the `index`-th equal part. Batch numbering, shuffling and each sample's
// augmentation stream are the global ones, so the union of the parts is the batch one process
// would have built.

public struct LoaderShard: Equatable, Sendable {
  public var index: Int
  public var count: Int

  public init(index: Int, count: Int) {
    self.index = index
    self.count = max(1, count)
  }

  /// This process's part of the batch's sample range (equal parts; a short final batch of an
  /// evaluation epoch gives the last processes fewer samples).
  public func part(of range: Range<Int>) -> (Int, Int) {
    let per = (range.count + count - 1) / count
    let lo = min(range.lowerBound + index * per, range.upperBound)
    return (lo, min(lo + per, range.upperBound))
  }
}
