import CDNNL
import Tensor
import XCTest

final class TensorTests: XCTestCase {
  func testValuesRoundTripThroughABlockedLayout() throws {
    let values: [Float] = (0..<570).map { i in Float(i) * 0.5 - 7 }
    let t = try Tensor(shape: [2, 19, 5, 3], values: values)
    XCTAssertTrue(t.isPlain)
    let blocked = try t.reordered(to: MemoryDesc([2, 19, 5, 3], .f32, dnnl_nChw8c))
    XCTAssertFalse(blocked.isPlain)
    // 19 channels pad to 24 in blocks of 8: the blocked buffer is larger than the plain one.
    XCTAssertEqual(blocked.buffer.byteCount, 2 * 24 * 5 * 3 * 4)
    XCTAssertEqual(try blocked.toArray(), values)
  }

  func testWrongValueCountThrowsNamingShape() {
    XCTAssertThrowsError(try Tensor(shape: [2, 3], values: [1, 2, 3])) { error in
      XCTAssertTrue("\(error)".contains("[2, 3]"), "\(error)")
    }
  }

  func testWindowOutsideTheTensorThrows() throws {
    let t = try Tensor.zeros(shape: [1, 2, 4, 4])
    XCTAssertThrowsError(try t.window(dims: [1, 2, 3, 3], offsets: [0, 0, 2, 0]))
    XCTAssertNoThrow(try t.window(dims: [1, 2, 3, 3], offsets: [0, 0, 1, 1]))
  }

  func testBufferPoolReusesFreedStorage() throws {
    let pool = BufferPool.shared
    _ = try Tensor(shape: [3, 5, 7])  // first use of this size may allocate
    let before = pool.allocations
    for _ in 0..<10 { _ = try Tensor(shape: [3, 5, 7]) }
    XCTAssertEqual(pool.allocations, before, "a freed buffer of the same size must be reused")
    let a = try Tensor(shape: [3, 5, 7])
    let b = try Tensor(shape: [3, 5, 7])
    XCTAssertNotEqual(a.buffer.pointer, b.buffer.pointer, "live tensors never share storage")
  }

  func testISAIsReportedAndBF16IsRefusedWhereAbsent() throws {
    let isa = Engine.isa
    XCTAssertNotEqual(isa.description, "default")
    let support = BF16Support.current
    print("oneDNN \(Engine.version), effective ISA \(isa), bf16 \(support)")
    if support != .unavailable {
      XCTAssertNoThrow(try DType.bf16.checkSupported())
    } else {
      XCTAssertThrowsError(try DType.bf16.checkSupported()) { error in
        XCTAssertTrue("\(error)".contains("no bf16 kernels for this CPU (its ISA is \(isa))"), "\(error)")
      }
    }
  }

  func testBF16StorageRoundTripWhereSupported() throws {
    guard BF16Support.current != .unavailable else {
      throw XCTSkip("oneDNN runs no bf16 on this CPU (ISA: \(Engine.isa))")
    }
    let values: [Float] = [1, -2, 0.5, 3.25]
    let t = try Tensor(shape: [4], values: values).reordered(to: MemoryDesc([4], .bf16, dnnl_a))
    XCTAssertEqual(t.dtype, .bf16)
    XCTAssertEqual(try t.toArray(), values)  // exactly representable in bf16
  }
}
