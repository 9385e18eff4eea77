import Foundation
import SegData
import XCTest

/// `fcn export-masks` on COCO files whose declared sizes are impossible.
final class ExportMasksBadInputTests: XCTestCase {
  /// The 200×240 image's entry says "height": 1e12: this used to abort (SIGABRT, "failed to
  /// allocate 240000000000032 bytes"); now it is exit status 1 naming the JSON and the image id.
  func testHugeDeclaredImageSizeIsAnErrorNotAnAbort() throws {
    let dir = try makeTempDir(self)
    try Data(try encodePNG(RGBImage(width: 200, height: 240))).write(to: dir.appendingPathComponent("x.png"))
    let json = dir.appendingPathComponent("x.json")
    try Data(
      """
      {"images": [{"id": 17, "file_name": "x.png", "width": 240, "height": 1e12}],
       "categories": [{"id": 1, "name": "thing"}],
       "annotations": [{"id": 1, "image_id": 17, "category_id": 1, "segmentation": [[1, 1, 50, 1, 50, 50]]}]}
      """.utf8
    ).write(to: json)
    let out = dir.appendingPathComponent("masks")
    let r = try FCNExecutable.run(["export-masks", "--data", "coco:\(json.path)", "--out", out.path], outputIn: dir, timeout: 60)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains(json.path), r.stderr)
    XCTAssertTrue(r.stderr.contains("image id 17"), r.stderr)
  }
}
