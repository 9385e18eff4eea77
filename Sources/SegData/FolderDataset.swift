// `folder:DIR` — DIR/images/*.{jpg,jpeg,png} with DIR/masks/<same stem>.png (class ids as
// palette indices or gray values, 255 = ignore); optional DIR/classes.txt; splits from
// DIR/{train,val}.txt (stems or file names) when present, else a seeded 90/10 split.

import Foundation

public struct FolderDataset: SegmentationDataset {
  public let directory: String
  public let classNames: [String]
  /// The mask holding the largest label, when the class count was inferred from the masks.
  public let largestLabel: LabelSource?
  /// Image file names (relative to images/) of this split, sorted.
  let imageFiles: [String]

  public var count: Int { imageFiles.count }
  public var description: String { "folder:\(directory)" }

  static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

  public init(directory: String, split: DataSplit? = nil, seed: UInt64 = 0) throws {
    self.directory = directory
    let imagesDir = join(directory, "images")
    let all = try listDirectory(imagesDir).filter {
      Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased())
    }
    if all.isEmpty { throw DataError(file: imagesDir, problem: "no .jpg/.jpeg/.png images") }
    var byStem = [String: String]()
    for f in all {
      if let other = byStem[stem(f)] {
        throw DataError(
          file: join(imagesDir, f),
          problem: "two images share the stem \"\(stem(f))\" (\(other) and \(f)); masks are matched by stem")
      }
      byStem[stem(f)] = f
    }

    var files = all
    if let split {
      let listPath = join(directory, "\(split.rawValue).txt")
      if fileExists(listPath) {
        files = try readLines(listPath).map { entry in
          guard let f = byStem[stem(entry)] else {
            throw DataError(file: listPath, problem: "lists \"\(entry)\" but images/ has no such image")
          }
          return f
        }
      } else {
        files = seededSplit(all, split: split, seed: seed)
      }
    }
    imageFiles = files

    let classesPath = join(directory, "classes.txt")
    if fileExists(classesPath) {
      let names = try readLines(classesPath)
      if names.isEmpty || names.count > 255 {
        throw DataError(file: classesPath, problem: "needs 1 to 255 class names, one a line (found \(names.count))")
      }
      classNames = names
      largestLabel = nil
    } else {
      // No names given: the number of classes is 1 + the largest id in any readable mask
      // (unreadable masks are reported when their sample is read). The mask it came from is
      // kept: a stray value (say 77 in a 3-class set) must be traceable to its file.
      var largest: LabelSource?
      for f in all {
        let maskPath = join(directory, "masks", stem(f) + ".png")
        guard let m = try? readLabelMap(maskPath) else { continue }
        for v in m.labels where v != LabelMap.ignore && Int(v) > (largest?.label ?? 0) {
          largest = LabelSource(file: maskPath, label: Int(v))
        }
      }
      largestLabel = largest
      classNames = (0...max(1, largest?.label ?? 0)).map { $0 == 0 ? "background" : "class_\($0)" }
    }
  }

  public func sampleID(at index: Int) -> String { stem(imageFiles[index]) }

  public func sample(at index: Int) throws -> Sample {
    let imagePath = join(directory, "images", imageFiles[index])
    let maskPath = join(directory, "masks", stem(imageFiles[index]) + ".png")
    guard fileExists(maskPath) else { throw DataError(file: maskPath, problem: "missing mask for image \(imagePath)") }
    let image = try readImage(imagePath)
    let mask = try readLabelMap(maskPath)
    try validate(image: image, mask: mask, classCount: classNames.count, maskPath: maskPath, imagePath: imagePath)
    return Sample(image: image, mask: mask, id: sampleID(at: index))
  }
}
