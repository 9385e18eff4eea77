import Foundation

/// What the pickle machine asks its user to do with the parts of a pickle that are not plain
/// data: persistent ids (torch storages), calls of globals (REDUCE / NEWOBJ), and BUILD.
/// Nothing is ever executed: the callbacks recognise the few functions torch pickles and
/// build values for them.
protocol PickleCallbacks {
  mutating func persistentLoad(_ id: PickleValue, heap: inout PickleHeap) throws -> PickleValue
  mutating func call(_ callable: PickleValue, arguments: PickleValue, heap: inout PickleHeap) throws -> PickleValue
  mutating func build(_ object: PickleValue, state: PickleValue, heap: inout PickleHeap) throws
}

/// A pickle virtual machine for the binary protocols (2 as torch.save writes, up to 5 for the
/// opcodes listed below). Every read is bounds-checked; an unknown opcode or a malformed stack
/// is an error naming the file, the opcode and its byte position.
struct PickleMachine<Callbacks: PickleCallbacks> {
  private var reader: ByteReader
  private var callbacks: Callbacks
  private(set) var heap = PickleHeap()
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [UInt64: PickleValue] = [:]
  private var opcodeName = ""
  private var opcodePosition = 0

  init(_ bytes: [UInt8], from start: Int = 0, source: String, callbacks: Callbacks) {
    reader = ByteReader(bytes, source: source, position: start)
    self.callbacks = callbacks
  }

  /// Runs from byte `start` to STOP; returns the pickled object, the heap its containers live
  /// in, the callbacks (with whatever they built), and the position just after STOP (legacy
  /// torch files are several pickles in a row).
  static func run(_ bytes: [UInt8], from start: Int = 0, source: String, callbacks: Callbacks) throws -> (
    value: PickleValue, heap: PickleHeap, callbacks: Callbacks, end: Int
  ) {
    var machine = PickleMachine(bytes, from: start, source: source, callbacks: callbacks)
    let value = try machine.execute()
    return (value, machine.heap, machine.callbacks, machine.reader.position)
  }

  private func error(_ problem: String) -> WeightIOError {
    WeightIOError(file: reader.source, key: "pickle opcode \(opcodeName) at byte \(opcodePosition)", problem)
  }

  // MARK: stack helpers

  private mutating func pop() throws -> PickleValue {
    guard let top = stack.last, stack.count > (marks.last ?? 0) || marks.isEmpty else {
      throw error("stack underflow")
    }
    stack.removeLast()
    return top
  }

