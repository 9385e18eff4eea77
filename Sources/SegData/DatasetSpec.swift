// `--data KIND:PATH` parsing and opening.

import SeededRandom

public enum DatasetSpec: Equatable, Sendable, CustomStringConvertible {
  case synthetic(count: Int)
  case folder(String)
  case voc(String)
  case coco(String)
  case cityscapes(String)

  public static let defaultSyntheticCount = 1000
  public static let maxSyntheticCount = 1 << 24

  /// Parses "synthetic", "synthetic:N", "folder:DIR", "voc:DIR", "coco:FILE.json", "cityscapes:DIR".
  public static func parse(_ spec: String) throws -> DatasetSpec {
    let kind: Substring
    let path: String
    if let colon = spec.firstIndex(of: ":") {
      kind = spec[..<colon]
      path = String(spec[spec.index(after: colon)...])
    } else {
      kind = Substring(spec)
      path = ""
    }
    func needPath() throws -> String {
      if path.isEmpty { throw DataError(file: spec, problem: "\(kind) needs a path: \(kind):PATH") }
      return path
    }
    switch kind.lowercased() {
    case "synthetic":
      if path.isEmpty { return .synthetic(count: defaultSyntheticCount) }
      // Loaders keep a permutation of all N indices: bounded, as 10^14 aborted allocating it.
      guard let n = Int(path), n > 0, n <= maxSyntheticCount else {
        throw DataError(file: spec, problem: "synthetic:N needs a positive sample count, at most \(maxSyntheticCount)")
      }
      return .synthetic(count: n)
    case "folder": return .folder(try needPath())
    case "voc": return .voc(try needPath())
    case "coco": return .coco(try needPath())
    case "cityscapes": return .cityscapes(try needPath())
    default:
      throw DataError(
        file: spec,
        problem:
          "unknown data set kind \"\(kind)\" (use synthetic[:N], folder:DIR, voc:DIR, coco:FILE.json, cityscapes:DIR)")
    }
  }

  public var description: String {
    switch self {
    case .synthetic(let n): return "synthetic:\(n)"
    case .folder(let p): return "folder:\(p)"
    case .voc(let p): return "voc:\(p)"
    case .coco(let p): return "coco:\(p)"
    case .cityscapes(let p): return "cityscapes:\(p)"
    }
  }

  /// Opens the data set. `split` nil means every sample (e.g. for exporting masks).
  /// For synthetic data, train has N samples and val N/5 (at least 1) from a separate stream.
  public func open(
    split: DataSplit?, seed: UInt64 = 0, imagesDirectory: String? = nil,
    syntheticSize: ImageSize = ImageSize(height: 64, width: 64)
  ) throws -> SegmentationDataset {
    switch self {
    case .synthetic(let n):
      let isVal = split == .val
      return SyntheticShapes(
        count: isVal ? max(1, n / 5) : n, width: syntheticSize.width, height: syntheticSize.height,
        seed: isVal ? SplitMix64.mix(seed, 0x7A1) : seed)
    case .folder(let p): return try FolderDataset(directory: p, split: split, seed: seed)
    case .voc(let p): return try VOCDataset(directory: p, split: split)
    case .coco(let p):
      return try CocoDataset(annotationFile: p, imagesDirectory: imagesDirectory, split: split, seed: seed)
    case .cityscapes(let p): return try CityscapesDataset(directory: p, split: split)
    }
  }
}

/// Parses and opens in one step: `try openDataset(spec: "coco:ann.json", split: .train)`.
public func openDataset(
  spec: String, split: DataSplit?, seed: UInt64 = 0, imagesDirectory: String? = nil,
  syntheticSize: ImageSize = ImageSize(height: 64, width: 64)
) throws -> SegmentationDataset {
  try DatasetSpec.parse(spec).open(
    split: split, seed: seed, imagesDirectory: imagesDirectory, syntheticSize: syntheticSize)
}
