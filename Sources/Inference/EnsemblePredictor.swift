import FCN
import Foundation
import NN
import SegData
import Tensor

/// One model of an ensemble, with the normalisation it was trained with and a name for messages.
/// `model` describes the net (classes, memory); `logits` runs it, by default the model itself,
/// or e.g. the same net compiled for inference (BatchNorm folded, int8).
public struct EnsembleMember {
  public var model: FCNModel
  public var normalization: Normalization
  public var name: String
  public var logits: (Variable) throws -> Variable

  public init(
    model: FCNModel, normalization: Normalization, name: String, logits: ((Variable) throws -> Variable)? = nil
  ) {
    self.model = model
    self.normalization = normalization
    self.name = name
    self.logits = logits ?? { try model($0) }
  }
}

/// What one image's prediction gives.
public struct Prediction {
  /// Softmax probabilities averaged over models and transforms, at the image's size.
  public var probabilities: ProbabilityMap
  /// The raw logits (C, H, W) when there was exactly one whole-image pass of one model (so
  /// `--save-logits` keeps meaning what it meant); nil otherwise.
  public var logits: [Float]?
  /// Per-pixel class: the argmax of the logits when there are any (as evaluation always did),
  /// else of the averaged probabilities.
  public var labels: [Int32]
}

/// Predicts class probabilities for whole images: every model of the ensemble, every
/// test-time transform, whole-image or in sliding windows, averaged with equal weight. Each
/// (model, transform) pass is undone before averaging: mirrored back, and resized bilinearly
/// (align_corners=False) back to the image's size.
public final class EnsemblePredictor {
  public let members: [EnsembleMember]
  public let augmentation: TestTimeAugmentation
  public let classes: Int
  /// The input shape of the last forward pass: when it changes, the buffer pool is trimmed so
  /// that many image sizes do not each leave their buffers behind.
  private var lastShape: [Int]?

  /// Refuses an empty ensemble and models whose class counts differ (naming both).
  public init(members: [EnsembleMember], augmentation: TestTimeAugmentation = .none) throws {
    guard let first = members.first else { throw InferenceError.option("--weights", "no model to predict with") }
    for m in members.dropFirst() where m.model.classes != first.model.classes {
      throw InferenceError.option(
        "--weights",
        "ensemble models must predict the same classes: \(first.name) has \(first.model.classes), \(m.name) has \(m.model.classes)"
      )
    }
    self.members = members
    self.augmentation = augmentation
    self.classes = first.model.classes
  }

  /// Passes per image: models × transforms.
  public var passCount: Int { members.count * augmentation.transforms.count }

  /// Runs `body` with the blocked weight copies kept between passes (see keepingInferenceCopies).
  public func running<T>(_ body: () throws -> T) throws -> T {
    try keepingInferenceCopies(of: members.flatMap(\.model.parameters), body)
  }

  /// The prediction for `image`, whole or in `tiling`'s windows (nil: whole image).
  public func predict(_ image: RGBImage, tiling: Tiling? = nil) throws -> Prediction {
    let (h, w) = (image.height, image.width)
    var normalized: [Normalization: [Float]] = [:]
    var sum: ProbabilityMap?
    let transforms = augmentation.transforms
    for member in members {
      if normalized[member.normalization] == nil {
        var planes = [Float](repeating: 0, count: 3 * h * w)
        member.normalization.write(image, into: &planes, offset: 0)
        normalized[member.normalization] = planes
      }
      let input = normalized[member.normalization]!
      for transform in transforms {
        let size = transform.size(height: h, width: w)
        if passCount == 1 && transform.isIdentity && tiling == nil {
          // One whole-image pass of one model: keep its logits.
          var logits = try forward(member, input: input, height: h, width: w)
          let labels = argmaxPlanes(logits, classes: classes, pixels: h * w)
          let raw = logits
          softmaxPlanes(&logits, classes: classes, pixels: h * w)
          return Prediction(
            probabilities: ProbabilityMap(classes: classes, height: h, width: w, values: logits), logits: raw,
            labels: labels)
        }
        let pass = try probabilities(
          member: member, normalized: input, imageHeight: h, imageWidth: w, transform: transform,
          size: size, tiling: tiling)
        if passCount == 1 && transform.isIdentity {
          // One pass in the image's own frame: it is the answer (no copy of a large map).
          return Prediction(probabilities: pass, logits: nil, labels: pass.argmax())
        }
        if sum == nil { sum = .zeros(classes: classes, height: h, width: w) }
        accumulateUndone(pass, transform: transform, into: &sum!)
      }
    }
    // Scaled in place: a copy of a 4000×3000 map of 11 classes would be another 500 MiB.
    let scale = 1 / Float(passCount)
    sum!.values.withUnsafeMutableBufferPointer { v in for i in v.indices { v[i] *= scale } }
    return Prediction(probabilities: sum!, logits: nil, labels: sum!.argmax())
  }

