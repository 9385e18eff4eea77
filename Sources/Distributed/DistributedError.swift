/// A failed MPI call, or processes of one job that disagree; exit status 1.
public struct DistributedError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
