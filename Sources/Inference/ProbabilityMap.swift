import Foundation

/// Per-pixel class probabilities of one image: `classes` planes of height × width floats,
/// row-major (C, H, W) — one item of what `--save-probs` writes.
public struct ProbabilityMap: Sendable {
  public var classes: Int
  public var height: Int
  public var width: Int
  public var values: [Float]

  public init(classes: Int, height: Int, width: Int, values: [Float]) {
    precondition(values.count == classes * height * width, "ProbabilityMap: value count does not match C×H×W")
    self.classes = classes
    self.height = height
    self.width = width
    self.values = values
  }

  public static func zeros(classes: Int, height: Int, width: Int) -> ProbabilityMap {
    ProbabilityMap(
      classes: classes, height: height, width: width,
      values: [Float](repeating: 0, count: classes * height * width))
  }

  /// Per-pixel class with the highest probability; the first maximum wins, as torch.argmax.
  public func argmax() -> [Int32] { argmaxPlanes(values, classes: classes, pixels: height * width) }
}

/// Per-pixel argmax of `classes` planes of `pixels` values each (logits or probabilities).
public func argmaxPlanes(_ planes: [Float], classes: Int, pixels: Int) -> [Int32] {
  var labels = [Int32](repeating: 0, count: pixels)
  guard classes > 1 else { return labels }
  planes.withUnsafeBufferPointer { z in
    var best = [Float](z[0..<pixels])
    for c in 1..<classes {
      let row = c * pixels
      for i in 0..<pixels where z[row + i] > best[i] {
        best[i] = z[row + i]
        labels[i] = Int32(c)
      }
    }
  }
  return labels
}

/// Softmax over the class axis of `classes` planes of `pixels` logits, in place; the maximum is
/// subtracted first so large logits cannot overflow exp.
public func softmaxPlanes(_ planes: inout [Float], classes: Int, pixels: Int) {
  planes.withUnsafeMutableBufferPointer { z in
    var peak = [Float](z[0..<pixels])
    for c in 1..<max(classes, 1) {
      let row = c * pixels
      for i in 0..<pixels where z[row + i] > peak[i] { peak[i] = z[row + i] }
    }
    var sum = [Float](repeating: 0, count: pixels)
    for c in 0..<classes {
      let row = c * pixels
      for i in 0..<pixels {
        let e = expf(z[row + i] - peak[i])
        z[row + i] = e
        sum[i] += e
      }
    }
    for i in 0..<pixels { sum[i] = 1 / sum[i] }
    for c in 0..<classes {
      let row = c * pixels
      for i in 0..<pixels { z[row + i] *= sum[i] }
    }
  }
}
