import XCTest

@testable import Tensor

/// The pool's rounded sizes and trimming, on private pools so other tests' buffers do not count.
final class BufferPoolTests: XCTestCase {
  func testSizesRoundUpTo64Bytes() {
    for (bytes, size) in [(0, 64), (1, 64), (64, 64), (65, 128), (1_000_000, 1_000_000), (1_000_001, 1_000_064)] {
      XCTAssertEqual(BufferPool.sizeClass(bytes), size, "\(bytes) bytes")
    }
  }

  func testNearbySizesShareABuffer() {
    let pool = BufferPool()
    let p = pool.take(1_000_000).pointer
    pool.give(p, 1_000_000)
    XCTAssertEqual(pool.allocations, 1)
    let q = pool.take(999_990).pointer  // rounds up to 1 000 000 too
    XCTAssertEqual(q, p, "a request of a nearby size must reuse the idle buffer")
    XCTAssertEqual(pool.allocations, 1)
    XCTAssertEqual(pool.bytesInUse, 1_000_000, "in use counts the rounded size held")
    let r = pool.take(1_200_000).pointer  // another size, none idle: a fresh buffer
    XCTAssertEqual(pool.allocations, 2)
    pool.give(q, 1_000_000)
    pool.give(r, 1_200_000)
    XCTAssertEqual(pool.bytesInUse, 0)
    XCTAssertEqual(pool.bytesIdle, pool.bytesAllocated)
    pool.trim()
    XCTAssertEqual(pool.bytesAllocated, 0)
  }

  func testARequestTakesTheSmallestLargerIdleBufferWithinTheFit() {
    let pool = BufferPool()
    let big = pool.take(3_000_000)
    let middle = pool.take(2_000_000)
    pool.give(big.pointer, big.size)
    pool.give(middle.pointer, middle.size)
    let small = pool.take(1_000_000)  // both are within 8×: the smaller one serves
    XCTAssertEqual(small.pointer, middle.pointer)
    XCTAssertEqual(small.size, middle.size, "held, and counted, at the idle buffer's size")
    XCTAssertEqual(pool.bytesInUse, middle.size)
    XCTAssertEqual(pool.allocations, 2)
    pool.give(small.pointer, small.size)
    let again = pool.take(2_000_000)
    XCTAssertEqual(again.pointer, middle.pointer, "given back under its own size")
    let tiny = pool.take(100_000)  // 3 000 000 is more than 8× this: allocate
    XCTAssertEqual(tiny.size, BufferPool.sizeClass(100_000))
    XCTAssertEqual(pool.allocations, 3)
    for t in [again, tiny] { pool.give(t.pointer, t.size) }
    XCTAssertEqual(BufferPool.fit(64, idle: [512, 64 * 8 + 64]), 512)
    XCTAssertEqual(BufferPool.fit(64, idle: [576]), nil)
    XCTAssertEqual(BufferPool.fit(128, idle: [1024, 128, 256]), 128)
  }

  func testTrimKeepsTheMostRecentlyReturned() {
    let pool = BufferPool()
    let sizes = [10_000, 20_000, 40_000, 80_000]
    let pointers = sizes.map { pool.take($0).pointer }
    for (p, s) in zip(pointers, sizes) { pool.give(p, s) }  // 80 000 returned last
    pool.trim(keepingAtMost: BufferPool.sizeClass(80_000))
    XCTAssertEqual(pool.bytesIdle, BufferPool.sizeClass(80_000), "the three older buffers go, the newest stays")
    let before = pool.allocations
    let again = pool.take(80_000)
    XCTAssertEqual(pool.allocations, before, "the kept buffer serves its class")
    _ = pool.take(10_000)  // while the kept one is held (idle, it could serve this too)
    XCTAssertEqual(pool.allocations, before + 1, "the trimmed one is allocated again")
    pool.give(again.pointer, again.size)
  }

  /// Many input sizes, each a "pass" that takes and returns a few buffers of size-dependent
  /// bytes: with `trimForNewShapes()` at each change the idle bytes stay below two passes'
  /// worth; without it they grow with the number of sizes (checked below, so the bound bites).
  func testIdleBytesStayBoundedOverManySizes() {
    func pass(_ pool: BufferPool, _ side: Int) {
      let sizes = [3, 16, 16, 32, 8, 21].map { $0 * side * side * 4 }
      let taken = sizes.map { pool.take($0) }
      for t in taken { pool.give(t.pointer, t.size) }
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
