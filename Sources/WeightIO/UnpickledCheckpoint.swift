/// The object a torch checkpoint's pickle produced, and the two ways of taking tensors out of it.
/// Both walks are iterative and visit each container once, so shared or self-referencing
/// containers in a hostile file neither loop nor overflow the stack.
struct UnpickledCheckpoint {
  let source: String
  let root: PickleValue
  let heap: PickleHeap
  let externals: [TorchUnpickling.External]

  /// Deepest container nesting `flattened` follows (real checkpoints nest a handful of levels).
  static let maximumDepth = 256

  private func tensor(_ value: PickleValue) -> Result<HostArray, WeightIOError>? {
    guard case .external(let i) = value, case .tensor(let result) = externals[i] else { return nil }
    return result
  }

  private func unwrap(_ result: Result<HostArray, WeightIOError>, key: String) throws -> HostArray {
    switch result {
    case .success(let array): return array
    case .failure(let error):
      // Keep what the original error was about (e.g. the zip entry of the storage).
      throw WeightIOError(file: source, key: key, error.key.map { "\($0): \(error.problem)" } ?? error.problem)
    }
  }

  /// A state dict: string keys, every value a tensor, at least one entry.
  private func isStateDict(_ dict: PickleDict) -> Bool {
    !dict.entries.isEmpty
      && dict.entries.allSatisfy { entry in
        if case .string = entry.key, tensor(entry.value) != nil { return true }
        return false
      }
  }

  /// The first state dict found breadth-first from the root.
  func stateDict() throws -> [(String, HostArray)] {
    var queue: [PickleValue] = [root]
    var visited = Set<ContainerID>()
    var next = 0
    while next < queue.count {
      let value = queue[next]
      next += 1
      guard let id = ContainerID(value), visited.insert(id).inserted else { continue }
      switch value {
      case .dict(let d):
        let dict = heap.dicts[d]
        if isStateDict(dict) {
          return try dict.entries.map { entry in
            guard case .string(let key) = entry.key, let result = tensor(entry.value) else {
              throw WeightIOError(file: source, "internal: state dict entry changed")
            }
            return (key, try unwrap(result, key: key))
          }
        }
        queue.append(contentsOf: dict.entries.map(\.value))
      case .list(let l): queue.append(contentsOf: heap.lists[l])
      case .tuple(let t): queue.append(contentsOf: heap.tuples[t])
      default: break
      }
    }
    throw WeightIOError(
      file: source, "no state dict (a dict of string keys to tensors) found; the checkpoint holds \(summary())")
  }

  /// Every tensor, depth-first in order, under dotted paths.
  func flattened() throws -> [(String, HostArray)] {
    var out: [(String, HostArray)] = []
    var visited = Set<ContainerID>()
    // Explicit stack of (path, value), pushed in reverse so items come out in order.
    var stack: [(path: [String], value: PickleValue)] = [([], root)]
    while let (path, value) = stack.popLast() {
      if let result = tensor(value) {
        let key = path.joined(separator: ".")
        out.append((key, try unwrap(result, key: key)))
        continue
      }
      guard let id = ContainerID(value), visited.insert(id).inserted else { continue }
      guard path.count < UnpickledCheckpoint.maximumDepth else {
        throw WeightIOError(
          file: source, key: path.joined(separator: "."),
          "containers nested deeper than \(UnpickledCheckpoint.maximumDepth)")
      }
      var children: [(String, PickleValue)] = []
      switch value {
      case .dict(let d):
        children = heap.dicts[d].entries.map { (keyText($0.key), $0.value) }
      case .list(let l): children = heap.lists[l].enumerated().map { (String($0.offset), $0.element) }
      case .tuple(let t): children = heap.tuples[t].enumerated().map { (String($0.offset), $0.element) }
      default: break
      }
      for (name, child) in children.reversed() { stack.append((path + [name], child)) }
    }
    return out
  }

  private func keyText(_ key: PickleValue) -> String {
    switch key {
    case .string(let s): return s
    case .int(let i): return String(i)
    case .bool(let b): return b ? "True" : "False"
    case .float(let f): return String(f)
    default: return key.kind
    }
  }

  /// What the top level looks like, for the "no state dict" error.
  private func summary() -> String {
    switch root {
    case .dict(let d):
      let entries = heap.dicts[d].entries.prefix(8).map { "\(keyText($0.key)): \($0.value.kind)" }
      let more = heap.dicts[d].entries.count > 8 ? ", ..." : ""
      return "a dict {\(entries.joined(separator: ", "))\(more)}"
    case .object(let type) where type.hasPrefix("torch.nn"):
      return "a pickled \(type) (torch.save(model)); save model.state_dict() instead"
    default:
      return "a \(root.kind)"
    }
  }
}

/// Identity of a heap container, for visited sets.
private enum ContainerID: Hashable {
  case tuple(Int)
  case list(Int)
  case dict(Int)

  init?(_ value: PickleValue) {
    switch value {
    case .tuple(let i): self = .tuple(i)
    case .list(let i): self = .list(i)
    case .dict(let i): self = .dict(i)
    default: return nil
    }
  }
}
