
import Foundation
import SeededRandom
@testable import WeightIO
import XCTest

/// Pickles assembled opcode by opcode from the pickle format definition (Python's
/// Lib/pickletools.py), so the expectations do not depend on our reader.
enum PickleBytes {
  static func op(_ c: Character) -> [UInt8] { [UInt8(ascii: c.unicodeScalars.first ?? "?")] }
  static let proto2: [UInt8] = [0x80, 2]
  static let stop = op(".")
  static let mark = op("(")
  static let emptyDict = op("}")
  static let emptyList = op("]")
  static let emptyTuple = op(")")
  static let tuple = op("t")
  static let setItem = op("s")
  static let setItems = op("u")
  static let append = op("a")
  static let appends = op("e")
  static let none = op("N")
  static let newTrue: [UInt8] = [0x88]
  static let newFalse: [UInt8] = [0x89]
  static let reduce = op("R")
  static let build = op("b")
  static let binPersId = op("Q")
  static let tuple1: [UInt8] = [0x85]
  static let tuple2: [UInt8] = [0x86]
  static let tuple3: [UInt8] = [0x87]
  static func unicode(_ s: String) -> [UInt8] { op("X") + leBytes(UInt32(s.utf8.count)) + Array(s.utf8) }
  static func shortUnicode(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
  static func int1(_ v: UInt8) -> [UInt8] { op("K") + [v] }
  static func int2(_ v: UInt16) -> [UInt8] { op("M") + leBytes(v) }
  static func int4(_ v: Int32) -> [UInt8] { op("J") + leBytes(v) }
  static func long1(_ bytes: [UInt8]) -> [UInt8] { [0x8A, UInt8(bytes.count)] + bytes }
  static func binFloat(_ d: Double) -> [UInt8] { op("G") + leBytes(d.bitPattern).reversed() }  // big-endian
  static func global(_ module: String, _ name: String) -> [UInt8] { op("c") + Array("\(module)\n\(name)\n".utf8) }
  static func put(_ i: UInt8) -> [UInt8] { op("q") + [i] }
  static func get(_ i: UInt8) -> [UInt8] { op("h") + [i] }
}

/// Callbacks for plain-data pickles: no persistent ids, calls become opaque objects.
struct PlainCallbacks: PickleCallbacks {
  mutating func persistentLoad(_ id: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
    throw WeightIOError(file: "test", "no persistent ids here")
  }
  mutating func call(_ callable: PickleValue, arguments: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
    .object(type: callable.kind)
  }
  mutating func build(_ object: PickleValue, state: PickleValue, heap: inout PickleHeap) throws {}
}

final class PickleMachineTests: XCTestCase {
  typealias P = PickleBytes

  private func run(_ bytes: [UInt8]) throws -> (PickleValue, PickleHeap) {
    let (value, heap, _, _) = try PickleMachine.run(bytes, source: "test.pkl", callbacks: PlainCallbacks())
    return (value, heap)
  }

  /// {'a': [1, 2], 'b': (True, None, 1.5, 'héllo', -3, 2**40, 300, False)}
  func testPlainValues() throws {
    let bytes =
      P.proto2 + P.emptyDict + P.put(0) + P.mark
      + P.unicode("a") + P.emptyList + P.put(1) + P.mark + P.int1(1) + P.int1(2) + P.appends
      + P.unicode("b") + P.mark + P.newTrue + P.none + P.binFloat(1.5) + P.shortUnicode("héllo") + P.int4(-3)
      + P.long1([0, 0, 0, 0, 0, 1]) + P.int2(300) + P.newFalse + P.tuple
      + P.setItems + P.stop
    let (value, heap) = try run(bytes)
    guard case .dict(let d) = value else { return XCTFail("not a dict: \(value)") }
    let dict = heap.dicts[d]
    XCTAssertEqual(dict.entries.map(\.key), [.string("a"), .string("b")])
    guard case .list(let l) = dict.value(forKey: "a") else { return XCTFail("a is not a list") }
    XCTAssertEqual(heap.lists[l], [.int(1), .int(2)])
    guard case .tuple(let t) = dict.value(forKey: "b") else { return XCTFail("b is not a tuple") }
    XCTAssertEqual(
      heap.tuples[t],
      [.bool(true), .none, .float(1.5), .string("héllo"), .int(-3), .int(1 << 40), .int(300), .bool(false)])
  }

  func testNegativeAndHugeLongs() throws {
    let bytes =
      P.proto2 + P.mark + P.long1([0xFF]) + P.long1([]) + P.long1([0x00, 0x80])
      + P.long1([UInt8](repeating: 0x7F, count: 9)) + P.tuple + P.stop
    let (value, heap) = try run(bytes)
    XCTAssertEqual(heap.sequence(value), [.int(-1), .int(0), .int(-32768), .bigInt])
  }

