import CDNNL
import NN
import SeededRandom
import Tensor
import TestSupport
import WeightIO
import XCTest

/// Dropout2d: whole channels, scaled survivors, the same mask in every layout.
final class DropoutTests: XCTestCase {
  func testDropout2dZeroesWholeChannelsAndScalesSurvivors() throws {
    var rng = TestRNG(10)
    let xs = [4, 16, 3, 3]
    let x = rng.array(xs.reduce(1, *)).map { $0 + 3 }  // never zero
    var gen = Xoshiro256(seed: 42)
    let xv = try variable(x, xs)
    let r = [Double](repeating: 1, count: x.count)
    let y = try runWithSeed(r) { try dropout2d(xv, p: 0.5, training: true, rng: &gen) }
    let yv = try doubles(y.value)
    let gx = try doubles(xv.grad)
    var dropped = 0
    for plane in 0..<64 {
      let range = plane * 9..<(plane + 1) * 9
      let zero = range.allSatisfy { yv[$0] == 0 }
      if zero {
        dropped += 1
      } else {
        for i in range { XCTAssertEqual(yv[i], 2 * Double(Float(x[i])), accuracy: 1e-5) }
      }
      for i in range { XCTAssertEqual(gx[i], zero ? 0 : 2) }
    }
    XCTAssertTrue((16...48).contains(dropped), "dropped \(dropped) of 64 planes at p = 0.5")
    var same = Xoshiro256(seed: 42)
    let again = try dropout2d(Variable(tensor(x, xs)), p: 0.5, training: true, rng: &same)
    XCTAssertEqual(try doubles(again.value), yv, "same seed, same mask")
    let eval = try dropout2d(xv, p: 0.5, training: false, rng: &gen)
    XCTAssertTrue(eval === xv)
  }

  /// The per-channel loop walks each layout by hand, so every layout must give the plain result
  /// (12 channels: the blocked layouts carry padding lanes that must stay zero).
  func testDropout2dGivesTheSameResultInEveryLayout() throws {
    var rng = TestRNG(12)
    let xs = [3, 12, 5, 4]
    let x = rng.array(xs.reduce(1, *))
    let r = rng.array(x.count)
    func run(_ tag: dnnl_format_tag_t) throws -> (y: [Double], dx: [Double], padding: Bool) {
      var gen = Xoshiro256(seed: 9)
      let input = Variable(try tensor(x, xs).reordered(to: MemoryDesc(xs, .f32, tag)), requiresGrad: true)
      let y = try runWithSeed(r) { try dropout2d(input, p: 0.3, training: true, rng: &gen) }
      XCTAssertTrue(y.value.desc.isEqual(input.value.desc), "output keeps the input's layout")
      // Bytes beyond the logical elements (padding lanes) must be zero.
      let all = UnsafeBufferPointer(start: y.value.floats, count: y.value.desc.byteSize / 4)
      let padded = all.filter { $0 != 0 }.count <= x.count
      return (try doubles(y.value), try doubles(input.grad), padded)
    }
    let plain = try run(dnnl_nchw)
    XCTAssertTrue(plain.y.contains(0) && plain.y.contains { $0 != 0 }, "some channels dropped, some kept")
    for tag in [dnnl_nhwc, dnnl_nChw8c, dnnl_nChw16c] {
      let other = try run(tag)
      XCTAssertEqual(other.y, plain.y, "forward in \(tag)")
      XCTAssertEqual(other.dx, plain.dx, "backward in \(tag)")
      XCTAssertTrue(other.padding, "padding lanes stay zero in \(tag)")
    }
  }
}
