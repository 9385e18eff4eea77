import Foundation

/// Recycles tensor storage by size (rounded to 64 bytes), so that a training step that repeats
/// the shapes of the previous one takes every buffer from the pool and allocates nothing new,
/// and so that a request reuses a somewhat larger idle buffer rather than allocate beside it.
public final class BufferPool {
  public static let shared = BufferPool()

  /// Idle buffers by class size, each with the tick of its return (for trimming oldest first).
  private var free: [Int: [(pointer: UnsafeMutableRawPointer, tick: Int)]] = [:]
  private var tick = 0
  private let lock = NSLock()
  /// Fresh allocations so far; tests compare it before and after a step.
  public private(set) var allocations = 0
  /// Bytes held from the system (in use plus idle), counted in class sizes.
  public private(set) var bytesAllocated = 0
  /// Bytes handed out and not yet given back (class sizes, i.e. what is really held), and the
  /// most that ever were at once: the gap between `peakBytesInUse` and `bytesAllocated` is what
  /// recycling leaves idle.
  public private(set) var bytesInUse = 0
  public private(set) var peakBytesInUse = 0
  /// The most bytes in use at once since the last `trimForNewShapes()`.
  public private(set) var recentPeakBytesInUse = 0
  /// Bytes of storage outside the pool (`Tensor(unpooled:)`) alive now, and the most that the
  /// pool's in-use bytes and these were together since the last `trimForNewShapes()`.
  public private(set) var unpooledBytesInUse = 0
  public private(set) var recentPeakBytesWithUnpooled = 0

  func noteUnpooled(_ bytes: Int) {
    lock.lock()
    defer { lock.unlock() }
    unpooledBytesInUse += bytes
    recentPeakBytesWithUnpooled = max(recentPeakBytesWithUnpooled, bytesInUse + unpooledBytesInUse)
  }
  /// Bytes in idle buffers, waiting for a request of their class.
  public var bytesIdle: Int {
    lock.lock()
    defer { lock.unlock() }
    return bytesAllocated - bytesInUse
  }

  public init() {}

  /// 64-byte alignment: what AVX-512 loads want, and more than AVX2 needs.
  static let alignment = 64

  /// The size actually allocated for a request: the next multiple of 64 bytes. Coarser classes
  /// (m·2^k, m in 8...16, at most 1/8 waste) were measured and left out: the sizes of one
  /// network are mostly 2× or 4× apart, so they shared nothing (course-fcn8 256² b2 training:
  /// pool 725 → 726 MiB), and they broke the `fcn info` inference estimate, which replays this
  /// pool with exact sizes (docs/benchmarks.md).
  static func sizeClass(_ bytes: Int) -> Int { (max(bytes, 1) + 63) & ~63 }

  /// A request may take an idle buffer up to this many times its own size before allocating.
  /// Exact sizes alone left course-fcn8 256² b2 training with 726 MiB in the pool for 468 MiB
  /// in use: the sizes of one network are mostly 2× or 4× apart (channels double as the
  /// resolution halves) and backward asks for sizes that forward's freed buffers do not match.
  /// A larger idle buffer costs its slack while held but beats a fresh one beside it (measured
  /// with m·2^k classes: 2× 592 MiB, 8× 544 MiB, 32× 559 MiB, the slack starting to cost more).
  public static let largestFit = 8

  /// The idle size a request of `size` bytes (already a class size) takes: its own if one is
  /// idle, else the smallest idle size up to `largestFit` times larger; nil: allocate. Shared
  /// with the `fcn info` estimate, which replays a pass against this policy.
  public static func fit(_ size: Int, idle sizes: some Sequence<Int>) -> Int? {
    var best: Int?
    for s in sizes where s >= size && s <= size * largestFit {
      if s == size { return s }
      if best == nil || s < best! { best = s }
    }
    return best
  }