  /// A list fetched from the memo is the same list: appending through one alias shows in both.
  func testMemoAliasing() throws {
    let bytes =
      P.proto2 + P.emptyList + P.put(0) + P.get(0) + P.int1(7) + P.append + P.get(0) + P.int1(8) + P.append + P.tuple2
      + P.stop
    let (value, heap) = try run(bytes)
    guard let items = heap.sequence(value), items.count == 2, case .list(let a) = items[0], case .list(let b) = items[1]
    else {
      return XCTFail("unexpected \(value)")
    }
    XCTAssertEqual(a, b)
    XCTAssertEqual(heap.lists[a], [.int(7), .int(8)])
  }

  func testProtocol4FrameMemoizeStackGlobal() throws {
    let body =
      P.shortUnicode("collections") + [0x94] + P.shortUnicode("OrderedDict") + [0x94] + [0x93] + [0x94]
      + P.emptyTuple + P.reduce + P.stop
    let bytes = [0x80, 4, 0x95] + leBytes(UInt64(body.count)) + body
    let (value, _) = try run(bytes)
    XCTAssertEqual(value, .object(type: "collections.OrderedDict"))
  }

  func testSetItemReplacesExistingKey() throws {
    let bytes =
      P.proto2 + P.emptyDict + P.unicode("k") + P.int1(1) + P.setItem + P.unicode("k") + P.int1(2) + P.setItem + P.stop
    let (value, heap) = try run(bytes)
    guard case .dict(let d) = value else { return XCTFail() }
    XCTAssertEqual(heap.dicts[d].entries.count, 1)
    XCTAssertEqual(heap.dicts[d].value(forKey: "k"), .int(2))
  }

  // MARK: errors name the opcode and its position

  func testUnknownOpcode() {
    assertWeightIOError(try run(P.proto2 + [0xFF]), mentions: ["test.pkl", "0xff", "byte 2"])
    assertWeightIOError(try run(P.proto2 + [0x97]), mentions: ["NEXT_BUFFER", "unsupported"])
  }

  func testStackUnderflowAndBadTargets() {
    assertWeightIOError(try run(P.proto2 + P.append), mentions: ["APPEND", "underflow"])
    assertWeightIOError(try run(P.proto2 + P.mark + P.stop), mentions: ["STOP", "underflow"])
    assertWeightIOError(try run(P.proto2 + P.int1(1) + P.int1(2) + P.append), mentions: ["APPEND", "list"])
    assertWeightIOError(
      try run(P.proto2 + P.emptyList + P.int1(1) + P.int1(2) + P.setItem), mentions: ["SETITEM", "dict"])
    assertWeightIOError(try run(P.proto2 + P.tuple), mentions: ["TUPLE", "MARK"])
    assertWeightIOError(try run(P.proto2 + P.mark + P.int1(1) + P.tuple2), mentions: ["TUPLE2", "underflow"])
  }

  func testTruncation() {
    assertWeightIOError(
      try run(P.proto2 + P.op("X") + leBytes(UInt32(1000)) + Array("ab".utf8)), mentions: ["BINUNICODE", "truncated"])
    assertWeightIOError(try run(P.proto2 + [0x8D] + leBytes(UInt64.max)), mentions: ["BINUNICODE8", "truncated"])
    assertWeightIOError(try run(P.proto2 + P.none), mentions: ["without STOP"])
    assertWeightIOError(try run(P.proto2 + P.op("c") + Array("torch".utf8)), mentions: ["GLOBAL", "newline"])
  }

  func testMemoErrors() {
    assertWeightIOError(try run(P.proto2 + P.get(5)), mentions: ["BINGET", "memo index 5"])
    assertWeightIOError(try run(P.proto2 + P.put(0)), mentions: ["BINPUT"])
  }

  func testInvalidUTF8() {
    assertWeightIOError(try run(P.proto2 + [0x8C, 2, 0xC3, 0x28] + P.stop), mentions: ["UTF-8"])
  }

  /// Random bytes after a PROTO header: always a value or a WeightIOError, never a crash.
  func testRandomBytesNeverCrash() {
    var generator = SplitMix64(seed: 11)
    for _ in 0..<3000 {
      let length = Int(generator.next() % 64)
      let bytes = P.proto2 + (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      do { _ = try run(bytes) } catch { XCTAssertTrue(error is WeightIOError, "\(error)") }
    }
  }
}

/// The torch layer on hand-built pickles: hostile geometry and containers.
final class TorchUnpicklingTests: XCTestCase {
  typealias P = PickleBytes

