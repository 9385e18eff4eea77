import CDNNL
import XCTest

@testable import Tensor

/// The bf16 policy (`BF16Support`): native where the CPU has bf16, emulated (with a warning)
/// where oneDNN builds bf16 kernels from AVX-512, refused (naming the option and the ISA) where
/// it has none, e.g. an AVX2-only CPU or ONEDNN_MAX_CPU_ISA=AVX2.
final class BF16SupportTests: XCTestCase {
  func testClassificationOfFakedMachines() throws {
    let avx2 = try XCTUnwrap(CPUISA.named("avx2"))
    let vnni = try XCTUnwrap(CPUISA.named("avx512_core_vnni"))
    let bf16 = try XCTUnwrap(CPUISA.named("avx512_core_bf16"))
    let amx = try XCTUnwrap(CPUISA.named("avx512_core_amx"))
    XCTAssertEqual(BF16Support(isa: avx2, oneDNNRunsBF16: false), .unavailable)
    XCTAssertEqual(BF16Support(isa: vnni, oneDNNRunsBF16: true), .emulated)
    XCTAssertEqual(BF16Support(isa: vnni, oneDNNRunsBF16: false), .unavailable)
    XCTAssertEqual(BF16Support(isa: bf16, oneDNNRunsBF16: true), .native)
    XCTAssertEqual(BF16Support(isa: amx, oneDNNRunsBF16: true), .native)
    XCTAssertTrue(bf16.hasBF16)
    XCTAssertFalse(vnni.hasBF16)
    XCTAssertTrue(vnni.hasAVX512)
  }

  func testRefusalNamesTheOptionAndTheISA() throws {
    let avx2 = try XCTUnwrap(CPUISA.named("avx2"))
    let support = BF16Support(isa: avx2, oneDNNRunsBF16: false)
    XCTAssertNil(support.warning(isa: avx2))
    XCTAssertThrowsError(try support.check(option: "--precision bf16", isa: avx2)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("--precision bf16"), text)
      XCTAssertTrue(text.contains("its ISA is avx2"), text)
      XCTAssertTrue(text.contains("--precision fp32"), text)
    }
  }

  func testEmulatedRunsWithOneWarningLine() throws {
    let vnni = try XCTUnwrap(CPUISA.named("avx512_core_vnni"))
    let support = BF16Support(isa: vnni, oneDNNRunsBF16: true)
    XCTAssertNoThrow(try support.check(isa: vnni))
    let warning = try XCTUnwrap(support.warning(isa: vnni))
    XCTAssertFalse(warning.contains("\n"))
    XCTAssertTrue(warning.contains("no bf16 arithmetic"), warning)
    XCTAssertTrue(warning.contains("slower than fp32"), warning)
    XCTAssertNil(BF16Support.native.warning(isa: vnni))
  }

  /// This machine: the probe agrees with the ISA (AVX-512 core or more runs bf16 in oneDNN 3.2;
  /// AVX2 without bf16 hardware does not) and bf16 storage round-trips where it runs.
  func testThisMachine() throws {
    let isa = Engine.isa
    let support = BF16Support.current
    print("bf16 on this machine: \(support) (oneDNN ISA \(isa))")
    if isa.hasBF16 {
      XCTAssertEqual(support, .native)
    } else if isa.hasAVX512 {
      XCTAssertEqual(support, .emulated)
    } else {
      XCTAssertEqual(support, .unavailable)
      XCTAssertThrowsError(try BF16Support.require(warn: { _ in }))
    }
  }
}
