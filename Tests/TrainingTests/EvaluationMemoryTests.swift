import SegData
import Tensor
import Training
import XCTest

/// Full-image evaluation over images of many sizes must not keep every size's buffers.
final class EvaluationMemoryTests: XCTestCase {
  /// Images of `sides` (square, even so TinyNet's pool and 2× deconvolution round-trip).
  struct ManySizes: SegmentationDataset {
    let sides: [Int]
    var description: String { "many-sizes:\(sides.count)" }
    var count: Int { sides.count }
    var classNames: [String] { ["a", "b", "c"] }
    func sampleID(at index: Int) -> String { "s\(index)" }
    func sample(at index: Int) throws -> Sample {
      let s = sides[index]
      return Sample(
        image: RGBImage(width: s, height: s, pixels: (0..<(3 * s * s)).map { UInt8(truncatingIfNeeded: $0 * 7) }),
        mask: LabelMap(width: s, height: s, labels: (0..<(s * s)).map { UInt8($0 % 3) }), id: "s\(index)")
    }
  }

  func testEvaluationOverManySizesKeepsIdleBytesBounded() throws {
    let model = try TinyNet(classes: 3)
    let pool = BufferPool.shared
    let largest = 96
    // One pass at the largest size, from an empty pool: the bytes it makes the pool allocate
    // (its footprint: buffers of one class may be idle while another is taken), and the most
    // it holds at once beyond the weights.
    pool.trim()
    let before = pool.bytesAllocated
    _ = try evaluate(model, dataset: ManySizes(sides: [largest]), normalization: .imagenet)
    let footprint = pool.bytesAllocated - before
    let onePass = pool.recentPeakBytesInUse - pool.bytesInUse
    XCTAssertGreaterThan(onePass, 0)
    // 40 distinct sizes, largest last so the bound is not met by smaller passes alone.
    let sides = Array(stride(from: 18, to: largest, by: 2)) + [largest]
    XCTAssertGreaterThan(sides.count, 30)
    var mostIdle = 0
    _ = try evaluate(model, dataset: ManySizes(sides: sides), normalization: .imagenet) { _, _ in
      mostIdle = max(mostIdle, pool.bytesIdle)
    }
    // At most what the previous size held at once plus this size's footprint; without trimming
    // it would approach the sum over all sizes, about 15 footprints.
    XCTAssertLessThanOrEqual(
      mostIdle, onePass + footprint,
      "over \(sides.count) sizes the pool kept up to \(mostIdle) idle bytes; one pass holds \(onePass), allocates \(footprint)"
    )
  }
}
