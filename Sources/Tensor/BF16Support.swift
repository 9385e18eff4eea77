import CDNNL

/// How this machine runs bf16 compute (`--precision bf16`), decided in one place.
///
/// - `native`: the CPU has bf16 arithmetic (AVX-512 BF16, AMX, AVX2-VNNI-2): the fast path.
/// - `emulated`: no bf16 arithmetic, but oneDNN builds bf16 convolutions from AVX-512 core
///   instructions (its `jit_bf16:avx512_core` kernels convert and compute in fp32). Correct,
///   and slower than fp32: users who ask for it get it, with a warning (like torch.autocast on a
///   CPU without bf16).
/// - `unavailable`: oneDNN has no bf16 convolution for this ISA (AVX2 only, or
///   ONEDNN_MAX_CPU_ISA below AVX-512): refused.
public enum BF16Support: String, Sendable, Equatable {
  case native, emulated, unavailable

  /// The classification for an ISA and whether oneDNN created a bf16 convolution there.
  public init(isa: CPUISA, oneDNNRunsBF16: Bool) {
    if isa.hasBF16 {
      self = .native
    } else if oneDNNRunsBF16 {
      self = .emulated
    } else {
      self = .unavailable
    }
  }

  /// This process: the effective ISA and a probe of oneDNN (a small bf16 convolution's forward
  /// and backward-weights primitive descriptors), made once.
  public static let current = BF16Support(isa: Engine.isa, oneDNNRunsBF16: probeOneDNN())

  /// Whether oneDNN creates the bf16 primitives training needs: a convolution forward with bf16
  /// source, weights and destination, and its backward-weights with fp32 weight gradients.
  static func probeOneDNN() -> Bool {
    func md(_ dims: [Int], _ t: DType) -> MemoryDesc? { try? MemoryDesc(dims, t, dnnl_format_tag_any) }
    guard let src = md([2, 16, 8, 8], .bf16), let wt = md([16, 16, 3, 3], .bf16), let dst = md([2, 16, 8, 8], .bf16),
      let dw = md([16, 16, 3, 3], .f32)
    else { return false }
    let one: [dnnl_dim_t] = [1, 1]
    let zero: [dnnl_dim_t] = [0, 0]
    var fwd: dnnl_primitive_desc_t?
    let e = Engine.shared.engine
    let status = withExtendedLifetime((src, wt, dst, dw)) {
      dnnl_convolution_forward_primitive_desc_create(
        &fwd, e, dnnl_forward_training, dnnl_convolution_direct, src.md, wt.md, nil, dst.md, one, zero, one, one, nil)
    }
    guard status == dnnl_success, let fwd else { return false }
    defer { dnnl_primitive_desc_destroy(fwd) }
    var bwd: dnnl_primitive_desc_t?
    let bwdStatus = withExtendedLifetime((src, dw, dst)) {
      dnnl_convolution_backward_weights_primitive_desc_create(
        &bwd, e, dnnl_convolution_direct, src.md, dw.md, nil, dst.md, one, zero, one, one, fwd, nil)
    }
    if let bwd { dnnl_primitive_desc_destroy(bwd) }
    return bwdStatus == dnnl_success
  }

  /// The one-line warning for emulated bf16 (nil otherwise).
  public func warning(isa: CPUISA = Engine.isa) -> String? {
    guard self == .emulated else { return nil }
    return
      "warning: --precision bf16: this CPU (oneDNN ISA \(isa)) has no bf16 arithmetic, so oneDNN emulates it with AVX-512: results are bf16's, but it runs slower than fp32"
  }

  /// Throws, naming `option` and the ISA, when bf16 cannot run here.
  public func check(option: String = "--precision bf16", isa: CPUISA = Engine.isa) throws {
    guard self == .unavailable else { return }
    throw TensorError.unsupported(
      "\(option): oneDNN has no bf16 kernels for this CPU (its ISA is \(isa)); bf16 needs AVX-512 (emulated, slower than fp32) or bf16 hardware (avx512_core_bf16, AMX, avx2_vnni_2). Use --precision fp32"
    )
  }

  private static var warned = false

  /// The check every `--precision bf16` entry point makes: refuses where bf16 cannot run,
  /// and on emulated bf16 writes the warning (once per process) through `warn`.
  public static func require(option: String = "--precision bf16", warn: (String) -> Void) throws {
    try current.check(option: option)
    if let w = current.warning(), !warned {
      warned = true
      warn(w)
    }
  }
}

extension CPUISA {
  /// An ISA value as oneDNN reports it (`dnnl_cpu_isa_t`'s raw bits): tests fake machines with it.
  public init(raw: UInt32) { self.init(dnnl_cpu_isa_t(rawValue: raw)) }

  /// oneDNN's ISA constants by name, for tests: "avx2", "avx512_core", "avx512_core_bf16", …
  public static func named(_ name: String) -> CPUISA? {
    let all: [String: dnnl_cpu_isa_t] = [
      "avx2": dnnl_cpu_isa_avx2, "avx2_vnni": dnnl_cpu_isa_avx2_vnni, "avx2_vnni_2": dnnl_cpu_isa_avx2_vnni_2,
      "avx512_core": dnnl_cpu_isa_avx512_core, "avx512_core_vnni": dnnl_cpu_isa_avx512_core_vnni,
      "avx512_core_bf16": dnnl_cpu_isa_avx512_core_bf16, "avx512_core_amx": dnnl_cpu_isa_avx512_core_amx,
    ]
    return all[name].map { CPUISA($0) }
  }
}
