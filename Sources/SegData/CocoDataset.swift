// `coco:ANNOTATIONS.json` — COCO instance annotations turned into semantic label maps, the way
// people do it with pycocotools: mask = annToMask(ann), painted with 1 + the category's
// position among categories sorted by id, larger areas first so smaller objects stay on top.

import Foundation
import SeededRandom

public struct CocoDataset: SegmentationDataset {
  struct Image: Sendable {
    var id: Int
    var fileName: String
    var width: Int
    var height: Int
  }

  enum Segmentation: Sendable {
    case polygons([[Double]])
    case uncompressed(counts: [UInt32], height: Int, width: Int)
    case compressed(String, height: Int, width: Int)
  }

  struct Annotation: Sendable {
    var id: Int
    var imageID: Int
    var categoryID: Int
    var segmentation: Segmentation
    var area: Double?
    var isCrowd: Bool
  }

  public let annotationFile: String
  public let imagesDirectory: String
  public let classNames: [String]
  /// Category id → class id (1 + position by sorted id).
  let classOfCategory: [Int: Int]
  let images: [Image]
  /// Annotations per image id, in file order.
  let annotationsByImage: [Int: [Annotation]]
  /// Problems found while reading the file that belong to one image (e.g. a polygon with too
  /// few points); reported when that image is read, so --skip-bad can skip just that image.
  let problemsByImage: [Int: DataError]

  public var count: Int { images.count }
  public var description: String { "coco:\(annotationFile)" }

