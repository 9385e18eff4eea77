import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// Max pooling, floor and ceil mode, against the reference and PyTorch.
final class PoolingTests: XCTestCase {
  func testMaxPoolFloorAndCeil() throws {
    var rng = TestRNG(8)
    for (xs, k, s, p, ceil) in [
      ([2, 3, 7, 9], 2, 2, 0, true), ([1, 2, 7, 9], 2, 2, 0, false), ([1, 2, 8, 7], 3, 2, 1, true),
      ([1, 1, 1, 1], 2, 2, 0, true),
    ] {
      let x = rng.array(xs.reduce(1, *))
      let (yRef, ys) = Ref.maxPool2d(x, xs, kernel: k, stride: s, pad: p, ceil: ceil)
      let r = rng.array(yRef.count)
      let xv = try variable(x, xs)
      let y = try runWithSeed(r) { try maxPool2d(xv, kernel: k, stride: s, padding: p, ceilMode: ceil) }
      XCTAssertEqual(y.shape, ys, "pool \(xs) k\(k) s\(s) ceil \(ceil)")
      assertClose(try doubles(y.value), yRef, tol: 1e-6, "pool forward")
      let g = Ref.numericGradient(x) { dot(Ref.maxPool2d($0, xs, kernel: k, stride: s, pad: p, ceil: ceil).0, r) }
      assertClose(try doubles(xv.grad), g, tol: 1e-4, "pool dx")
    }
  }

  func testMaxPooling() throws {
    for name in ["maxpool_ceil", "maxpool_floor", "maxpool_k3p1"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let y = try seeded("\(name).r") {
        try maxPool2d(x, kernel: c[0], stride: c[1], padding: c[2], ceilMode: c[3] == 1)
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
    }
  }
}
