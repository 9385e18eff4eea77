import Foundation
import XCTest

@testable import SegData

final class CocoTests: XCTestCase {
  let annPath = fixturesDir.appendingPathComponent("coco/annotations.json").path

  func expected(_ name: String) throws -> LabelMap {
    try readLabelMap(fixturesDir.appendingPathComponent("coco/expected/\(name).png").path)
  }

  func testEveryAnnotationRasterizesLikePycocotoolsAnnToMask() throws {
    let ds = try CocoDataset(annotationFile: annPath)
    var compared = 0
    for (index, info) in ds.images.enumerated() {
      let anns = ds.annotationsByImage[info.id] ?? []
      if anns.isEmpty { continue }
      let stack = try expected("anns_" + ds.sampleID(at: index).replacingOccurrences(of: "/", with: "_"))
      XCTAssertEqual(stack.height, info.height * anns.count)
      for (k, ann) in anns.enumerated() {
        let colMajor = try CocoDataset.rasterize(ann.segmentation, height: info.height, width: info.width)
        var mismatches = 0
        for y in 0..<info.height {
          for x in 0..<info.width where colMajor[x * info.height + y] != stack[x, k * info.height + y] {
            mismatches += 1
          }
        }
        XCTAssertEqual(mismatches, 0, "annotation \(ann.id) differs from pycocotools in \(mismatches) pixels")
        compared += 1
      }
    }
    XCTAssertEqual(compared, 62)
  }

  func testLabelMapsMatchPycocotoolsPaintedByDescendingArea() throws {
    let ds = try CocoDataset(annotationFile: annPath)
    XCTAssertEqual(ds.classNames, ["background", "paper", "can", "bottle"])  // ids 2, 5, 9
    XCTAssertEqual(ds.count, 4)
    for i in 0..<ds.count {
      let s = try ds.sample(at: i)
      XCTAssertEqual(s.mask, try expected("label_" + s.id.replacingOccurrences(of: "/", with: "_")), "image \(s.id)")
      XCTAssertEqual(s.image.width, s.mask.width)
    }
    XCTAssertEqual(ds.sampleID(at: 1), "sub/b")
  }

  func testHandComputedPolygon() {
    // Square from (0,0) to (2,2): exactly the pixels whose centres (0.5 or 1.5) lie inside,
    // i.e. the top-left 2×2 of a 4×4 image (pycocotools gives the same).
    let m = try? CocoRLE.fromPolygon([0, 0, 2, 0, 2, 2, 0, 2], height: 4, width: 4).decode()
    // Column-major 4×4: columns 0 and 1 have rows 0 and 1 set.
    XCTAssertEqual(m, [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  }

  func testCompressedStringDecoding() throws {
    // Decoded by hand (and pycocotools encodes counts [5, 2] as "52"): '5' = 53-48 = 5 → counts [5]; "52" → [5, 2]; '0' is 0.
    XCTAssertEqual(try CocoRLE.fromCompressed("52", height: 7, width: 1).counts, [5, 2])
    XCTAssertEqual(try CocoRLE.fromCompressed("52", height: 7, width: 1).decode(), [0, 0, 0, 0, 0, 1, 1])
    // 'Q' = 81-48 = 33 = 0b100001: continuation bit + 1, then '0' → 1 + (0 << 5) = 1.
    XCTAssertEqual(try CocoRLE.fromCompressed("Q0", height: 1, width: 1).counts, [1])
    XCTAssertThrowsError(try CocoRLE.fromCompressed("Q", height: 1, width: 1))
    XCTAssertThrowsError(try CocoRLE(height: 2, width: 2, counts: [1, 9]).decode())
  }
}
