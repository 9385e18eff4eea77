import WeightIO

/// The element type `--save-probs` writes.
public enum ProbabilityDType: String, CaseIterable, Sendable {
  case float16, float32

  var elementType: ElementType { self == .float16 ? .f16 : .f32 }
}

/// `--save-probs FILE.npy`: the averaged probabilities of every image as one (N, C, H, W) .npy
/// array, float16 or float32, streamed image by image into a temporary file whose header gets
/// the final N at the end (a skipped image is simply not there), then renamed over the target.
/// One array needs one size, so all images must share their height and width: the first image
/// fixes it (the caller also checks the files' headers before predicting anything).
public final class ProbabilityFileWriter {
  public let path: String
  public let dtype: ProbabilityDType
  public let classes: Int
  /// The option this file answers, for messages.
  public let option: String
  public private(set) var size: (height: Int, width: Int)?
  public private(set) var count = 0
  private let file: StreamingFile

  public init(path: String, dtype: ProbabilityDType, classes: Int, option: String = "--save-probs") throws {
    self.path = path
    self.dtype = dtype
    self.classes = classes
    self.option = option
    file = try StreamingFile(path: path)
  }

  /// numpy's header; its length depends on C, H and W but not on N (numpy's growth padding),
  /// so the one written first is overwritten in place with the final count.
  private func header(count: Int) throws -> [UInt8] {
    try NumPy.header(
      shape: [count, classes, size?.height ?? 0, size?.width ?? 0], dtype: dtype.elementType, source: path)
  }

  /// Appends one image's probabilities; `name` names the image if its size is wrong.
  public func append(_ p: ProbabilityMap, name: String) throws {
    if size == nil {
      size = (p.height, p.width)
      try file.append(header(count: 0))
    }
    guard p.classes == classes, p.height == size!.height, p.width == size!.width else {
      throw InferenceError.file(
        name,
        "\(option) writes one (N, C, H, W) array, so every image needs one size: this one is \(p.width)x\(p.height) (WxH) with \(p.classes) classes, the first was \(size!.width)x\(size!.height) with \(classes)"
      )
    }
    switch dtype {
    case .float32:
      try p.values.withUnsafeBytes { try file.append(contentsOf: $0) }
    case .float16:
      var bytes = [UInt8](repeating: 0, count: 2 * p.values.count)
      for (i, v) in p.values.enumerated() {
        let bits = HalfPrecision.f16Bits(from: v)
        bytes[2 * i] = UInt8(truncatingIfNeeded: bits)
        bytes[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
      }
      try file.append(bytes)
    }
    count += 1
  }

  /// Writes the final count into the header and renames the file over `path`.
  public func finish() throws {
    if size == nil {
      try file.append(header(count: 0))
    } else {
      try file.overwrite(header(count: count), at: 0)
    }
    try file.commit()
  }

  public func abandon() { file.abandon() }
}
