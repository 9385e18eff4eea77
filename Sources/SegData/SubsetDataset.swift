// A view of some samples of another data set (e.g. `--limit N` for quick runs, or a fixed
// evaluation subset), without copying anything.

public struct SubsetDataset: SegmentationDataset {
  public let base: SegmentationDataset
  /// Indices into `base`, in the order this view presents them.
  public let indices: [Int]

  public init(base: SegmentationDataset, indices: [Int]) {
    self.base = base
    self.indices = indices.filter { $0 >= 0 && $0 < base.count }
  }

  public var description: String { "\(base.description) [\(indices.count) of \(base.count)]" }
  public var count: Int { indices.count }
  public var classNames: [String] { base.classNames }
  public var largestLabel: LabelSource? { base.largestLabel }
  public func sampleID(at index: Int) -> String { base.sampleID(at: indices[index]) }
  public func sample(at index: Int) throws -> Sample { try base.sample(at: indices[index]) }
}

extension SegmentationDataset {
  /// The first `n` samples (all of them when there are fewer).
  public func prefix(_ n: Int) -> SubsetDataset { SubsetDataset(base: self, indices: Array(0..<min(max(0, n), count))) }
  public func subset(_ indices: [Int]) -> SubsetDataset { SubsetDataset(base: self, indices: indices) }
}
