import FCN
import Foundation
import Inference
import NN
import SegData
import Tensor
import XCTest

/// EnsemblePredictor against references computed here, independently: the model run directly
/// and a softmax in doubles; windows cropped from the image and blended by hand; flips of the
/// image and of the output; a bilinear resize in doubles written for this test.
final class PredictorTests: XCTestCase {
  let size = (height: 37, width: 45)

  /// Softmax probabilities (C, H, W) of `model` for normalised planes, computed the plain way.
  func referenceProbabilities(_ model: FCNModel, planes: [Float], height: Int, width: Int) throws -> [Double] {
    let z = try model(Variable(Tensor(shape: [1, 3, height, width], values: planes))).value.toArray()
    let c = model.classes
    let n = height * width
    var p = [Double](repeating: 0, count: c * n)
    for i in 0..<n {
      let peak = (0..<c).map { Double(z[$0 * n + i]) }.max()!
      let sum = (0..<c).map { exp(Double(z[$0 * n + i]) - peak) }.reduce(0, +)
      for k in 0..<c { p[k * n + i] = exp(Double(z[k * n + i]) - peak) / sum }
    }
    return p
  }

  func planes(_ image: RGBImage, _ normalization: Normalization = .imagenet) -> [Float] {
    var out = [Float](repeating: 0, count: 3 * image.width * image.height)
    normalization.write(image, into: &out, offset: 0)
    return out
  }