  /// A buffer for `bytes`, and the size it holds, which `give` must be told.
  func take(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, size: Int) {
    let want = Self.sizeClass(bytes)
    lock.lock()
    defer { lock.unlock() }
    let pointer: UnsafeMutableRawPointer
    var size = want
    if let s = Self.fit(want, idle: free.keys), var list = free[s], let entry = list.popLast() {
      free[s] = list.isEmpty ? nil : list
      size = s
      pointer = entry.pointer
    } else {
      allocations += 1
      bytesAllocated += size
      pointer = allocateStorage(size)
    }
    bytesInUse += size
    peakBytesInUse = max(peakBytesInUse, bytesInUse)
    recentPeakBytesInUse = max(recentPeakBytesInUse, bytesInUse)
    recentPeakBytesWithUnpooled = max(recentPeakBytesWithUnpooled, bytesInUse + unpooledBytesInUse)
    return (pointer, size)
  }

  /// Takes back a buffer with the size `take` said it holds.
  func give(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
    let size = Self.sizeClass(bytes)
    lock.lock()
    bytesInUse -= size
    tick += 1
    free[size, default: []].append((p, tick))
    lock.unlock()
  }

  /// Returns idle buffers to the system, the longest idle first, until at most `limit` idle
  /// bytes remain; `trim()` returns them all (e.g. between unrelated jobs).
  public func trim(keepingAtMost limit: Int = 0) {
    lock.lock()
    defer { lock.unlock() }
    trimLocked(keepingAtMost: limit)
  }

  private func trimLocked(keepingAtMost limit: Int) {
    var idle = bytesAllocated - bytesInUse
    guard idle > max(limit, 0) else { return }
    var all = free.flatMap { size, list in list.map { (size: size, pointer: $0.pointer, tick: $0.tick) } }
    all.sort { $0.tick > $1.tick }  // newest first: popLast() below takes the oldest
    while idle > max(limit, 0), let oldest = all.popLast() {
      oldest.pointer.deallocate()
      bytesAllocated -= oldest.size
      idle -= oldest.size
    }
    free = Dictionary(grouping: all, by: \.size).mapValues { list in
      list.reversed().map { (pointer: $0.pointer, tick: $0.tick) }  // oldest first, as give() appends
    }
  }

  /// Call where the shapes change, e.g. before each new image size in full-image evaluation.
  /// Keeps at most as many idle bytes as the work since the previous call needed at once beyond
  /// what is still held (roughly one pass at the last size, which the next size of a similar
  /// scale mostly reuses) and returns the rest, the longest idle first: without it, every size
  /// seen leaves its buffers in the pool forever. Idle bytes so stay below twice the largest
  /// single-size working set however many sizes go through.
  public func trimForNewShapes() {
    lock.lock()
    defer { lock.unlock() }
    trimLocked(keepingAtMost: recentPeakBytesInUse - bytesInUse)
    recentPeakBytesInUse = bytesInUse
    recentPeakBytesWithUnpooled = bytesInUse + unpooledBytesInUse
  }
}

/// One tensor's storage, handed back to the pool when the last tensor using it goes away.
public final class Buffer {
  public let pointer: UnsafeMutableRawPointer
  public let byteCount: Int
  /// What the pool handed out, which may be a larger idle buffer than `byteCount` asks for.
  let heldBytes: Int

  /// False for storage taken from the system and given back to it (`Tensor(unpooled:)`).
  let pooled: Bool

  public init(byteCount: Int) {
    self.byteCount = byteCount
    (pointer, heldBytes) = BufferPool.shared.take(byteCount)
    pooled = true
  }

  /// Storage outside the pool. The pool first returns as many idle bytes to the system, the
  /// longest idle first, so that this buffer takes their place instead of adding to the
  /// process's peak (the buffers freed are allocated again when a later request needs them).
  init(unpooledByteCount byteCount: Int) {
    self.byteCount = byteCount
    let pool = BufferPool.shared
    pool.trim(keepingAtMost: pool.bytesIdle - byteCount)
    pointer = allocateStorage(max(byteCount, 1))
    heldBytes = 0
    pooled = false
    pool.noteUnpooled(byteCount)
  }

  deinit {
    if pooled {
      BufferPool.shared.give(pointer, heldBytes)
    } else {
      pointer.deallocate()
      BufferPool.shared.noteUnpooled(-byteCount)
    }
  }
}