  /// Opens the annotation file. Images are looked up in `imagesDirectory`, or next to the
  /// JSON file (also trying an `images/` folder there) when it is nil. `split` picks a seeded
  /// 90/10 split of the images; nil uses all images.
  /// `annotationsRequired: false` accepts a file without "annotations" (and "categories"): a
  /// competition's test.json lists only images; every image then has an all-background mask.
  public init(
    annotationFile: String, imagesDirectory: String? = nil, split: DataSplit? = nil, seed: UInt64 = 0,
    annotationsRequired: Bool = true
  ) throws {
    self.annotationFile = annotationFile
    let jsonDir = (annotationFile as NSString).deletingLastPathComponent
    let data = try readFileBytes(annotationFile)
    let root: Any
    do {
      root = try JSONSerialization.jsonObject(with: Data(data))
    } catch {
      throw DataError(file: annotationFile, problem: "not valid JSON (\(jsonErrorDetail(error)))")
    }
    guard let top = root as? [String: Any] else {
      throw DataError(
        file: annotationFile, problem: "top level is not a JSON object with images, annotations, categories")
    }
    func list(_ key: String) throws -> [[String: Any]] {
      guard let raw = top[key] else { throw DataError(file: annotationFile, problem: "missing field \"\(key)\"") }
      guard let arr = raw as? [[String: Any]] else {
        throw DataError(file: annotationFile, problem: "field \"\(key)\" is not a list of objects")
      }
      return arr
    }
    let file = annotationFile

    // Categories → class ids.
    var cats: [(id: Int, name: String)] = []
    let categories = annotationsRequired || top["categories"] != nil ? try list("categories") : []
    for (i, c) in categories.enumerated() {
      guard let id = jsonInt(c["id"]) else {
        throw DataError(file: file, problem: "category #\(i) has no integer \"id\"")
      }
      cats.append((id, (c["name"] as? String) ?? "category_\(id)"))
    }
    cats.sort { $0.id < $1.id }
    var classOf = [Int: Int]()
    for (i, c) in cats.enumerated() {
      if classOf[c.id] != nil { throw DataError(file: file, problem: "category id \(c.id) appears twice") }
      classOf[c.id] = i + 1
    }
    if cats.count > 254 {
      throw DataError(file: file, problem: "\(cats.count) categories do not fit 8-bit class ids (at most 254)")
    }
    classNames = ["background"] + cats.map { $0.name }
    classOfCategory = classOf

    // Images. A declared size is checked before any mask of that size is allocated.
    var imgs: [Image] = []
    var known = Set<Int>()
    var problems = [Int: DataError]()
    for (i, im) in try list("images").enumerated() {
      guard let id = jsonInt(im["id"]) else {
        throw DataError(file: file, problem: "image #\(i) has no integer \"id\"")
      }
      guard let name = im["file_name"] as? String else {
        throw DataError(file: file, problem: "image id \(id) has no \"file_name\"")
      }
      guard let w = jsonInt(im["width"]), let h = jsonInt(im["height"]), w > 0, h > 0 else {
        throw DataError(file: file, problem: "image id \(id) (\(name)) has no positive \"width\"/\"height\"")
      }
      if !known.insert(id).inserted { throw DataError(file: file, problem: "image id \(id) appears twice") }
      if let problem = ImageLimits.problem(width: w, height: h) {
        problems[id] = DataError(file: file, problem: "image id \(id) (\(name)) declared \(problem)")
      }
      imgs.append(Image(id: id, fileName: name, width: w, height: h))
    }

    // Annotations: structural problems stop here; per-image problems wait for that image.
    var byImage = [Int: [Annotation]]()
    let annotations = annotationsRequired || top["annotations"] != nil ? try list("annotations") : []
    for (i, a) in annotations.enumerated() {
      guard let id = jsonInt(a["id"]) else {
        throw DataError(file: file, problem: "annotation #\(i) has no integer \"id\"")
      }
      guard let imageID = jsonInt(a["image_id"]) else {
        throw DataError(file: file, annotationID: id, problem: "missing \"image_id\"")
      }
      guard known.contains(imageID) else {
        throw DataError(file: file, annotationID: id, problem: "image_id \(imageID) is not in \"images\"")
      }
      guard let catID = jsonInt(a["category_id"]) else {
        throw DataError(file: file, annotationID: id, problem: "missing \"category_id\"")
      }
      guard classOf[catID] != nil else {
        if problems[imageID] == nil {
          problems[imageID] = DataError(
            file: file, annotationID: id, problem: "category_id \(catID) is not in \"categories\"")
        }
        continue
      }
      guard let segRaw = a["segmentation"] else {
        throw DataError(file: file, annotationID: id, problem: "missing \"segmentation\"")
      }
      do {
        let seg = try parseSegmentation(segRaw)
        byImage[imageID, default: []].append(
          Annotation(
            id: id, imageID: imageID, categoryID: catID, segmentation: seg,
            area: jsonDouble(a["area"]), isCrowd: (jsonInt(a["iscrowd"]) ?? 0) != 0))
      } catch let e as CocoRLE.Invalid {
        if problems[imageID] == nil { problems[imageID] = DataError(file: file, annotationID: id, problem: e.problem) }
      }
    }
    annotationsByImage = byImage
    problemsByImage = problems

    if let split {
      imgs = seededSplit(imgs, split: split, seed: seed)
    }
    images = imgs
    if let dir = imagesDirectory {
      self.imagesDirectory = dir
    } else {
      // Next to the JSON, or in images/ beside it (the first file decides).
      let beside = jsonDir.isEmpty ? "." : jsonDir
      let nested = (beside as NSString).appendingPathComponent("images")
      if let first = imgs.first,
        !FileManager.default.fileExists(atPath: (beside as NSString).appendingPathComponent(first.fileName)),
        FileManager.default.fileExists(atPath: (nested as NSString).appendingPathComponent(first.fileName))
      {
        self.imagesDirectory = nested
      } else {
        self.imagesDirectory = beside
      }
    }
  }

  /// The file name without extension (keeps sub-folders, which COCO file names may have).
  public func sampleID(at index: Int) -> String {
    (images[index].fileName as NSString).deletingPathExtension
  }

  /// The image's "file_name" exactly as the JSON gives it (a submission's image_id).
  public func fileName(at index: Int) -> String { images[index].fileName }

  public func imagePath(at index: Int) -> String {
    (imagesDirectory as NSString).appendingPathComponent(images[index].fileName)
  }

