/// The torch-specific half of unpickling a checkpoint: storages from persistent ids, tensors
/// from `torch._utils._rebuild_tensor_v2`, parameters, OrderedDicts. Only these known
/// functions are recognised; other classes become opaque objects (so a checkpoint that also
/// pickles e.g. an argparse.Namespace still loads), and unknown torch tensor kinds become
/// failed tensors that throw — naming the state-dict key — if they are actually asked for.
struct TorchUnpickling: PickleCallbacks {
  /// A value the pickle refers to by `.external(index)`.
  enum External {
    case storage(Result<Storage, WeightIOError>)
    case tensor(Result<HostArray, WeightIOError>)
  }

  struct Storage {
    var dtype: ElementType
    var bytes: [UInt8]
  }

  let source: String
  /// Bytes of the zip entry holding storage `key` (`<prefix>/data/<key>`).
  let storageBytes: (String) throws -> [UInt8]
  private(set) var externals: [External] = []
  private var storageIndexByKey: [String: Int] = [:]
  /// Bytes of all storages loaded, and of all tensors made from them: views that repeat
  /// elements, or many tensors over one storage, must not multiply a small file into an
  /// allocation that kills the process.
  private var storageBytesLoaded = 0
  private var tensorBytesMade = 0
  static let tensorBytesAllowance = 1 << 30

  init(source: String, storageBytes: @escaping (String) throws -> [UInt8]) {
    self.source = source
    self.storageBytes = storageBytes
  }

  /// torch's typed storage classes and the element type of their bytes.
  static let storageTypes: [String: ElementType] = [
    "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
    "LongStorage": .i64, "IntStorage": .i32, "ByteStorage": .u8, "CharStorage": .i8, "BoolStorage": .bool,
  ]

  private func failure(_ problem: String) -> WeightIOError {
    WeightIOError(file: source, problem)
  }

  private mutating func add(_ external: External) -> PickleValue {
    externals.append(external)
    return .external(externals.count - 1)
  }

  // MARK: persistent ids: ('storage', torch.XStorage, key, location, numel)

  mutating func persistentLoad(_ id: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
    guard let fields = heap.sequence(id), fields.count >= 5, case .string("storage") = fields[0] else {
      throw WeightIOError(
        file: source, key: "pickle opcode BINPERSID",
        "unsupported persistent id (\(id.kind)); expected ('storage', type, key, location, numel)")
    }
    guard case .string(let key) = fields[2] else {
      throw WeightIOError(
        file: source, key: "pickle opcode BINPERSID", "storage key is \(fields[2].kind), not a string")
    }
    // Legacy files may add view_metadata (view_key, offset, size): a storage that is a slice
    // of the root storage `key`.
    var view: (key: String, offset: Int64, count: Int64)?
    if fields.count >= 6, let metadata = heap.sequence(fields[5]), metadata.count == 3,
      case .string(let viewKey) = metadata[0], case .int(let offset) = metadata[1], case .int(let count) = metadata[2]
    {
      view = (viewKey, offset, count)
    }
    let cacheKey = view.map { "\(key)/\($0.key)" } ?? key
    if let index = storageIndexByKey[cacheKey] { return .external(index) }  // shared storage
    var storage = loadStorage(key: key, type: fields[1], numel: fields[4])
    if case .success(let loaded) = storage { storageBytesLoaded += loaded.bytes.count }
    if let view, case .success(let root) = storage {
      let size = root.dtype.byteSize
      if view.offset >= 0, view.count >= 0, view.offset <= Int64(root.bytes.count / size) - view.count {
        let begin = Int(view.offset) * size
        storage = .success(
          Storage(dtype: root.dtype, bytes: Array(root.bytes[begin..<(begin + Int(view.count) * size)])))
      } else {
        storage = .failure(
          failure(
            "storage view '\(view.key)' (offset \(view.offset), \(view.count) elements) lies outside storage '\(key)'"))
      }
    }
    let value = add(.storage(storage))
    if case .external(let index) = value { storageIndexByKey[cacheKey] = index }
    return value
  }

  private func loadStorage(key: String, type: PickleValue, numel: PickleValue) -> Result<Storage, WeightIOError> {
    guard case .global(let module, let name) = type, module == "torch" else {
      return .failure(failure("storage '\(key)' has type \(type.kind), not a torch storage class"))
    }
    guard let dtype = TorchUnpickling.storageTypes[name] else {
      return .failure(
        failure(
          "storage '\(key)' is a torch.\(name), which is not supported (supported: \(TorchUnpickling.storageTypes.keys.sorted().joined(separator: ", ")))"
        ))
    }
    guard case .int(let count) = numel, count >= 0 else {
      return .failure(failure("storage '\(key)' has element count \(numel.kind)"))
    }
    do {
      let bytes = try storageBytes(key)
      let (needed, overflow) = Int(count).multipliedReportingOverflow(by: dtype.byteSize)
      guard !overflow, bytes.count >= needed else {
        return .failure(
          failure(
            "storage '\(key)' should hold \(count) × \(dtype.byteSize) = \(needed) bytes, its data entry has \(bytes.count)"
          ))
      }
      return .success(Storage(dtype: dtype, bytes: bytes.count == needed ? bytes : Array(bytes[0..<needed])))
    } catch let error as WeightIOError {
      return .failure(error)
    } catch {
      return .failure(failure("storage '\(key)': \(error)"))
    }
  }

