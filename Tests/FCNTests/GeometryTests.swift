import FCN
import NN
import SeededRandom
import Tensor
import XCTest

/// Crop offsets computed from layer geometry, and output sizes for every input size.
final class GeometryTests: XCTestCase {
  /// Small and fast: geometry does not depend on channel counts.
  func small(_ name: String, classes: Int = 3, backbone: Backbone? = nil, head: Head? = nil) throws -> FCNModel {
    try makeModel(ModelConfig(model: name, classes: classes, backbone: backbone, head: head, width: 1.0 / 16, fc: 16))
  }

  func offsets(_ m: FCNModel) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: m.crops.map { ($0.node, $0.offset) })
  }

  func testPaperCropOffsetsForVGG16() throws {
    // Long et al.'s reference Caffe nets: 19 (32s); 5, 27 (16s); 5, 9, 31 (8s).
    XCTAssertEqual(offsets(try small("fcn32s")), ["score": 19])
    XCTAssertEqual(offsets(try small("fcn16s")), ["score_pool4c": 5, "score": 27])
    XCTAssertEqual(offsets(try small("fcn8s")), ["score_pool4c": 5, "score_pool3c": 9, "score": 31])
    XCTAssertEqual(offsets(try small("fcn8s-atonce")), ["score_pool4c": 5, "score_pool3c": 9, "score": 31])
  }

  func testCompactAndSeedHeadsAlignWithoutCropping() throws {
    for name in ["fcn32s", "fcn16s", "fcn8s"] {
      XCTAssertTrue(try small(name, head: .compact).crops.allSatisfy { $0.offset == 0 }, name)
    }
    for name in ["course-fcn32", "course-fcn16", "course-fcn8"] {
      XCTAssertTrue(try small(name).crops.allSatisfy { $0.offset == 0 }, name)
    }
  }

  func testCoordinateMapsByHand() {
    // conv1_1 k3 p100: centre of output cell 0 is input px 1 − 100 = −99.
    let c = CoordMap.identity.throughWindow(kernel: 3, stride: 1, padding: 100)
    XCTAssertEqual(c, CoordMap(stride: 1, offset: -99))
    // 2×2/2 pool: cell 0 covers px −99 and −98 → centre −98.5, stride 2.
    XCTAssertEqual(c.throughWindow(kernel: 2, stride: 2, padding: 0), CoordMap(stride: 2, offset: -98.5))
    // k4 s2 deconv of a stride-32 map at 12.5: 12.5 − 32 · 1.5 / 2 = −11.5, stride 16.
    XCTAssertEqual(
      CoordMap(stride: 32, offset: 12.5).throughTransposed(kernel: 4, stride: 2, padding: 0),
      CoordMap(stride: 16, offset: -11.5))
    XCTAssertEqual(CoordMap(stride: 16, offset: -91.5).cropOffset(toAlignWith: CoordMap(stride: 16, offset: -11.5)), 5)
    XCTAssertNil(CoordMap(stride: 16, offset: 0).cropOffset(toAlignWith: CoordMap(stride: 8, offset: 0)))
  }

  func testCropOffsetsOfOtherBackbones() throws {
    // Every VGG depth has the same five pools and 3×3/pad-1 convs after conv1_1, so the
    // offsets are the same; BatchNorm changes nothing geometric.
    for b in Backbone.allCases {
      XCTAssertEqual(
        offsets(try small("fcn8s", backbone: b)), ["score_pool4c": 5, "score_pool3c": 9, "score": 31], b.rawValue)
    }
  }

  func testLogitsHaveTheInputSizeForRandomSizes() throws {
    var rng = Xoshiro256(seed: 7)
    var sizes = [(1, 1), (1, 37), (31, 2), (32, 32), (33, 65)]
    for _ in 0..<4 { sizes.append((1 + Int(rng.next() % 90), 1 + Int(rng.next() % 90))) }
    for name in ModelName.allCases.map(\.rawValue) {
      let model = try small(name, classes: 3)
      model.setTraining(false)
      for (h, w) in sizes {
        let x = Variable(try Tensor(shape: [1, 3, h, w], values: (0..<(3 * h * w)).map { _ in rng.nextUnitFloat() }))
        let y = try model(x)
        XCTAssertEqual(y.shape, [1, 3, h, w], "\(name) at \(h)x\(w)")
      }
    }
    for head in [Head.compact] {
      let model = try small("fcn8s", head: head)
      for (h, w) in sizes {
        XCTAssertEqual(
          try model(Variable(Tensor.zeros(shape: [2, 3, h, w]))).shape, [2, 3, h, w], "compact fcn8s \(h)x\(w)")
      }
    }
  }

  func testUnknownModelNameListsTheValidOnes() {
    XCTAssertThrowsError(try ModelConfig(model: "fcn4s", classes: 2)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("fcn4s") && text.contains("fcn8s-atonce") && text.contains("course-fcn16"), text)
    }
    XCTAssertThrowsError(try Backbone.parse("resnet50")) { XCTAssertTrue("\($0)".contains("vgg19-bn")) }
    XCTAssertEqual(try Backbone.parse("vgg16_bn"), .vgg16bn)
    XCTAssertEqual(try Backbone.parse("VGG11BN"), .vgg11bn)
  }

  func testInputOfWrongShapeIsRefusedWithBothShapes() throws {
    let model = try small("fcn32s")
    XCTAssertThrowsError(try model(Variable(Tensor.zeros(shape: [1, 1, 8, 8])))) { error in
      XCTAssertTrue("\(error)".contains("[1, 1, 8, 8]") && "\(error)".contains("[N, 3, H, W]"), "\(error)")
    }
  }
}
