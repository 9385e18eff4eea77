import XCTest

@testable import WeightIO

final class HostArrayTests: XCTestCase {
  func testByteCountIsChecked() {
    XCTAssertNoThrow(try HostArray(shape: [2, 3], dtype: .f16, bytes: [UInt8](repeating: 0, count: 12)))
    assertWeightIOError(
      try HostArray(shape: [2, 3], dtype: .f16, bytes: [UInt8](repeating: 0, count: 11)), mentions: ["[2, 3]", "F16"])
    assertWeightIOError(try HostArray(shape: [-1, 3], dtype: .f32, bytes: []), mentions: ["[-1, 3]"])
  }

  func testScalarAndEmptyCounts() throws {
    XCTAssertEqual(HostArray(shape: [], int64s: [7]).count, 1)
    XCTAssertEqual(HostArray(shape: [0, 5], floats: []).count, 0)
  }

  func testFloatsFromEveryDtype() throws {
    XCTAssertEqual(try HostArray(shape: [2], floats: [1.5, -2]).floats(), [1.5, -2])
    XCTAssertEqual(
      try HostArray(
        shape: [2], dtype: .f64, bytes: leBytes((0.25 as Double).bitPattern) + leBytes((-8.0 as Double).bitPattern)
      ).floats(), [0.25, -8])
    XCTAssertEqual(
      try HostArray(shape: [2], dtype: .f16, bytes: leBytes(UInt16(0x3C00)) + leBytes(UInt16(0xC000))).floats(),
      [1, -2])
    XCTAssertEqual(
      try HostArray(shape: [2], dtype: .bf16, bytes: leBytes(UInt16(0x3F80)) + leBytes(UInt16(0xC040))).floats(),
      [1, -3])
    XCTAssertEqual(try HostArray(shape: [2], int64s: [-5, 1 << 40]).floats(), [-5, 0x1p40])
    XCTAssertEqual(
      try HostArray(shape: [2], dtype: .i32, bytes: leBytes(Int32(-7)) + leBytes(Int32(9))).floats(), [-7, 9])
    XCTAssertEqual(try HostArray(shape: [3], dtype: .u8, bytes: [0, 200, 255]).floats(), [0, 200, 255])
    XCTAssertEqual(try HostArray(shape: [2], dtype: .bool, bytes: [1, 0]).floats(), [1, 0])
  }

  func testInt64s() throws {
    XCTAssertEqual(try HostArray(shape: [2], int64s: [Int64.min, Int64.max]).int64s(), [Int64.min, Int64.max])
    XCTAssertEqual(
      try HostArray(shape: [2], dtype: .i32, bytes: leBytes(Int32(-7)) + leBytes(Int32(9))).int64s(), [-7, 9])
    assertWeightIOError(try HostArray(shape: [1], floats: [1]).int64s(), mentions: ["F32"])
  }

  func testConvertedToHalfAndBack() throws {
    let a = HostArray(shape: [3], floats: [1, -2, 0.5])
    let half = try a.converted(to: .f16)
    XCTAssertEqual(half.bytes, leBytes(UInt16(0x3C00)) + leBytes(UInt16(0xC000)) + leBytes(UInt16(0x3800)))
    XCTAssertEqual(try half.converted(to: .f32), a)
    XCTAssertEqual(try a.converted(to: .bf16).floats(), [1, -2, 0.5])
  }
}
