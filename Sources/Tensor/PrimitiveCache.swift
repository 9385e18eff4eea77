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
/// oneDNN primitive descriptor costs far more than running a small primitive.
public final class PrimitiveCache {
  public static let shared = PrimitiveCache()
  private var entries: [String: Primitive] = [:]
  private let lock = NSLock()

  public private(set) var misses = 0

  public func get(_ key: String, create: () throws -> Primitive) rethrows -> Primitive {
    lock.lock()
    if let p = entries[key] {
      lock.unlock()
      return p
    }
    lock.unlock()
    let p = try create()
    lock.lock()
    entries[key] = p
    misses += 1
    lock.unlock()
    return p
  }

  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return entries.count
  }
}
