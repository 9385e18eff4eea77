import CDNNL

/// The one oneDNN CPU engine and stream of the process, created on first use.
///
/// oneDNN runs its primitives on its own OpenMP pool; we never add threads of our own around it.
public final class Engine {
  public static let shared = Engine()

  public let engine: dnnl_engine_t
  public let stream: dnnl_stream_t

  private init() {
    var e: dnnl_engine_t?
    precondition(dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success, "oneDNN: cannot create CPU engine")
    engine = e!
    var s: dnnl_stream_t?
    precondition(
      dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue) == dnnl_success,
      "oneDNN: cannot create stream")
    stream = s!
  }

  /// Waits for every primitive submitted to the stream.
  public func wait() {
    dnnl_stream_wait(stream)
  }

  /// The instruction set oneDNN actually dispatches to on this machine.
  public static var isa: CPUISA { CPUISA(dnnl_get_effective_cpu_isa()) }

  /// oneDNN's version, e.g. "3.2.0".
  public static var version: String {
    let v = dnnl_version()!.pointee
    return "\(v.major).\(v.minor).\(v.patch)"
  }
}

/// oneDNN's effective ISA, with the facts the engine needs from it.
public struct CPUISA: CustomStringConvertible, Sendable {
  public let raw: UInt32

  init(_ isa: dnnl_cpu_isa_t) { raw = isa.rawValue }

  private func has(_ isa: dnnl_cpu_isa_t) -> Bool { raw & isa.rawValue == isa.rawValue }

  /// bf16 arithmetic in hardware (AVX-512 BF16 or newer, or AVX2-VNNI-2 which has bf16 converts).
  public var hasBF16: Bool { has(dnnl_cpu_isa_avx512_core_bf16) || has(dnnl_cpu_isa_avx2_vnni_2) }
  public var hasAVX512: Bool { has(dnnl_cpu_isa_avx512_core) }

  public var description: String {
    let names: [(dnnl_cpu_isa_t, String)] = [
      (dnnl_cpu_isa_avx512_core_amx_fp16, "avx512_core_amx_fp16"),
      (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"),
      (dnnl_cpu_isa_avx512_core_fp16, "avx512_core_fp16"),
      (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"),
      (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"),
      (dnnl_cpu_isa_avx512_core, "avx512_core"),
      (dnnl_cpu_isa_avx2_vnni_2, "avx2_vnni_2"),
      (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"),
      (dnnl_cpu_isa_avx2, "avx2"),
      (dnnl_cpu_isa_avx, "avx"),
      (dnnl_cpu_isa_sse41, "sse41"),
    ]
    return names.first { has($0.0) }?.1 ?? "default"
  }
}