  public func sample(at index: Int) throws -> Sample {
    let info = images[index]
    if let problem = problemsByImage[info.id] { throw problem }
    let path = imagePath(at: index)
    guard FileManager.default.fileExists(atPath: path) else {
      throw DataError(file: path, problem: "image file not found (image id \(info.id) in \(annotationFile))")
    }
    let image = try readImage(path)
    if image.width != info.width || image.height != info.height {
      throw DataError(
        file: path,
        problem:
          "image is \(image.width)x\(image.height) but \(annotationFile) says \(info.width)x\(info.height) (image id \(info.id))"
      )
    }
    return Sample(image: image, mask: try paintLabels(info), id: sampleID(at: index))
  }

  /// The label map alone (no image decode), e.g. for exporting masks. The declared size is
  /// still checked against the image file's header when the file is there.
  public func labelMap(at index: Int) throws -> LabelMap {
    let info = images[index]
    if let problem = problemsByImage[info.id] { throw problem }
    let path = imagePath(at: index)
    if let actual = imageHeaderSize(path), actual.width != info.width || actual.height != info.height {
      throw DataError(
        file: annotationFile,
        problem:
          "image id \(info.id) declares \(info.width)x\(info.height) but its file \(path) is \(actual.width)x\(actual.height)"
      )
    }
    return try paintLabels(info)
  }

  /// Rasterises each annotation, then paints them in descending area (ties keep file order).
  /// Layers stay run-length encoded until painted, so memory is one label map however many
  /// annotations an image has.
  private func paintLabels(_ info: Image) throws -> LabelMap {
    let h = info.height
    let w = info.width
    var layers: [(area: Double, order: Int, cls: UInt8, parts: [CocoRLE])] = []
    for (order, ann) in (annotationsByImage[info.id] ?? []).enumerated() {
      let parts: [CocoRLE]
      do {
        parts = try Self.runLengths(ann.segmentation, height: h, width: w)
      } catch let e as CocoRLE.Invalid {
        throw DataError(file: annotationFile, annotationID: ann.id, problem: e.problem)
      }
      let area = try ann.area ?? Double(parts.count == 1 ? parts[0].area : Self.union(parts).reduce(0) { $0 + Int($1) })
      layers.append((area, order, UInt8(classOfCategory[ann.categoryID] ?? 0), parts))
    }
    layers.sort { $0.area != $1.area ? $0.area > $1.area : $0.order < $1.order }
    var labels = [UInt8](repeating: 0, count: h * w)
    // Painting each part of an annotation paints their union.
    for layer in layers {
      for part in layer.parts { part.paint(layer.cls, intoRowMajor: &labels) }
    }
    return LabelMap(width: w, height: h, labels: labels)
  }

  /// annToMask: union of all polygon parts, or the RLE as given. Column-major 0/1 bytes.
  static func rasterize(_ seg: Segmentation, height h: Int, width w: Int) throws -> [UInt8] {
    try union(runLengths(seg, height: h, width: w))
  }

  /// Column-major 0/1 mask of the union of RLEs of one size.
  static func union(_ parts: [CocoRLE]) throws -> [UInt8] {
    guard var out = try parts.first?.decode() else { return [] }
    for part in parts.dropFirst() {
      let m = try part.decode()
      for i in 0..<out.count where m[i] != 0 { out[i] = 1 }
    }
    return out
  }

  /// The segmentation as run-length encodings of the image's size: one per polygon part, or
  /// the RLE itself. Counts that overrun the image are refused here, before any painting.
  static func runLengths(_ seg: Segmentation, height h: Int, width w: Int) throws -> [CocoRLE] {
    switch seg {
    case .polygons(let polys):
      // maskApi walks every edge at 5x resolution; absurd coordinates would make that walk
      // (and its memory) explode, so anything far outside the image is refused.
      let limit = Double(4 * max(h, w) + 1000)
      for (i, p) in polys.enumerated() {
        if let bad = p.first(where: { abs($0) > limit }) {
          throw CocoRLE.Invalid(problem: "polygon #\(i) has coordinate \(bad), far outside the \(w)x\(h) image")
        }
      }
      return try polys.enumerated().map { i, p in
        do {
          return try CocoRLE.fromPolygon(p, height: h, width: w)
        } catch let e as CocoRLE.Invalid {
          throw CocoRLE.Invalid(problem: "polygon #\(i): \(e.problem)")
        }
      }
    case .uncompressed(let counts, let rh, let rw):
      try checkSize(rh, rw, h, w)
      return [try CocoRLE(height: rh, width: rw, counts: counts).checked()]
    case .compressed(let s, let rh, let rw):
      try checkSize(rh, rw, h, w)
      return [try CocoRLE.fromCompressed(s, height: rh, width: rw).checked()]
    }
  }

