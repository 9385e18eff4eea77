// `voc:DIR` — the VOCdevkit layout: JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette
// PNGs whose indices are class ids, 255 on object borders = ignore) and
// ImageSets/Segmentation/{train,val}.txt. DIR may be VOC2012 itself or a folder above it.

public struct VOCDataset: SegmentationDataset {
  public static let classNames = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
  ]

  public let root: String
  let ids: [String]
  public var classNames: [String] { Self.classNames }
  public var count: Int { ids.count }
  public var description: String { "voc:\(root)" }

  public init(directory: String, split: DataSplit? = nil) throws {
    let candidates = [directory, join(directory, "VOC2012"), join(directory, "VOCdevkit", "VOC2012")]
    guard let root = candidates.first(where: { isDirectory(join($0, "SegmentationClass")) }) else {
      throw DataError(
        file: directory, problem: "not a VOC folder: no SegmentationClass/ here, in VOC2012/ or VOCdevkit/VOC2012/")
    }
    self.root = root
    let sets = join(root, "ImageSets", "Segmentation")
    if let split {
      ids = try readLines(join(sets, "\(split.rawValue).txt"))
    } else {
      var seen = Set<String>()
      var all: [String] = []
      for s in DataSplit.allCases where fileExists(join(sets, "\(s.rawValue).txt")) {
        for id in try readLines(join(sets, "\(s.rawValue).txt")) where seen.insert(id).inserted { all.append(id) }
      }
      if all.isEmpty { throw DataError(file: sets, problem: "no train.txt or val.txt") }
      ids = all
    }
  }

  public func sampleID(at index: Int) -> String { ids[index] }

  public func sample(at index: Int) throws -> Sample {
    let id = ids[index]
    let imagePath = join(root, "JPEGImages", id + ".jpg")
    let maskPath = join(root, "SegmentationClass", id + ".png")
    guard fileExists(maskPath) else { throw DataError(file: maskPath, problem: "missing mask for image \(imagePath)") }
    let image = try readImage(imagePath)
    let mask = try readLabelMap(maskPath)
    try validate(image: image, mask: mask, classCount: Self.classNames.count, maskPath: maskPath, imagePath: imagePath)
    return Sample(image: image, mask: mask, id: id)
  }
}
