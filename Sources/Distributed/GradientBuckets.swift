import CMPIShim
import Foundation
import NN
import Tensor

/// Sums every trainable parameter's gradient over the processes, overlapped with backward:
/// parameters are grouped into buckets of about `bucketBytes` in the order backward completes
/// them (the model's order reversed), and a bucket's non-blocking all-reduce (MPI_Iallreduce)
/// starts as soon as backward has produced all its gradients. Open MPI advances a non-blocking
/// collective only inside MPI calls, so each completed gradient also tests the buckets in flight.
/// `finish()` waits for the rest and writes the sums back into the gradients.
///
/// With `overlap` false every bucket is reduced after backward with a blocking all-reduce: the
/// measurement of how much the overlap hides.
public final class GradientBuckets {
  struct Bucket {
    var parameters: [Parameter]
    var offsets: [Int]
    var flat: UnsafeMutablePointer<Float>
    var count: Int
    var ready = 0
    var request: UnsafeMutableRawPointer?
    var started = false
  }

  let group: ProcessGroup
  let overlap: Bool
  private var buckets: [Bucket] = []
  private var bucketOf: [ObjectIdentifier: Int] = [:]
  private var inFlight: [Int] = []
  /// Seconds the last `finish()` waited for the sums (the communication backward did not hide).
  public private(set) var lastWaitSeconds = 0.0

  public init(group: ProcessGroup, parameters: [Parameter], bucketBytes: Int = 4 << 20, overlap: Bool = true) {
    self.group = group
    self.overlap = overlap
    var current: [Parameter] = []
    var bytes = 0
    func close() {
      guard !current.isEmpty else { return }
      var offsets: [Int] = []
      var n = 0
      for p in current {
        offsets.append(n)
        n += p.value.count
      }
      let flat = UnsafeMutablePointer<Float>.allocate(capacity: n)
      for p in current { bucketOf[ObjectIdentifier(p)] = buckets.count }
      buckets.append(Bucket(parameters: current, offsets: offsets, flat: flat, count: n))
      current = []
      bytes = 0
    }
    for p in parameters.filter(\.trainable).reversed() {
      current.append(p)
      bytes += 4 * p.value.count
      if bytes >= bucketBytes { close() }
    }
    close()
  }

  deinit { for b in buckets { b.flat.deallocate() } }

  /// The bytes summed per step (every trainable gradient).
  public var gradientBytes: Int { buckets.reduce(0) { $0 + 4 * $1.count } }

  /// Runs `body` (forward and backward of the step's last micro-batch) with buckets starting as
  /// their gradients complete.
  public func during<T>(_ body: () throws -> T) throws -> T {
    for i in buckets.indices {
      buckets[i].ready = 0
      buckets[i].started = false
      buckets[i].request = nil
    }
    inFlight = []
    guard overlap else { return try body() }
    let watch = GradientWatch(buckets.flatMap(\.parameters)) { [unowned self] p in try self.completed(p) }
    return try watch.during(body)
  }

  private func completed(_ p: Parameter) throws {
    guard let i = bucketOf[ObjectIdentifier(p)] else { return }
    buckets[i].ready += 1
    if buckets[i].ready == buckets[i].parameters.count { try start(i) }
    try poll()
  }

  /// Copies bucket `i`'s gradients into its flat buffer and starts their sum.
  private func start(_ i: Int) throws {
    pack(i)
    var request: UnsafeMutableRawPointer?
    try check(fcn_mpi_iallreduce_sum_f32(buckets[i].flat, Int32(buckets[i].count), &request), "MPI_Iallreduce")
    buckets[i].request = request
    buckets[i].started = true
    inFlight.append(i)
  }

  /// Lets Open MPI advance the sums in flight; completed ones are unpacked now.
  private func poll() throws {
    var still: [Int] = []
    for i in inFlight {
      var done: Int32 = 0
      try check(fcn_mpi_test(buckets[i].request, &done), "MPI_Test")
      if done != 0 {
        buckets[i].request = nil
        try unpack(i)
      } else {
        still.append(i)
      }
    }
    inFlight = still
  }

  /// Waits for every bucket's sum (starting those whose gradients never completed under the
  /// watch, or all of them without overlap) and writes the sums into the gradients.
  public func finish() throws {
    let start = Date()
    for i in buckets.indices where !buckets[i].started {
      pack(i)
      try check(fcn_mpi_allreduce_sum_f32(buckets[i].flat, buckets[i].count), "MPI_Allreduce of gradients")
      buckets[i].started = true
      try unpack(i)
    }
    for i in inFlight {
      try check(fcn_mpi_wait(buckets[i].request), "MPI_Wait")
      buckets[i].request = nil
      try unpack(i)
    }
    inFlight = []
    lastWaitSeconds = Date().timeIntervalSince(start)
  }

  /// Gradients are copied in their parameter's layout: a large convolution weight's is blocked
  /// (`BlockedWeights`, no padding, so still `count` elements), which sums correctly as long as
  /// every process chose the same layout (same binary and ISA; not checked by the agreement).
  private func pack(_ i: Int) {
    let b = buckets[i]
    for (p, offset) in zip(b.parameters, b.offsets) {
      let n = p.value.count
      if let g = p.grad {
        (b.flat + offset).update(from: g.floats, count: n)
      } else {
        (b.flat + offset).update(repeating: 0, count: n)
      }
    }
  }

  private func unpack(_ i: Int) throws {
    let b = buckets[i]
    for (p, offset) in zip(b.parameters, b.offsets) {
      try p.gradient().floats.update(from: b.flat + offset, count: p.value.count)
    }
  }
}
