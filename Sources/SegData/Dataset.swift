// The one protocol every data set kind implements, and the checks shared by file-based kinds.

/// A segmentation data set: a fixed list of samples, each an RGB image with a label map.
/// Implementations are immutable value-like objects, safe to read from loader threads.
public protocol SegmentationDataset: Sendable {
  /// Human-readable description (the spec it came from), used in messages.
  var description: String { get }
  var count: Int { get }
  /// Class names, index = class id; background is class 0. Label 255 is "ignore".
  var classNames: [String] { get }
  /// The sample's stable name (file stem or image id) without reading it.
  func sampleID(at index: Int) -> String
  /// Reads, decodes and checks one sample. Throws DataError naming the file and the problem.
  func sample(at index: Int) throws -> Sample
  /// When the class count was inferred from the masks (no list of class names): the mask
  /// holding the largest label, so a label the model cannot predict can be traced to its file.
  var largestLabel: LabelSource? { get }
}

extension SegmentationDataset {
  public var classCount: Int { classNames.count }
  public var largestLabel: LabelSource? { nil }
}

/// A label value and the mask file it was read from.
public struct LabelSource: Sendable, Equatable {
  public var file: String
  public var label: Int

  public init(file: String, label: Int) {
    self.file = file
    self.label = label
  }
}

/// Which part of a data set to open.
public enum DataSplit: String, Codable, Sendable, CaseIterable {
  case train, val
}

/// Checks that the mask matches the image size and holds only class ids < classCount or 255.
func validate(image: RGBImage, mask: LabelMap, classCount: Int, maskPath: String, imagePath: String) throws {
  if mask.width != image.width || mask.height != image.height {
    throw DataError(
      file: maskPath,
      problem: "mask is \(mask.width)x\(mask.height) but its image \(imagePath) is \(image.width)x\(image.height)")
  }
  try validateLabels(mask, classCount: classCount, name: maskPath)
}

func validateLabels(_ mask: LabelMap, classCount: Int, name: String) throws {
  for (i, v) in mask.labels.enumerated() where Int(v) >= classCount && v != LabelMap.ignore {
    throw DataError(
      file: name,
      problem:
        "mask value \(v) at pixel (\(i % mask.width), \(i / mask.width)) is not a class id (there are \(classCount) classes, 0...\(classCount - 1); 255 = ignore)"
    )
  }
}