  /// {'w': _rebuild_tensor_v2(storage('0', FloatStorage, numel 4), offset, size, stride, False, OrderedDict())}
  private func stateDictPickle(offset: UInt8, size: [UInt8], stride: [UInt8], storageType: String = "FloatStorage")
    -> [UInt8]
  {
    P.proto2 + P.emptyDict + P.unicode("w")
      + P.global("torch._utils", "_rebuild_tensor_v2")
      + P.mark
      + P.mark + P.unicode("storage") + P.global("torch", storageType) + P.unicode("0") + P.unicode("cpu") + P.int1(4)
      + P.tuple + P.binPersId
      + P.int1(offset)
      + P.mark + size.flatMap { P.int1($0) } + P.tuple
      + P.mark + stride.flatMap { P.int1($0) } + P.tuple
      + P.newFalse + P.global("collections", "OrderedDict") + P.emptyTuple + P.reduce
      + P.tuple + P.reduce + P.setItem + P.stop
  }

  private let storage = [Float(1), 2, 3, 4].flatMap(leBytes)

  private func load(_ pickle: [UInt8]) throws -> [(String, HostArray)] {
    let storage = self.storage
    return try TorchCheckpoint.unpickle(pickle, source: "hand.pth", pickleName: "data.pkl") { key in
      guard key == "0" else { throw WeightIOError(file: "hand.pth", key: key, "no such storage") }
      return storage
    }.stateDict()
  }

  func testValidViewOfHandBuiltStorage() throws {
    // Elements 1 and 3 of [1, 2, 3, 4]: offset 1, size (2,), stride (2,).
    let loaded = try load(stateDictPickle(offset: 1, size: [2], stride: [2]))
    XCTAssertEqual(loaded.map(\.0), ["w"])
    XCTAssertEqual(try loaded.first?.1.floats(), [2, 4])
  }

  func testViewBeyondStorageNamesTheKey() {
    assertWeightIOError(
      try load(stateDictPickle(offset: 2, size: [3], stride: [1])), mentions: ["hand.pth", "'w'", "reaches element 4"])
    assertWeightIOError(try load(stateDictPickle(offset: 0, size: [2, 2], stride: [1])), mentions: ["'w'", "rank"])
  }

  func testStorageShorterThanDeclared() {
    // numel 4 of DoubleStorage needs 32 bytes, the entry has 16.
    assertWeightIOError(
      try load(stateDictPickle(offset: 0, size: [1], stride: [1], storageType: "DoubleStorage")),
      mentions: ["'w'", "32"])
  }

  func testSelfReferencingListDoesNotLoop() throws {
    // l = []; l.append(l)
    let bytes = P.proto2 + P.emptyList + P.put(0) + P.get(0) + P.append + P.stop
    let unpickled = try TorchCheckpoint.unpickle(bytes, source: "loop.pth", pickleName: "data.pkl") { _ in [] }
    XCTAssertEqual(try unpickled.flattened().count, 0)
    assertWeightIOError(try unpickled.stateDict(), mentions: ["loop.pth", "no state dict", "list"])
  }

  func testDeepNestingIsRefused() throws {
    // 1000 nested lists, each appended into the previous one.
    var bytes = P.proto2 + P.emptyList
    for _ in 0..<1000 { bytes += P.emptyList }
    for _ in 0..<1000 { bytes += P.append }
    bytes += P.stop
    let unpickled = try TorchCheckpoint.unpickle(bytes, source: "deep.pth", pickleName: "data.pkl") { _ in [] }
    assertWeightIOError(try unpickled.flattened(), mentions: ["deep.pth", "nested deeper"])
  }

  /// Mutations of a real data.pkl, run against that checkpoint's storages: always a result or a
  /// WeightIOError. (The zip layer's CRC would catch most corruptions before the pickle.)
  func testMutatedRealPickleNeverCrashes() throws {
    let url = fixturesDirectory.appendingPathComponent("views.pth")
    let archive = try ZIPArchiveFixture(url: url)
    var generator = SplitMix64(seed: 3)
    var errors = 0
    for _ in 0..<2000 {
      var bytes = archive.pickle
      for _ in 0..<2 {
        let position = Int(generator.next() % UInt64(bytes.count))
        bytes[position] = UInt8(truncatingIfNeeded: generator.next())
      }
      do {
        _ = try TorchCheckpoint.unpickle(
          bytes, source: "views.pth", pickleName: "data.pkl", storageBytes: archive.storage
        ).flattened()
      } catch {
        XCTAssertTrue(error is WeightIOError, "\(error)")
        errors += 1
      }
    }
    XCTAssertGreaterThan(errors, 0)
  }
}
