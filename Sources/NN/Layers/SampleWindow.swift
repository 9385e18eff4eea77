/// Where one process's samples sit in a batch split over several processes: samples
/// `offset..<offset + count` of `batch`. Random draws per sample (dropout masks) are made for the
/// whole batch and this window's used, so the result does not depend on the number of processes.
public struct SampleWindow: Equatable, Sendable {
  public var offset: Int
  public var batch: Int

  public init(offset: Int, batch: Int) {
    self.offset = offset
    self.batch = batch
  }
}