  /// Bilinear, half-pixel centres, no antialiasing (PyTorch's align_corners=False), in doubles.
  func bilinear(_ src: [Double], channels: Int, _ sh: Int, _ sw: Int, _ dh: Int, _ dw: Int) -> [Double] {
    func tap(_ d: Int, _ s: Int, _ n: Int) -> (Int, Int, Double) {
      let p = max(0, (Double(d) + 0.5) * Double(s) / Double(n) - 0.5)
      let i = min(Int(p.rounded(.down)), s - 1)
      return (i, min(i + 1, s - 1), p - Double(i))
    }
    var out = [Double](repeating: 0, count: channels * dh * dw)
    for c in 0..<channels {
      for y in 0..<dh {
        let (y0, y1, fy) = tap(y, sh, dh)
        for x in 0..<dw {
          let (x0, x1, fx) = tap(x, sw, dw)
          let at = { (yy: Int, xx: Int) in src[c * sh * sw + yy * sw + xx] }
          out[c * dh * dw + y * dw + x] =
            (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))
        }
      }
    }
    return out
  }

  func flip(_ planes: [Double], channels: Int, _ h: Int, _ w: Int, x flipX: Bool, y flipY: Bool) -> [Double] {
    var out = planes
    for c in 0..<channels {
      for y in 0..<h {
        for x in 0..<w {
          out[c * h * w + y * w + x] = planes[c * h * w + (flipY ? h - 1 - y : y) * w + (flipX ? w - 1 - x : x)]
        }
      }
    }
    return out
  }

  /// One TTA pass the long way: normalise, resize (doubles), mirror, run, mirror back, resize back.
  func referencePass(_ model: FCNModel, _ image: RGBImage, _ t: TTATransform) throws -> [Double] {
    let (h, w) = (image.height, image.width)
    let (th, tw) = (max(1, Int(Double(h) * t.scale + 0.5)), max(1, Int(Double(w) * t.scale + 0.5)))
    let input = flip(
      bilinear(planes(image).map(Double.init), channels: 3, h, w, th, tw), channels: 3, th, tw, x: t.flipX,
      y: t.flipY)
    let p = try referenceProbabilities(model, planes: input.map(Float.init), height: th, width: tw)
    let c = model.classes
    return bilinear(flip(p, channels: c, th, tw, x: t.flipX, y: t.flipY), channels: c, th, tw, h, w)
  }

  func assertClose(
    _ got: [Float], _ want: [Double], _ tolerance: Double, _ what: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(got.count, want.count, what, file: file, line: line)
    let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? .infinity
    XCTAssertLessThan(worst, tolerance, "\(what): max difference \(worst)", file: file, line: line)
  }

  func testWholeImageIsTheModelsSoftmaxAndItsLogitsArgmax() throws {
    let model = try TinyModels.fcn8s()
    let image = TinyModels.image(width: size.width, height: size.height)
    let predictor = try EnsemblePredictor(members: [EnsembleMember(model: model, normalization: .imagenet, name: "a")])
    let got = try predictor.predict(image)
    let want = try referenceProbabilities(model, planes: planes(image), height: size.height, width: size.width)
    assertClose(got.probabilities.values, want, 1e-6, "whole-image probabilities")
    let logits = try XCTUnwrap(got.logits)
    XCTAssertEqual(got.labels, argmaxPlanes(logits, classes: 5, pixels: size.height * size.width))
    XCTAssertGreaterThanOrEqual(Set(got.labels).count, 3, "a prediction of one or two classes proves little")
  }

  func testOneWindowCoveringTheImageEqualsWholeImageInference() throws {
    let model = try TinyModels.fcn8s()
    let image = TinyModels.image(width: size.width, height: size.height)
    let predictor = try EnsemblePredictor(members: [EnsembleMember(model: model, normalization: .imagenet, name: "a")])
    let whole = try predictor.predict(image)
    for weighting in TileWeighting.allCases {
      for tile in [(37, 45), (64, 64)] {
        let tiled = try predictor.predict(
          image, tiling: Tiling(height: tile.0, width: tile.1, overlap: 0.5, weighting: weighting))
        assertClose(
          tiled.probabilities.values, whole.probabilities.values.map(Double.init), 1e-6,
          "\(weighting) \(tile) window")
        XCTAssertEqual(tiled.labels, whole.labels)
      }
    }
  }

  /// Several overlapping windows: each window predicted as an image of its own (cropped here),
  /// blended here with the weights written out in this test.
  func testOverlappingWindowsAreTheWeightedMeanOfEachWindowsPrediction() throws {
    let model = try TinyModels.fcn8s()
    let image = TinyModels.image(width: size.width, height: size.height)
    let predictor = try EnsemblePredictor(members: [EnsembleMember(model: model, normalization: .imagenet, name: "a")])
    let (h, w, c) = (size.height, size.width, 5)
    for weighting in TileWeighting.allCases {
      let tiling = try Tiling(height: 24, width: 32, overlap: 0.4, weighting: weighting)
      let windows = tiling.windows(height: h, width: w)
      XCTAssertGreaterThanOrEqual(windows.count, 4)
      var sum = [Double](repeating: 0, count: c * h * w)
      var weightSum = [Double](repeating: 0, count: h * w)
      for win in windows {
        var pixels: [UInt8] = []
        for y in win.y0..<(win.y0 + win.height) {
          let row = (y * w + win.x0) * 3
          pixels += image.pixels[row..<(row + 3 * win.width)]
        }
        let crop = RGBImage(width: win.width, height: win.height, pixels: pixels)
        let p = try referenceProbabilities(model, planes: planes(crop), height: win.height, width: win.width)
        for y in 0..<win.height {
          for x in 0..<win.width {
            var weight = 1.0
            if weighting == .gaussian {
              let (sy, sx) = (Double(win.height) / 8, Double(win.width) / 8)
              let (dy, dx) = (Double(y) - Double(win.height - 1) / 2, Double(x) - Double(win.width - 1) / 2)
              weight = exp(-dy * dy / (2 * sy * sy)) * exp(-dx * dx / (2 * sx * sx))
            }
            let at = (win.y0 + y) * w + win.x0 + x
            weightSum[at] += weight
            for k in 0..<c { sum[k * h * w + at] += weight * p[k * win.height * win.width + y * win.width + x] }
          }
        }
      }
      let want = sum.enumerated().map { $0.element / weightSum[$0.offset % (h * w)] }
      let got = try predictor.predict(image, tiling: tiling)
      assertClose(got.probabilities.values, want, 1e-5, "\(weighting) blending")
      XCTAssertNil(got.logits)
    }
  }

  func testFlipAndScaleTTAIsTheMeanOfEachPassUndone() throws {
    let model = try TinyModels.fcn8s()
    let image = TinyModels.image(width: size.width, height: size.height)
    let member = EnsembleMember(model: model, normalization: .imagenet, name: "a")
    for spec in ["scales=1.5", "hflip,vflip", "hflip,scales=0.75,1.25"] {
      let tta = try TestTimeAugmentation(parsing: spec)
      let got = try EnsemblePredictor(members: [member], augmentation: tta).predict(image)
      var want = [Double](repeating: 0, count: 5 * size.height * size.width)
      for t in tta.transforms {
        for (i, v) in try referencePass(model, image, t).enumerated() { want[i] += v / Double(tta.transforms.count) }
      }
      assertClose(got.probabilities.values, want, 1e-5, "--tta \(spec)")
      XCTAssertEqual(got.labels, got.probabilities.argmax())
    }
  }

  func testEnsembleAveragesModelsWithTheirOwnNormalisation() throws {
    let a = try TinyModels.fcn8s(seed: 1)
    let b = try TinyModels.fcn8s(seed: 2)
    let image = TinyModels.image(width: size.width, height: size.height)
    let predictor = try EnsemblePredictor(members: [
      EnsembleMember(model: a, normalization: .imagenet, name: "a"),
      EnsembleMember(model: b, normalization: .caffe, name: "b"),
    ])
    let pa = try referenceProbabilities(a, planes: planes(image, .imagenet), height: size.height, width: size.width)
    let pb = try referenceProbabilities(b, planes: planes(image, .caffe), height: size.height, width: size.width)
    assertClose(try predictor.predict(image).probabilities.values, zip(pa, pb).map { ($0 + $1) / 2 }, 1e-6, "mean")
  }

  func testEnsembleOfDifferentClassCountsIsRefusedNamingBoth() throws {
    let a = try TinyModels.fcn8s(classes: 5)
    let b = try TinyModels.fcn8s(classes: 11)
    XCTAssertThrowsError(
      try EnsemblePredictor(members: [
        EnsembleMember(model: a, normalization: .imagenet, name: "first.safetensors"),
        EnsembleMember(model: b, normalization: .imagenet, name: "second.pth"),
      ])
    ) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("first.safetensors") && text.contains("second.pth"), text)
      XCTAssertTrue(text.contains("5") && text.contains("11"), text)
    }
  }

  /// The planner tiles automatically in the largest window that fits, refuses with advice when
  /// told not to tile, and its whole-image estimate grows with the image.
  func testPlannerTilesWhenTheWholeImageDoesNotFit() throws {
    let predictor = try EnsemblePredictor(members: [
      EnsembleMember(model: try TinyModels.fcn8s(), normalization: .imagenet, name: "a")
    ])
    let probe = InferenceMemoryPlanner(predictor: predictor, availableBytes: .max, availableSource: "test")
    let (h, w) = (1500, 2000)
    let whole = try probe.estimate(height: h, width: w, tiling: nil)
    let t512 = try probe.estimate(height: h, width: w, tiling: Tiling(height: 512, width: 512))
    let t768 = try probe.estimate(height: h, width: w, tiling: Tiling(height: 768, width: 768))
    XCTAssertLessThan(t512, t768)
    XCTAssertLessThan(t768, whole)
    XCTAssertLessThan(
      try probe.estimate(height: 300, width: 400, tiling: nil), whole, "a smaller image needs less")

    let planner = InferenceMemoryPlanner(
      predictor: predictor, availableBytes: Int64(t512 + (t768 - t512) / 2), availableSource: "test limit")
    let decision = try planner.decide(height: h, width: w, tiling: nil, automaticTiling: true, file: "big.jpg")
    XCTAssertEqual(decision.tiling?.height, 512, "768 does not fit, 512 does")
    XCTAssertEqual(decision.estimatedBytes, t512)
    XCTAssertTrue(decision.note?.contains("big.jpg") ?? false)
    XCTAssertThrowsError(try planner.decide(height: h, width: w, tiling: nil, automaticTiling: false, file: "big.jpg"))
    {
      let text = "\($0)"
      XCTAssertTrue(text.contains("big.jpg") && text.contains("--no-tile") && text.contains("--tile 512x512"), text)
    }
    // A small image still goes whole, with no note.
    let small = try planner.decide(height: 40, width: 50, tiling: nil, automaticTiling: true, file: "small.png")
    XCTAssertNil(small.tiling)
    XCTAssertNil(small.note)
  }
  /// However much memory there is, a pass with an activation over 2 GiB is not run whole
  /// (oneDNN 3.2's kernels crash there): it is tiled, or refused under --no-tile.
  func testPlannerTilesPassesWithActivationsOverTwoGiB() throws {
    let predictor = try EnsemblePredictor(members: [
      EnsembleMember(model: try TinyModels.fcn8s(), normalization: .imagenet, name: "a")
    ])
    let planner = InferenceMemoryPlanner(predictor: predictor, availableBytes: .max, availableSource: "test")
    // 1/16 width: conv1 has 4 channels, 16 in the blocked layout: 64 bytes a pixel.
    let (h, w) = (6000, 6000)
    XCTAssertGreaterThan(try planner.largestActivation(height: h, width: w, tiling: nil), Int(Int32.max))
    let decision = try planner.decide(height: h, width: w, tiling: nil, automaticTiling: true, file: "huge.png")
    XCTAssertEqual(decision.tiling?.height, 1024)
    XCTAssertTrue(decision.note?.contains("oneDNN") ?? false, decision.note ?? "no note")
    XCTAssertThrowsError(try planner.decide(height: h, width: w, tiling: nil, automaticTiling: false, file: "huge.png"))
    {
      XCTAssertTrue("\($0)".contains("huge.png") && "\($0)".contains("--tile 1024x1024"), "\($0)")
    }
    XCTAssertNil(
      try planner.decide(height: 600, width: 600, tiling: nil, automaticTiling: false, file: "ok.png").tiling)
  }
}
