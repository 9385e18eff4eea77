import Foundation
import XCTest

@testable import SegData

/// Inputs `tools/fuzz.py` found mishandled, reduced to the smallest case that shows each.
final class FuzzFoundTests: XCTestCase {
  /// A JPEG whose frame header was enlarged (24x20 → 11521x4000) but whose scan still ends in
  /// EOI: libjpeg warns "Corrupt JPEG data: premature end of data segment" and fills the rest
  /// with gray. That lower-case warning was accepted as benign, and `fcn predict` then ran the
  /// model on 46 million gray pixels for minutes. It is an incomplete image: refused.
  func testJPEGFrameLargerThanItsScanIsRefused() throws {
    var jpeg = try encodeJPEG(gradientImage(width: 16, height: 16))
    let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    jpeg[sof + 5] = 0
    jpeg[sof + 6] = 64  // height 64
    jpeg[sof + 7] = 0
    jpeg[sof + 8] = 64  // width 64
    XCTAssertThrowsDataError(
      try decodeJPEG(jpeg, name: "grown.jpg"), fileContains: "grown.jpg", problemContains: "premature end")
  }
}
