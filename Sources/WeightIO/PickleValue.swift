/// A value on the pickle machine's stack or in its memo.
///
/// Containers (tuples, lists, dicts) live in `PickleHeap` arenas and are referred to by index.
/// That gives pickle's aliasing semantics for free (a list fetched from the memo and appended
/// to is the same list everywhere), makes self-referencing containers harmless, and keeps the
/// enum flat, so even a hostile, deeply nested pickle cannot overflow the stack when freed.
enum PickleValue: Equatable {
  case none
  case bool(Bool)
  case int(Int64)
  /// An integer outside Int64; weight files never need one, so only its presence is kept.
  case bigInt
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple(Int)
  case list(Int)
  case dict(Int)
  /// A class or function reference (GLOBAL / STACK_GLOBAL); never executed, only recognised.
  case global(module: String, name: String)
  /// An instance of a class we do not model (e.g. argparse.Namespace in a checkpoint).
  case object(type: String)
  /// A value made by the callbacks (tensor, storage): an index into their own arena.
  case external(Int)

  /// A short description for error messages.
  var kind: String {
    switch self {
    case .none: return "None"
    case .bool: return "bool"
    case .int, .bigInt: return "int"
    case .float: return "float"
    case .string: return "str"
    case .bytes: return "bytes"
    case .tuple: return "tuple"
    case .list: return "list"
    case .dict: return "dict"
    case .global(let module, let name): return "\(module).\(name)"
    case .object(let type): return "\(type) object"
    case .external: return "tensor/storage"
    }
  }
}

/// Hashable form of the dict keys pickles use, so SETITEM can replace an existing key in O(1).
enum PickleKey: Hashable {
  case none
  case bool(Bool)
  case int(Int64)
  case string(String)
  case bytes([UInt8])

  init?(_ value: PickleValue) {
    switch value {
    case .none: self = .none
    case .bool(let b): self = .bool(b)
    case .int(let i): self = .int(i)
    case .string(let s): self = .string(s)
    case .bytes(let b): self = .bytes(b)
    default: return nil
    }
  }
}

/// An insertion-ordered dict, as Python's dict and OrderedDict are.
struct PickleDict {
  private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
  private var index: [PickleKey: Int] = [:]

  mutating func set(_ key: PickleValue, _ value: PickleValue) {
    if let hashable = PickleKey(key) {
      if let existing = index[hashable] {
        entries[existing].value = value
        return
      }
      index[hashable] = entries.count
    }
    entries.append((key, value))
  }

  func value(forKey key: String) -> PickleValue? {
    index[.string(key)].map { entries[$0].value }
  }
}

/// The arenas that hold every container a pickle creates.
struct PickleHeap {
  var tuples: [[PickleValue]] = []
  var lists: [[PickleValue]] = []
  var dicts: [PickleDict] = []

  mutating func makeTuple(_ items: [PickleValue]) -> PickleValue {
    tuples.append(items)
    return .tuple(tuples.count - 1)
  }

  mutating func makeList(_ items: [PickleValue] = []) -> PickleValue {
    lists.append(items)
    return .list(lists.count - 1)
  }

  mutating func makeDict() -> PickleValue {
    dicts.append(PickleDict())
    return .dict(dicts.count - 1)
  }

  /// The items of a tuple or list, or nil for anything else.
  func sequence(_ value: PickleValue) -> [PickleValue]? {
    switch value {
    case .tuple(let i): return tuples[i]
    case .list(let i): return lists[i]
    default: return nil
    }
  }
}