  /// One model's probabilities for the transformed image (size `size`), whole or tiled, in the
  /// transformed frame (not yet undone).
  func probabilities(
    member: EnsembleMember, normalized: [Float], imageHeight h: Int, imageWidth w: Int, transform: TTATransform,
    size: (height: Int, width: Int), tiling: Tiling?
  ) throws -> ProbabilityMap {
    let (th, tw) = size
    func input(_ window: PixelWindow) -> [Float] {
      if transform.isIdentity && window == PixelWindow(y0: 0, x0: 0, height: h, width: w) { return normalized }
      var out = [Float](repeating: 0, count: 3 * window.height * window.width)
      let plane = window.height * window.width
      normalized.withUnsafeBufferPointer { src in
        resampleBilinear(
          src, channels: 3, srcHeight: h, srcWidth: w, dstHeight: th, dstWidth: tw, window: window,
          flipX: transform.flipX, flipY: transform.flipY
        ) { c, y, x, v in out[c * plane + y * window.width + x] = v }
      }
      return out
    }
    guard let tiling else {
      var z = try forward(
        member, input: input(PixelWindow(y0: 0, x0: 0, height: th, width: tw)), height: th, width: tw)
      softmaxPlanes(&z, classes: classes, pixels: th * tw)
      return ProbabilityMap(classes: classes, height: th, width: tw, values: z)
    }
    var blended = ProbabilityMap.zeros(classes: classes, height: th, width: tw)
    var weightSum = [Float](repeating: 0, count: th * tw)
    var weights: [Float] = []
    let plane = th * tw
    for window in tiling.windows(height: th, width: tw) {
      var z = try forward(member, input: input(window), height: window.height, width: window.width)
      let pixels = window.height * window.width
      softmaxPlanes(&z, classes: classes, pixels: pixels)
      if weights.count != pixels { weights = tiling.weights(height: window.height, width: window.width) }
      blended.values.withUnsafeMutableBufferPointer { out in
        for c in 0..<classes {
          for y in 0..<window.height {
            let o = c * plane + (window.y0 + y) * tw + window.x0
            let s = c * pixels + y * window.width
            for x in 0..<window.width { out[o + x] += z[s + x] * weights[y * window.width + x] }
          }
        }
      }
      for y in 0..<window.height {
        let o = (window.y0 + y) * tw + window.x0
        for x in 0..<window.width { weightSum[o + x] += weights[y * window.width + x] }
      }
    }
    blended.values.withUnsafeMutableBufferPointer { out in
      for c in 0..<classes {
        for i in 0..<plane { out[c * plane + i] /= weightSum[i] }
      }
    }
    return blended
  }

  /// Logits (C, height, width) of `member` for normalised input planes of that size.
  func forward(_ member: EnsembleMember, input: [Float], height: Int, width: Int) throws -> [Float] {
    let shape = [1, 3, height, width]
    if shape != lastShape {
      BufferPool.shared.trimForNewShapes()
      lastShape = shape
    }
    let x = try Tensor(shape: shape, values: input)
    return try member.logits(Variable(x)).value.toArray()
  }
}

/// Adds `pass` (probabilities in a transform's frame) to `sum` (the image's frame): mirrored
/// back and resized bilinearly to the image's size. At scale 1 the resize is an exact copy.
func accumulateUndone(_ pass: ProbabilityMap, transform: TTATransform, into sum: inout ProbabilityMap) {
  let (h, w) = (sum.height, sum.width)
  let plane = h * w
  pass.values.withUnsafeBufferPointer { src in
    sum.values.withUnsafeMutableBufferPointer { out in
      resampleBilinear(
        src, channels: pass.classes, srcHeight: pass.height, srcWidth: pass.width, dstHeight: h, dstWidth: w,
        window: PixelWindow(y0: 0, x0: 0, height: h, width: w), flipX: transform.flipX, flipY: transform.flipY
      ) { c, y, x, v in out[c * plane + y * w + x] += v }
    }
  }
}
