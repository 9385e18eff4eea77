import Foundation
import XCTest

@testable import WeightIO

/// Sizes, strides and lengths read from weight files reach no allocation or arithmetic that
/// could trap: each is refused with an error naming the file.
final class HostileSizeTests: XCTestCase {
  typealias P = PickleBytes

  /// A LONG1 of a full 8-byte Int64 (BININT1 only holds 0...255).
  static func int64(_ v: Int64) -> [UInt8] { P.long1(leBytes(v)) }

  /// {'w': _rebuild_tensor_v2(storage of 4 floats, 0, size, stride, False, OrderedDict())}
  private func viewPickle(size: [Int64], stride: [Int64]) -> [UInt8] {
    P.proto2 + P.emptyDict + P.unicode("w")
      + P.global("torch._utils", "_rebuild_tensor_v2")
      + P.mark
      + P.mark + P.unicode("storage") + P.global("torch", "FloatStorage") + P.unicode("0") + P.unicode("cpu")
      + P.int1(4) + P.tuple + P.binPersId
      + P.int1(0)
      + P.mark + size.flatMap(Self.int64) + P.tuple
      + P.mark + stride.flatMap(Self.int64) + P.tuple
      + P.newFalse + P.global("collections", "OrderedDict") + P.emptyTuple + P.reduce
      + P.tuple + P.reduce + P.setItem + P.stop
  }

  private func load(_ pickle: [UInt8]) throws -> [(String, HostArray)] {
    let storage = [Float(1), 2, 3, 4].flatMap(leBytes)
    return try TorchCheckpoint.unpickle(pickle, source: "evil.pth", pickleName: "data.pkl") { _ in storage }
      .stateDict()
  }

  /// Stride 0 lets a 4-element storage name 2^40 elements; that allocation used to abort.
  func testExpandedViewBeyondTheAllowanceIsRefused() {
    assertWeightIOError(
      try load(viewPickle(size: [1 << 20, 1 << 20], stride: [0, 0])), mentions: ["evil.pth", "'w'", "repeated"])
    // Element count × 4 bytes overflowing Int.
    assertWeightIOError(
      try load(viewPickle(size: [1 << 31, 1 << 31], stride: [0, 0])), mentions: ["evil.pth", "'w'"])
  }

  /// A small expansion is still a valid torch view and loads.
  func testSmallExpandedViewLoads() throws {
    let loaded = try load(viewPickle(size: [3, 2], stride: [0, 1]))
    XCTAssertEqual(try loaded.first?.1.floats(), [1, 2, 1, 2, 1, 2])
  }

  /// A dimension of size 1 may carry any stride in a file; stepping the copy's odometer by
  /// 2^62 × 4 bytes used to overflow and trap.
  func testHugeStrideOfASizeOneDimensionIsHarmless() throws {
    let loaded = try load(viewPickle(size: [1, 2], stride: [1 << 62, 2]))
    XCTAssertEqual(loaded.first?.1.shape, [1, 2])
    XCTAssertEqual(try loaded.first?.1.floats(), [1, 3])
  }

  /// l = [f, None, l] with f = _rebuild_from_type_v2, then f(*l): each call unwrapped l[2] = l
  /// again, recursing until the stack overflowed.
  func testSelfNestedRebuildFromTypeDoesNotRecurse() {
    let f = P.global("torch._tensor", "_rebuild_from_type_v2")
    let pickle =
      P.proto2 + P.emptyDict + P.unicode("w") + f + P.emptyList + P.put(0)
      + P.mark + f + P.none + P.get(0) + P.appends + P.reduce + P.setItem + P.stop
    assertWeightIOError(try load(pickle), mentions: ["evil.pth", "'w'", "nested in itself"])
  }

  /// A deflated entry whose directory claims more bytes than deflate can produce from it.
  func testDeflatedEntryWithImpossibleDeclaredSizeIsRefused() throws {
    var bytes = [UInt8](
      try Data(contentsOf: fixturesDirectory.appendingPathComponent("conv_bn_state_dict_deflated.pth")))
    let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    let entry = try XCTUnwrap(
      (0...(bytes.count - 46)).first { offset in
        guard bytes[offset..<(offset + 4)].elementsEqual(signature) else { return false }
        let nameLength = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
        return String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self).hasSuffix("data.pkl")
      })
    XCTAssertEqual(bytes[entry + 10], 8, "the pickle entry is deflated")
    for i in 0..<4 { bytes[entry + 24 + i] = 0xF0 }  // uncompressed size ≈ 4 GB
    let url = try makeTemporaryDirectory(self).appendingPathComponent("bomb.pth")
    try Data(bytes).write(to: url)
    assertWeightIOError(try TorchCheckpoint.load(contentsOf: url), mentions: ["bomb.pth", "data.pkl", "deflate"])
  }
}
