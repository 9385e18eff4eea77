import CDNNL
import XCTest

@testable import Tensor

/// The primitive cache's bound: least recently used out first.
final class PrimitiveCacheTests: XCTestCase {
  func testEvictsTheLeastRecentlyUsed() throws {
    let d = try MemoryDesc([4], .f32, dnnl_a)
    let p = try reorderPrimitive(d, d)  // any primitive will do: the keys are what is tested
    let cache = PrimitiveCache(capacity: 3)
    for key in ["a", "b", "c"] { _ = cache.get(key) { p } }
    XCTAssertEqual(cache.misses, 3)
    _ = cache.get("a") {
      XCTFail("a is cached")
      return p
    }  // a is now the most recent
    _ = cache.get("d") { p }  // full: b, the least recently used, goes
    XCTAssertEqual(cache.count, 3)
    XCTAssertEqual(cache.evictions, 1)
    XCTAssertFalse(cache.contains("b"))
    XCTAssertTrue(cache.contains("a") && cache.contains("c") && cache.contains("d"))
    _ = cache.get("b") { p }  // created again, and c goes
    XCTAssertEqual(cache.misses, 5)
    XCTAssertFalse(cache.contains("c"))
    XCTAssertTrue(cache.contains("a"))
  }
}
