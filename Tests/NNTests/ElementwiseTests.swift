import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// ReLU, scale, add and crop: the ops that move or mask values.
final class ElementwiseTests: XCTestCase {
  func testReLUAndInPlaceReLU() throws {
    var rng = TestRNG(5)
    let xs = [2, 3, 4, 5]
    let x = rng.array(120)
    let r = rng.array(120)
    for inPlace in [false, true] {
      let xv = try variable(x, xs)
      let y = try runWithSeed(r) { try relu(xv, inPlace: inPlace) }
      XCTAssertEqual(try doubles(y.value), x.map { Double(Float(max(0, $0))) })
      XCTAssertEqual(try doubles(xv.grad), zip(x, r).map { $0 > 0 ? Double(Float($1)) : 0 })
    }
  }

  func testScaleAndAdd() throws {
    var rng = TestRNG(6)
    let xs = [1, 2, 3, 3]
    let a = rng.array(18)
    let b = rng.array(18)
    let r = rng.array(18)
    let av = try variable(a, xs)
    let bv = try variable(b, xs)
    let y = try runWithSeed(r) { try add(scale(av, by: 0.01), bv) }
    assertClose(try doubles(y.value), zip(a, b).map { 0.01 * $0 + $1 }, tol: 1e-6, "scale+add forward")
    assertClose(try doubles(av.grad), r.map { 0.01 * $0 }, tol: 1e-6, "scale grad")
    assertClose(try doubles(bv.grad), r, tol: 1e-6, "add grad")
  }

  func testAddRejectsMismatchedShapes() throws {
    let a = Variable(try Tensor.zeros(shape: [1, 21, 14, 14]))
    let b = Variable(try Tensor.zeros(shape: [1, 21, 15, 15]))
    XCTAssertThrowsError(try add(a, b, name: "fuse_pool4")) { error in
      XCTAssertTrue("\(error)".contains("fuse_pool4") && "\(error)".contains("[1, 21, 15, 15]"), "\(error)")
    }
  }

  func testCropInBlockedLayout() throws {
    // A conv output is in oneDNN's blocked layout; the crop must still pick the right pixels.
    var rng = TestRNG(7)
    let xs = [1, 3, 10, 9]
    let ws = [8, 3, 3, 3]
    let x = rng.array(270)
    let w = rng.array(216)
    let (c, cs) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 1)
    var expected = [Double]()
    for ch in 0..<8 { for i in 2..<7 { for j in 3..<7 { expected.append(c[(ch * cs[2] + i) * cs[3] + j]) } } }
    let r = rng.array(expected.count)
    let xv = try variable(x, xs)
    let wp = try parameter("w", w, ws)
    let y = try runWithSeed(r) {
      try crop(
        conv2d(xv, weight: wp, bias: nil, geometry: ConvGeometry(padding: 1)), top: 2, left: 3, height: 5, width: 4)
    }
    XCTAssertEqual(y.shape, [1, 8, 5, 4])
    assertClose(try doubles(y.value), expected, tol: 1e-5, "crop forward")
    let g = Ref.numericGradient(x) { x in
      let (c, cs) = Ref.conv2d(x, xs, w, ws, nil, stride: 1, pad: 1)
      var s = 0.0
      var k = 0
      for ch in 0..<8 {
        for i in 2..<7 {
          for j in 3..<7 {
            s += c[(ch * cs[2] + i) * cs[3] + j] * r[k]
            k += 1
          }
        }
      }
      return s
    }
    assertClose(try doubles(xv.grad), g, tol: 1e-4, "crop dx")
    XCTAssertThrowsError(try crop(xv, top: 8, left: 0, height: 5, width: 4))
  }

  func testReLUScaleAddCrop() throws {
    let x = try variable("relu.x")
    try expect(try seeded("relu.r") { try relu(x) }.value, "relu.y")
    try expect(x.grad, "relu.dx")

    let a = try variable("scale_add.a")
    let b = try variable("scale_add.b")
    try expect(try seeded("scale_add.r") { try add(scale(a, by: 0.01), b) }.value, "scale_add.y")
    try expect(a.grad, "scale_add.da")
    try expect(b.grad, "scale_add.db")

    let c = try ints("crop.config")
    let xc = try variable("crop.x")
    try expect(try seeded("crop.r") { try crop(xc, top: c[0], left: c[1], height: c[2], width: c[3]) }.value, "crop.y")
    try expect(xc.grad, "crop.dx")
  }
}
