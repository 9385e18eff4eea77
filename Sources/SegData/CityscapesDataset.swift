// `cityscapes:DIR` — leftImg8bit/<split>/<city>/<name>_leftImg8bit.png with
// gtFine/<split>/<city>/<name>_gtFine_labelIds.png; the 34 label ids map to the 19 train ids
// of the benchmark (cityscapesScripts' labels.py), everything else to 255 (ignore).

public struct CityscapesDataset: SegmentationDataset {
  public static let classNames = [
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
  ]

  /// labelId → trainId (255 = ignore), from cityscapesScripts/helpers/labels.py.
  public static let trainIDOfLabelID: [UInt8] = {
    var t = [UInt8](repeating: 255, count: 256)
    let pairs: [(Int, UInt8)] = [
      (7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
      (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18),
    ]
    for (l, tr) in pairs { t[l] = tr }
    return t
  }()

  public let directory: String
  /// (image path, labelIds path) relative to directory.
  let items: [(image: String, label: String)]
  public var classNames: [String] { Self.classNames }
  public var count: Int { items.count }
  public var description: String { "cityscapes:\(directory)" }

  public init(directory: String, split: DataSplit? = nil) throws {
    self.directory = directory
    var items: [(String, String)] = []
    for s in split.map({ [$0] }) ?? DataSplit.allCases {
      let base = join(directory, "leftImg8bit", s.rawValue)
      if split == nil && !isDirectory(base) { continue }
      for city in try listDirectory(base) where isDirectory(join(base, city)) {
        for f in try listDirectory(join(base, city)) where f.hasSuffix("_leftImg8bit.png") {
          let name = String(f.dropLast("_leftImg8bit.png".count))
          items.append(
            (join("leftImg8bit", s.rawValue, city, f), join("gtFine", s.rawValue, city, name + "_gtFine_labelIds.png")))
        }
      }
    }
    if items.isEmpty { throw DataError(file: join(directory, "leftImg8bit"), problem: "no *_leftImg8bit.png images") }
    self.items = items
  }

  public func sampleID(at index: Int) -> String { String(stem(items[index].image).dropLast("_leftImg8bit".count)) }

  public func sample(at index: Int) throws -> Sample {
    let imagePath = join(directory, items[index].image)
    let maskPath = join(directory, items[index].label)
    guard fileExists(maskPath) else {
      throw DataError(file: maskPath, problem: "missing labelIds mask for image \(imagePath)")
    }
    let image = try readImage(imagePath)
    var mask = try readLabelMap(maskPath)
    for i in 0..<mask.labels.count { mask.labels[i] = Self.trainIDOfLabelID[Int(mask.labels[i])] }
    try validate(image: image, mask: mask, classCount: Self.classNames.count, maskPath: maskPath, imagePath: imagePath)
    return Sample(image: image, mask: mask, id: sampleID(at: index))
  }
}