  static func checkSize(_ rh: Int, _ rw: Int, _ h: Int, _ w: Int) throws {
    if rh != h || rw != w {
      throw CocoRLE.Invalid(problem: "RLE size \(rh)x\(rw) (h x w) differs from the image's \(h)x\(w)")
    }
  }
}

/// Parses a COCO "segmentation" value: a list of polygons or an RLE object.
func parseSegmentation(_ raw: Any) throws -> CocoDataset.Segmentation {
  if let polys = raw as? [Any] {
    if polys.isEmpty { throw CocoRLE.Invalid(problem: "segmentation has no polygons") }
    var out: [[Double]] = []
    for (i, p) in polys.enumerated() {
      guard let arr = p as? [Any] else { throw CocoRLE.Invalid(problem: "polygon #\(i) is not a list of numbers") }
      var coords: [Double] = []
      coords.reserveCapacity(arr.count)
      for v in arr {
        guard let d = jsonDouble(v), d.isFinite, abs(d) < 1e6 else {
          throw CocoRLE.Invalid(problem: "polygon #\(i) has a coordinate that is not a finite number")
        }
        coords.append(d)
      }
      if coords.count % 2 != 0 {
        throw CocoRLE.Invalid(problem: "polygon #\(i) has an odd number of coordinates (\(coords.count))")
      }
      if coords.count < 6 {
        throw CocoRLE.Invalid(problem: "polygon #\(i) has \(coords.count / 2) points; a polygon needs at least 3")
      }
      out.append(coords)
    }
    return .polygons(out)
  }
  guard let rle = raw as? [String: Any] else {
    throw CocoRLE.Invalid(problem: "segmentation is neither a polygon list nor an RLE object")
  }
  guard let size = rle["size"] as? [Any], size.count == 2, let h = jsonInt(size[0]), let w = jsonInt(size[1]), h >= 0,
    w >= 0
  else {
    throw CocoRLE.Invalid(problem: "RLE has no \"size\": [height, width]")
  }
  if let s = rle["counts"] as? String { return .compressed(s, height: h, width: w) }
  if let arr = rle["counts"] as? [Any] {
    var counts: [UInt32] = []
    for v in arr {
      guard let n = jsonInt(v), n >= 0, n <= Int(UInt32.max) else {
        throw CocoRLE.Invalid(problem: "RLE counts must be non-negative integers")
      }
      counts.append(UInt32(n))
    }
    return .uncompressed(counts: counts, height: h, width: w)
  }
  throw CocoRLE.Invalid(problem: "RLE has no \"counts\" (string or list)")
}

func jsonDouble(_ v: Any?) -> Double? {
  guard let v, !(v is String) else { return nil }
  if let n = v as? NSNumber { return n.doubleValue }
  return nil
}

func jsonInt(_ v: Any?) -> Int? {
  guard let d = jsonDouble(v), d == d.rounded(), abs(d) < 9e15 else { return nil }
  return Int(d)
}

func jsonErrorDetail(_ error: Error) -> String {
  let ns = error as NSError
  if let d = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return d }
  return ns.localizedDescription
}

/// A seeded 90/10 split (val gets at least one item when there are two or more).
func seededSplit<T>(_ items: [T], split: DataSplit, seed: UInt64) -> [T] {
  if items.count < 2 { return split == .train ? items : [] }
  let perm = SplitMix64.permutation(items.count, seed: SplitMix64.mix(seed, 0x5B17))
  let nVal = max(1, items.count / 10)
  let chosen = split == .val ? Array(perm[0..<nVal]) : Array(perm[nVal...])
  return chosen.sorted().map { items[$0] }
}
