import Foundation

/// Recycles tensor storage by byte size, so that a training step that repeats the shapes of the
/// previous one takes every buffer from the pool and allocates nothing new.
public final class BufferPool {
  public static let shared = BufferPool()

  private var free: [Int: [UnsafeMutableRawPointer]] = [:]
  private let lock = NSLock()
  /// Fresh allocations so far; tests compare it before and after a step.
  public private(set) var allocations = 0
  public private(set) var bytesAllocated = 0
  /// Bytes handed out and not yet given back, and the most that ever were at once: the gap
  /// between `peakBytesInUse` and `bytesAllocated` is what exact-size recycling costs.
  public private(set) var bytesInUse = 0
  public private(set) var peakBytesInUse = 0

  /// 64-byte alignment: what AVX-512 loads want, and more than AVX2 needs.
  static let alignment = 64

  func take(_ bytes: Int) -> UnsafeMutableRawPointer {
    let size = max(bytes, 1)
    lock.lock()
    defer { lock.unlock() }
    bytesInUse += size
    peakBytesInUse = max(peakBytesInUse, bytesInUse)
    if var list = free[size], let p = list.popLast() {
      free[size] = list
      return p
    }
    allocations += 1
    bytesAllocated += size
    return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.alignment)
  }

  func give(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
    lock.lock()
    bytesInUse -= max(bytes, 1)
    free[max(bytes, 1), default: []].append(p)
    lock.unlock()
  }

  /// Returns every pooled buffer to the system (e.g. between unrelated jobs).
  public func trim() {
    lock.lock()
    defer { lock.unlock() }
    for (size, list) in free {
      for p in list { p.deallocate() }
      bytesAllocated -= size * list.count
    }
    free = [:]
  }
}

/// One tensor's storage, handed back to the pool when the last tensor using it goes away.
public final class Buffer {
  public let pointer: UnsafeMutableRawPointer
  public let byteCount: Int

  public init(byteCount: Int) {
    self.byteCount = byteCount
    pointer = BufferPool.shared.take(byteCount)
  }

  deinit { BufferPool.shared.give(pointer, byteCount) }
}
