// Turning u8 RGB into the network's float input (CHW planes).

/// The input normalisation `--normalize` chooses; config.json stores its raw value.
public enum Normalization: String, Codable, Sendable, CaseIterable {
  /// RGB / 255, then (x - mean) / std with torchvision's ImageNet statistics.
  case imagenet
  /// BGR in 0...255 minus the Caffe VGG means (the original FCN models).
  case caffe
  /// RGB / 255.
  case none

  static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
  static let imagenetStd: [Float] = [0.229, 0.224, 0.225]
  /// Caffe means in B, G, R order.
  static let caffeMeanBGR: [Float] = [104.00699, 116.66877, 122.67892]

  /// The data mean as an RGB colour: the right fill for crop padding (normalises to ≈ 0).
  public var meanColour: (UInt8, UInt8, UInt8) {
    switch self {
    case .imagenet: return (124, 116, 104)
    case .caffe: return (123, 117, 104)
    case .none: return (128, 128, 128)
    }
  }

  /// What `write` computes, in words and numbers (recorded in exported ONNX files, whose input
  /// must already be normalised).
  public var formula: String {
    switch self {
    case .imagenet:
      return "channels R,G,B: (value/255 - mean) / std, mean 0.485,0.456,0.406, std 0.229,0.224,0.225"
    case .caffe:
      return "channels B,G,R: value (0-255) - mean, mean 104.00699,116.66877,122.67892"
    case .none:
      return "channels R,G,B: value/255"
    }
  }

  /// Writes the image as 3 planes of height×width floats at `offset` in `out` (NCHW batch slot).
  /// For `caffe` the planes are B, G, R; otherwise R, G, B.
  public func write(_ img: RGBImage, into out: inout [Float], offset: Int) {
    let n = img.width * img.height
    var scale = [Float](repeating: 1, count: 3)
    var shift = [Float](repeating: 0, count: 3)
    var srcChannel = [0, 1, 2]
    switch self {
    case .imagenet:
      for c in 0..<3 {
        scale[c] = 1 / (255 * Self.imagenetStd[c])
        shift[c] = -Self.imagenetMean[c] / Self.imagenetStd[c]
      }
    case .caffe:
      srcChannel = [2, 1, 0]
      for c in 0..<3 { shift[c] = -Self.caffeMeanBGR[c] }
    case .none:
      for c in 0..<3 { scale[c] = 1 / 255 }
    }
    img.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<3 {
          let sc = srcChannel[c]
          let a = scale[c]
          let b = shift[c]
          let base = offset + c * n
          for i in 0..<n { dst[base + i] = Float(src[3 * i + sc]) * a + b }
        }
      }
    }
  }
}