  // MARK: REDUCE / NEWOBJ

  mutating func call(_ callable: PickleValue, arguments: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
    guard case .global(let module, let name) = callable else {
      throw WeightIOError(
        file: source, key: "pickle opcode REDUCE", "callable is \(callable.kind), not a class or function")
    }
    let args = heap.sequence(arguments) ?? []
    switch (module, name) {
    case ("collections", "OrderedDict"), ("builtins", "dict"):
      let dict = heap.makeDict()
      // OrderedDict([(k, v), ...]) — torch writes OrderedDict() and SETITEMS, but accept both.
      if let pairs = args.first.flatMap(heap.sequence), case .dict(let d) = dict {
        for pair in pairs {
          if let kv = heap.sequence(pair), kv.count == 2 { heap.dicts[d].set(kv[0], kv[1]) }
        }
      }
      return dict
    case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
      return add(.tensor(rebuildTensor(args, heap: heap)))
    case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
      // (data, requires_grad, backward_hooks[, state]): a Parameter is its data for us.
      guard let data = args.first, case .external(let i) = data, case .tensor = externals[i] else {
        return add(.tensor(.failure(failure("\(module).\(name) without a tensor argument"))))
      }
      return data
    case ("torch._tensor", "_rebuild_from_type_v2"):
      // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor. The inner
      // function is never this one again: a self-referencing list would recurse forever.
      guard args.count >= 3 else {
        return add(.tensor(.failure(failure("\(module).\(name) with \(args.count) arguments"))))
      }
      if case .global(module, name) = args[0] {
        return add(.tensor(.failure(failure("\(module).\(name) nested in itself"))))
      }
      return try call(args[0], arguments: args[2], heap: &heap)
    default:
      if module.hasPrefix("torch") && name.lowercased().contains("rebuild") {
        return add(
          .tensor(
            .failure(
              failure("tensor kind \(module).\(name) (quantized, sparse, nested or meta tensors) is not supported"))))
      }
      return .object(type: "\(module).\(name)")
    }
  }

  /// BUILD sets attributes (an OrderedDict's `_metadata`, an object's __dict__); weights never
  /// live there, so the state is dropped.
  mutating func build(_ object: PickleValue, state: PickleValue, heap: inout PickleHeap) throws {}

  /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
  private mutating func rebuildTensor(_ args: [PickleValue], heap: PickleHeap) -> Result<HostArray, WeightIOError> {
    guard args.count >= 4 else {
      return .failure(failure("_rebuild_tensor_v2 with \(args.count) arguments, expected at least 4"))
    }
    guard case .external(let s) = args[0], case .storage(let storageResult) = externals[s] else {
      return .failure(failure("_rebuild_tensor_v2: first argument is \(args[0].kind), not a storage"))
    }
    let storage: Storage
    switch storageResult {
    case .success(let value): storage = value
    case .failure(let error): return .failure(error)
    }
    guard case .int(let offset) = args[1], let sizes = ints(args[2], heap), let strides = ints(args[3], heap) else {
      return .failure(failure("_rebuild_tensor_v2: storage offset, size and stride must be integers"))
    }
    let result = Result {
      try StridedCopy.materialize(
        storageBytes: storage.bytes, dtype: storage.dtype, offset: Int(offset), sizes: sizes, strides: strides,
        source: source)
    }.mapError { $0 as? WeightIOError ?? failure("\($0)") }
    if case .success(let array) = result {
      tensorBytesMade += array.bytes.count
      let allowed = 4 * storageBytesLoaded + TorchUnpickling.tensorBytesAllowance
      guard tensorBytesMade <= allowed else {
        return .failure(
          failure(
            "its tensors add up to more than \(allowed) bytes from \(storageBytesLoaded) bytes of storage: views repeat the data far more than a checkpoint does"
          ))
      }
    }
    return result
  }

  private func ints(_ value: PickleValue, _ heap: PickleHeap) -> [Int]? {
    guard let items = heap.sequence(value) else { return nil }
    var out: [Int] = []
    for item in items {
      guard case .int(let i) = item else { return nil }
      out.append(Int(i))
    }
    return out
  }
}
