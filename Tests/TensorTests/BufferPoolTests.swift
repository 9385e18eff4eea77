import XCTest

@testable import Tensor

/// The pool's size classes and trimming, on private pools so other tests' buffers do not count.
final class BufferPoolTests: XCTestCase {
  func testSizeClassesWasteAtMostAnEighth() {
    var previous = 0
    for bytes in [1, 63, 64, 65, 4095, 4096, 4097, 8191, 8192, 9000, 100_000, 3 << 20, (3 << 20) + 1, 67_108_865]
      + (1..<2000).map({ $0 * 997 })
    {
      let c = BufferPool.sizeClass(bytes)
      XCTAssertGreaterThanOrEqual(c, bytes)
      XCTAssertEqual(c % 64, 0, "class \(c) for \(bytes) keeps 64-byte granularity")
      if bytes > 4096 { XCTAssertLessThanOrEqual(Double(c), Double(bytes) * 1.125, "class \(c) for \(bytes)") }
      XCTAssertEqual(BufferPool.sizeClass(c), c, "a class size is its own class")
      if bytes >= previous { XCTAssertGreaterThanOrEqual(c, BufferPool.sizeClass(previous)) }
      previous = bytes
    }
    // Few classes: every request between 1 MiB and 2 MiB falls into one of 8.
    XCTAssertEqual(Set(stride(from: (1 << 20) + 1, through: 2 << 20, by: 4099).map(BufferPool.sizeClass)).count, 8)
  }

  func testNearbySizesShareABuffer() {
    let pool = BufferPool()
    let p = pool.take(1_000_000)
    pool.give(p, 1_000_000)
    XCTAssertEqual(pool.allocations, 1)
    let q = pool.take(1_010_000)  // the same class as 1 000 000: 16·2^16 bytes
    XCTAssertEqual(q, p, "a request of a nearby size must reuse the idle buffer")
    XCTAssertEqual(pool.allocations, 1)
    XCTAssertEqual(pool.bytesInUse, BufferPool.sizeClass(1_010_000), "in use counts the class size held")
    let r = pool.take(1_200_000)  // a larger class: a fresh buffer
    XCTAssertEqual(pool.allocations, 2)
    pool.give(q, 1_010_000)
    pool.give(r, 1_200_000)
    XCTAssertEqual(pool.bytesInUse, 0)
    XCTAssertEqual(pool.bytesIdle, pool.bytesAllocated)
    pool.trim()
    XCTAssertEqual(pool.bytesAllocated, 0)
  }

  func testTrimKeepsTheMostRecentlyReturned() {
    let pool = BufferPool()
    let sizes = [10_000, 20_000, 40_000, 80_000]
    let pointers = sizes.map { pool.take($0) }
    for (p, s) in zip(pointers, sizes) { pool.give(p, s) }  // 80 000 returned last
    pool.trim(keepingAtMost: BufferPool.sizeClass(80_000))
    XCTAssertEqual(pool.bytesIdle, BufferPool.sizeClass(80_000), "the three older buffers go, the newest stays")
    let before = pool.allocations
    let again = pool.take(80_000)
    XCTAssertEqual(pool.allocations, before, "the kept buffer serves its class")
    pool.give(again, 80_000)
    _ = pool.take(10_000)
    XCTAssertEqual(pool.allocations, before + 1, "the trimmed one is allocated again")
  }

  /// Many input sizes, each a "pass" that takes and returns a few buffers of size-dependent
  /// bytes: with `trimForNewShapes()` at each change the idle bytes stay below two passes'
  /// worth; without it they grow with the number of sizes (checked below, so the bound bites).
  func testIdleBytesStayBoundedOverManySizes() {
    func pass(_ pool: BufferPool, _ side: Int) {
      let sizes = [3, 16, 16, 32, 8, 21].map { $0 * side * side * 4 }
      let taken = sizes.map { pool.take($0) }
      for (p, s) in zip(taken, sizes) { pool.give(p, s) }
    }
    let largest = 64
    let onePass = [3, 16, 16, 32, 8, 21].map { BufferPool.sizeClass($0 * largest * largest * 4) }.reduce(0, +)
    for trimming in [true, false] {
      let pool = BufferPool()
      var mostIdle = 0
      for side in stride(from: 16, through: largest, by: 1) {
        if trimming { pool.trimForNewShapes() }
        pass(pool, side)
        pass(pool, side)  // the same size again reuses everything
        mostIdle = max(mostIdle, pool.bytesIdle)
      }
      if trimming {
        XCTAssertLessThanOrEqual(mostIdle, 2 * onePass, "idle bytes must not grow with the number of sizes")
      } else {
        XCTAssertGreaterThan(mostIdle, 4 * onePass, "without trimming every size's buffers pile up")
      }
      pool.trim()
    }
  }
}
