import CMPIShim
import Foundation
import NN

/// The processes of one data-parallel job (MPI_COMM_WORLD): this one's rank, their number, and
/// the collective operations training needs. Every call is collective: every process must make
/// the same calls in the same order.
public final class ProcessGroup: CrossProcessSum {
  public let rank: Int
  public let size: Int
  private var finalized = false

  private init(rank: Int, size: Int) {
    self.rank = rank
    self.size = size
  }

  /// The number of processes an MPI launcher started, from its environment (Open MPI's mpirun
  /// sets OMPI_COMM_WORLD_SIZE, Hydra/Slurm PMI launchers PMI_SIZE); nil when not launched so.
  public static func launchedSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
    for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
      if let v = environment[key], let n = Int(v) { return n }
    }
    return nil
  }

  /// Joins the job when an MPI launcher started more than one process; nil otherwise, without
  /// touching MPI (a plain `fcn train` behaves exactly as before).
  public static func joinIfLaunched() throws -> ProcessGroup? {
    guard let n = launchedSize(), n > 1 else { return nil }
    var rank: Int32 = 0
    var size: Int32 = 0
    try check(fcn_mpi_init(&rank, &size), "MPI_Init_thread")
    return ProcessGroup(rank: Int(rank), size: Int(size))
  }

  public var isRoot: Bool { rank == 0 }

  /// Sums `count` floats in place over every process.
  public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
    try check(fcn_mpi_allreduce_sum_f32(values, count), "MPI_Allreduce of \(count) floats")
  }

  public func sum(_ values: inout [Double]) throws {
    let n = values.count
    try values.withUnsafeMutableBufferPointer {
      try check(fcn_mpi_allreduce_sum_f64($0.baseAddress, n), "MPI_Allreduce")
    }
  }

  public func sum(_ values: inout [Int64]) throws {
    let n = values.count
    try values.withUnsafeMutableBufferPointer {
      try check(fcn_mpi_allreduce_sum_i64($0.baseAddress, n), "MPI_Allreduce")
    }
  }

  /// The largest of each process's `value`.
  public func maximum(_ value: Int32) throws -> Int32 {
    var v = [value]
    try maximum(&v)
    return v[0]
  }

  /// Element-wise largest over every process, in place.
  public func maximum(_ values: inout [Int32]) throws {
    let n = values.count
    try values.withUnsafeMutableBufferPointer {
      try check(fcn_mpi_allreduce_max_i32($0.baseAddress, n), "MPI_Allreduce (max)")
    }
  }

  /// True on every process when it is true on any (a stop request seen by one process stops all
  /// of them at the same step).
  public func anyTrue(_ flag: Bool) throws -> Bool { try maximum(flag ? 1 : 0) != 0 }

  /// Rank 0's bytes, on every process.
  public func broadcast(_ data: Data) throws -> Data {
    var length = Int64(isRoot ? data.count : 0)
    try withUnsafeMutableBytes(of: &length) { try check(fcn_mpi_bcast($0.baseAddress, 8, 0), "MPI_Bcast") }
    var bytes = isRoot ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length))
    try bytes.withUnsafeMutableBytes { try check(fcn_mpi_bcast($0.baseAddress, Int(length), 0), "MPI_Bcast") }
    return Data(bytes)
  }

  public func barrier() throws { try check(fcn_mpi_barrier(), "MPI_Barrier") }

  /// Ends MPI after a successful run (a failing process exits without it; the launcher then
  /// ends the others).
  public func finalize() {
    guard !finalized else { return }
    finalized = true
    _ = fcn_mpi_finalize()
  }
}

/// Throws a DistributedError naming the call and MPI's own description of the code.
func check(_ code: Int32, _ what: String) throws {
  guard code != 0 else { return }
  var text = [CChar](repeating: 0, count: 512)
  fcn_mpi_error_string(code, &text, Int32(text.count))
  throw DistributedError("\(what) failed: \(String(cString: text))")
}
