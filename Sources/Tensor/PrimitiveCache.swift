import CDNNL
import Foundation

/// A created oneDNN primitive with the primitive descriptor it came from.
public final class Primitive {
  public let pd: dnnl_primitive_desc_t
  public let primitive: dnnl_primitive_t

  /// Takes ownership of `pd`.
  public init(pd: dnnl_primitive_desc_t, what: String) throws {
    self.pd = pd
    var p: dnnl_primitive_t?
    let status = dnnl_primitive_create(&p, pd)
    if status != dnnl_success {
      dnnl_primitive_desc_destroy(pd)
      throw TensorError.dnnl(what: "create primitive \(what)", status: Int(status.rawValue))
    }
    primitive = p!
  }

  deinit {
    dnnl_primitive_destroy(primitive)
    dnnl_primitive_desc_destroy(pd)
  }

  /// A memory descriptor the primitive chose (e.g. `dnnl_query_dst_md`), copied.
  public func desc(_ what: dnnl_query_t, _ index: Int32 = 0) throws -> MemoryDesc {
    guard let md = dnnl_primitive_desc_query_md(pd, what, index) else {
      throw TensorError.dnnl(what: "query memory descriptor", status: -1)
    }
    return try MemoryDesc(cloning: md)
  }

  /// The implementation oneDNN picked, e.g. "jit:avx2" (for benchmarks and verbose output).
  public var implementation: String {
    var s: UnsafePointer<CChar>?
    withUnsafeMutablePointer(to: &s) { _ = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0) }
    return s.map { String(cString: $0) } ?? "?"
  }

  /// Runs the primitive on the engine's stream with (DNNL_ARG_*, tensor) arguments.
  public func execute(_ args: [(Int32, Tensor)]) throws {
    var list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
    try check(
      dnnl_primitive_execute(primitive, Engine.shared.stream, Int32(list.count), &list),
      "execute \(implementation)")
    withExtendedLifetime(args) {}
  }
}

/// Primitives created once per (op, shapes, layouts, dtype, attributes) and reused: creating a
/// oneDNN primitive descriptor costs far more than running a small primitive. Bounded, least
/// recently used out first, because every input size brings its own primitives (and their
/// descriptors' memory): evaluation over images of many sizes must not keep them all forever.
public final class PrimitiveCache {
  public static let shared = PrimitiveCache()
  /// Each entry with the tick of its last use, for eviction.
  private var entries: [String: (primitive: Primitive, used: Int)] = [:]
  private var tick = 0
  private let lock = NSLock()
  /// Far more than one network's primitives at one input size (a course-fcn8 or fcn8s training
  /// step creates about 150), so a training loop never evicts what its next step needs.
  public let capacity: Int

  public private(set) var misses = 0
  public private(set) var evictions = 0

  public init(capacity: Int = 1024) {
    self.capacity = max(capacity, 1)
  }

  public func get(_ key: String, create: () throws -> Primitive) rethrows -> Primitive {
    lock.lock()
    tick += 1
    if let entry = entries[key] {
      entries[key] = (entry.primitive, tick)
      lock.unlock()
      return entry.primitive
    }
    lock.unlock()
    let p = try create()
    lock.lock()
    defer { lock.unlock() }
    tick += 1
    entries[key] = (p, tick)
    misses += 1
    if entries.count > capacity,
      let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key
    {
      // A linear scan, but only on a miss when full, next to the far costlier primitive creation.
      entries[oldest] = nil
      evictions += 1
    }
    return p
  }

  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return entries.count
  }

  /// Whether `key` is cached, without counting as a use.
  public func contains(_ key: String) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return entries[key] != nil
  }
}