  private mutating func popToMark() throws -> [PickleValue] {
    guard let mark = marks.popLast() else { throw error("no MARK on the stack") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  private mutating func popString(_ what: String) throws -> String {
    guard case .string(let s) = try pop() else { throw error("\(what) must be a string") }
    return s
  }

  private mutating func memoize(_ index: UInt64) throws {
    guard let top = stack.last else { throw error("nothing on the stack to memoize") }
    memo[index] = top
  }

  private mutating func memoGet(_ index: UInt64) throws {
    guard let value = memo[index] else { throw error("memo index \(index) was never stored") }
    stack.append(value)
  }

  private func text(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// Byte strings of the old protocols: Python 3 decodes them as Latin-1-compatible text for
  /// class names and keys, which is what they always are in torch files.
  private func latin1(_ bytes: ArraySlice<UInt8>) -> String {
    String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }

  private mutating func utf8String(length: UInt64) throws -> String {
    let bytes = try reader.readBytes(length, "string")
    guard let s = String(validating: bytes, as: UTF8.self) else { throw error("string is not valid UTF-8") }
    return s
  }

  /// Two's-complement little-endian integer of any length (LONG1 / LONG4).
  private func long(_ bytes: ArraySlice<UInt8>) -> PickleValue {
    if bytes.isEmpty { return .int(0) }
    guard bytes.count <= 8 else {
      // Fits in Int64 only if every extra byte is sign extension.
      let negative = (bytes.last ?? 0) & 0x80 != 0
      let fill: UInt8 = negative ? 0xFF : 0x00
      let head = bytes.prefix(8)
      guard bytes.dropFirst(8).allSatisfy({ $0 == fill }), ((head.last ?? 0) & 0x80 != 0) == negative else {
        return .bigInt
      }
      return long(head)
    }
    var value: UInt64 = 0
    for (i, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
    if (bytes.last ?? 0) & 0x80 != 0 && bytes.count < 8 {
      value |= ~UInt64(0) << (8 * UInt64(bytes.count))  // sign-extend
    }
    return .int(Int64(bitPattern: value))
  }

  private func decimal(_ line: ArraySlice<UInt8>) throws -> PickleValue {
    var s = text(line).trimmingCharacters(in: .whitespaces)
    if s.hasSuffix("L") { s.removeLast() }
    if s == "00" { return .bool(false) }
    if s == "01" { return .bool(true) }
    if let i = Int64(s) { return .int(i) }
    if !s.isEmpty, s.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy(\.isNumber) { return .bigInt }
    throw error("'\(s)' is not an integer")
  }

  // MARK: the interpreter loop

  private mutating func execute() throws -> PickleValue {
    while true {
      opcodePosition = reader.position
      guard !reader.isAtEnd else {
        opcodeName = "end of data"
        throw error("pickle ended without STOP")
      }
      let op = try reader.readByte()
      opcodeName = pickleOpcodeNames[op] ?? String(format: "0x%02x", op)
      do {
        if let result = try step(op) { return result }
      } catch let failure as WeightIOError where failure.key == nil {
        // Reader errors (truncation) know the position but not the opcode: add it.
        throw error(failure.problem)
      }
    }
  }

  /// Executes one opcode; returns the result at STOP.
  private mutating func step(_ op: UInt8) throws -> PickleValue? {
    switch op {
    case 0x80:  // PROTO
      let version = try reader.readByte("protocol version")
      guard version <= 5 else { throw error("unsupported pickle protocol \(version)") }
    case 0x95:  // FRAME: length of the next frame; frames are only a buffering hint.
      _ = try reader.readUnsignedLE(8, "frame length")
    case UInt8(ascii: "."):  // STOP
      return try pop()
    case UInt8(ascii: "("):  // MARK
      marks.append(stack.count)
    case UInt8(ascii: "0"):  // POP
      if let mark = marks.last, mark == stack.count { marks.removeLast() } else { _ = try pop() }
    case UInt8(ascii: "1"):  // POP_MARK
      _ = try popToMark()
    case UInt8(ascii: "2"):  // DUP
      guard let top = stack.last else { throw error("stack underflow") }
      stack.append(top)

    // Constants and numbers
    case UInt8(ascii: "N"): stack.append(.none)
    case 0x88: stack.append(.bool(true))  // NEWTRUE
    case 0x89: stack.append(.bool(false))  // NEWFALSE
    case UInt8(ascii: "K"):  // BININT1
      stack.append(.int(Int64(try reader.readByte("BININT1 value"))))
    case UInt8(ascii: "M"):  // BININT2
      stack.append(.int(Int64(try reader.readUnsignedLE(2, "BININT2 value"))))
    case UInt8(ascii: "J"):  // BININT
      stack.append(.int(Int64(Int32(truncatingIfNeeded: try reader.readUnsignedLE(4, "BININT value")))))
    case 0x8A:  // LONG1
      let n = try reader.readByte("LONG1 length")
      stack.append(long(try reader.readBytes(UInt64(n), "LONG1 value")))
    case 0x8B:  // LONG4
      let n = Int32(truncatingIfNeeded: try reader.readUnsignedLE(4, "LONG4 length"))
      guard n >= 0 else { throw error("negative length \(n)") }
      stack.append(long(try reader.readBytes(UInt64(n), "LONG4 value")))
    case UInt8(ascii: "I"), UInt8(ascii: "L"):  // INT, LONG (text)
      stack.append(try decimal(try reader.readLine("integer")))
    case UInt8(ascii: "G"):  // BINFLOAT: big-endian IEEE double
      let bytes = try reader.readBytes(8, "BINFLOAT value")
      stack.append(.float(Double(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
    case UInt8(ascii: "F"):  // FLOAT (text)
      let s = text(try reader.readLine("float")).trimmingCharacters(in: .whitespaces)
      guard let d = Double(s) else { throw error("'\(s)' is not a float") }
      stack.append(.float(d))

    // Strings and bytes
    case 0x8C:  // SHORT_BINUNICODE
      stack.append(.string(try utf8String(length: UInt64(try reader.readByte("length")))))
    case UInt8(ascii: "X"):  // BINUNICODE
      stack.append(.string(try utf8String(length: try reader.readUnsignedLE(4, "length"))))
    case 0x8D:  // BINUNICODE8
      stack.append(.string(try utf8String(length: try reader.readUnsignedLE(8, "length"))))
    case UInt8(ascii: "U"):  // SHORT_BINSTRING
      stack.append(.string(latin1(try reader.readBytes(UInt64(try reader.readByte("length")), "string"))))
    case UInt8(ascii: "T"):  // BINSTRING
      let n = Int32(truncatingIfNeeded: try reader.readUnsignedLE(4, "length"))
      guard n >= 0 else { throw error("negative length \(n)") }
      stack.append(.string(latin1(try reader.readBytes(UInt64(n), "string"))))
    case UInt8(ascii: "V"):  // UNICODE (text, raw-unicode-escaped; plain names in practice)
      stack.append(.string(text(try reader.readLine("unicode string"))))
    case UInt8(ascii: "C"):  // SHORT_BINBYTES
      stack.append(.bytes(Array(try reader.readBytes(UInt64(try reader.readByte("length")), "bytes"))))
    case UInt8(ascii: "B"):  // BINBYTES
      stack.append(.bytes(Array(try reader.readBytes(try reader.readUnsignedLE(4, "length"), "bytes"))))
    case 0x8E, 0x96:  // BINBYTES8, BYTEARRAY8
      stack.append(.bytes(Array(try reader.readBytes(try reader.readUnsignedLE(8, "length"), "bytes"))))

    // Containers
    case UInt8(ascii: ")"): stack.append(heap.makeTuple([]))  // EMPTY_TUPLE
    case UInt8(ascii: "t"): stack.append(heap.makeTuple(try popToMark()))  // TUPLE
    case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
      let n = Int(op - 0x84)
      guard stack.count - (marks.last ?? 0) >= n else {
        throw error("stack underflow")
      }
      let items = Array(stack.suffix(n))
      stack.removeLast(n)
      stack.append(heap.makeTuple(items))
    case UInt8(ascii: "]"): stack.append(heap.makeList())  // EMPTY_LIST
    case UInt8(ascii: "l"): stack.append(heap.makeList(try popToMark()))  // LIST
    case 0x8F: stack.append(heap.makeList())  // EMPTY_SET (kept as a list)
    case 0x91: stack.append(heap.makeTuple(try popToMark()))  // FROZENSET (kept as a tuple)
    case UInt8(ascii: "a"):  // APPEND
      let item = try pop()
      try append([item])
    case UInt8(ascii: "e"), 0x90:  // APPENDS, ADDITEMS
      try append(try popToMark())
    case UInt8(ascii: "}"): stack.append(heap.makeDict())  // EMPTY_DICT
    case UInt8(ascii: "d"):  // DICT
      let items = try popToMark()
      let dict = heap.makeDict()
      try setItems(items, in: dict)
      stack.append(dict)
    case UInt8(ascii: "s"):  // SETITEM
      let value = try pop()
      let key = try pop()
      guard let target = stack.last else { throw error("stack underflow") }
      try setItems([key, value], in: target)
    case UInt8(ascii: "u"):  // SETITEMS
      let items = try popToMark()
      guard let target = stack.last else { throw error("stack underflow") }
      try setItems(items, in: target)

    // Memo
    case UInt8(ascii: "q"): try memoize(UInt64(try reader.readByte("memo index")))  // BINPUT
    case UInt8(ascii: "r"): try memoize(try reader.readUnsignedLE(4, "memo index"))  // LONG_BINPUT
    case 0x94: try memoize(UInt64(memo.count))  // MEMOIZE
    case UInt8(ascii: "p"):  // PUT (text)
      guard let index = UInt64(text(try reader.readLine("memo index"))) else { throw error("bad memo index") }
      try memoize(index)
    case UInt8(ascii: "h"): try memoGet(UInt64(try reader.readByte("memo index")))  // BINGET
    case UInt8(ascii: "j"): try memoGet(try reader.readUnsignedLE(4, "memo index"))  // LONG_BINGET
    case UInt8(ascii: "g"):  // GET (text)
      guard let index = UInt64(text(try reader.readLine("memo index"))) else { throw error("bad memo index") }
      try memoGet(index)

    // Globals, objects, persistent ids
    case UInt8(ascii: "c"):  // GLOBAL
      let module = latin1(try reader.readLine("module name"))
      let name = latin1(try reader.readLine("global name"))
      stack.append(.global(module: module, name: name))
    case 0x93:  // STACK_GLOBAL
      let name = try popString("STACK_GLOBAL name")
      let module = try popString("STACK_GLOBAL module")
      stack.append(.global(module: module, name: name))
    case UInt8(ascii: "Q"):  // BINPERSID
      let id = try pop()
      stack.append(try callbacks.persistentLoad(id, heap: &heap))
    case UInt8(ascii: "P"):  // PERSID (text id)
      let id = PickleValue.string(latin1(try reader.readLine("persistent id")))
      stack.append(try callbacks.persistentLoad(id, heap: &heap))
    case UInt8(ascii: "R"):  // REDUCE
      let arguments = try pop()
      let callable = try pop()
      stack.append(try callbacks.call(callable, arguments: arguments, heap: &heap))
    case 0x81:  // NEWOBJ: cls.__new__(cls, *args)
      let arguments = try pop()
      let cls = try pop()
      stack.append(try callbacks.call(cls, arguments: arguments, heap: &heap))
    case 0x92:  // NEWOBJ_EX: keyword arguments are ignored
      _ = try pop()
      let arguments = try pop()
      let cls = try pop()
      stack.append(try callbacks.call(cls, arguments: arguments, heap: &heap))
    case UInt8(ascii: "b"):  // BUILD
      let state = try pop()
      guard let object = stack.last else { throw error("stack underflow") }
      try callbacks.build(object, state: state, heap: &heap)

    default:
      throw error("unsupported pickle opcode")
    }
    return nil
  }

  private mutating func append(_ items: [PickleValue]) throws {
    guard let target = stack.last else { throw error("stack underflow") }
    guard case .list(let i) = target else { throw error("APPEND target must be a list, is \(target.kind)") }
    heap.lists[i].append(contentsOf: items)
  }

  private mutating func setItems(_ items: [PickleValue], in target: PickleValue) throws {
    guard case .dict(let i) = target else { throw error("SETITEM target must be a dict, is \(target.kind)") }
    guard items.count % 2 == 0 else { throw error("odd number of items (\(items.count)) for key/value pairs") }
    for pair in stride(from: 0, to: items.count, by: 2) {
      heap.dicts[i].set(items[pair], items[pair + 1])
    }
  }

}

/// Opcode names for error messages.
private let pickleOpcodeNames: [UInt8: String] = [
  0x80: "PROTO", 0x95: "FRAME", 0x2E: "STOP", 0x28: "MARK", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP",
  0x4E: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x4B: "BININT1", 0x4D: "BININT2", 0x4A: "BININT",
  0x8A: "LONG1", 0x8B: "LONG4", 0x49: "INT", 0x4C: "LONG", 0x47: "BINFLOAT", 0x46: "FLOAT",
  0x8C: "SHORT_BINUNICODE", 0x58: "BINUNICODE", 0x8D: "BINUNICODE8", 0x55: "SHORT_BINSTRING",
  0x54: "BINSTRING", 0x56: "UNICODE", 0x43: "SHORT_BINBYTES", 0x42: "BINBYTES", 0x8E: "BINBYTES8",
  0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", 0x53: "STRING",
  0x29: "EMPTY_TUPLE", 0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3",
  0x5D: "EMPTY_LIST", 0x6C: "LIST", 0x8F: "EMPTY_SET", 0x91: "FROZENSET", 0x61: "APPEND", 0x65: "APPENDS",
  0x90: "ADDITEMS", 0x7D: "EMPTY_DICT", 0x64: "DICT", 0x73: "SETITEM", 0x75: "SETITEMS",
  0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x94: "MEMOIZE", 0x70: "PUT", 0x68: "BINGET", 0x6A: "LONG_BINGET",
  0x67: "GET", 0x63: "GLOBAL", 0x93: "STACK_GLOBAL", 0x51: "BINPERSID", 0x50: "PERSID", 0x52: "REDUCE",
  0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x62: "BUILD", 0x69: "INST", 0x6F: "OBJ", 0x82: "EXT1", 0x83: "EXT2",
  0x84: "EXT4",
]
