import Foundation

/// A snapshot of every metric derived from a `ConfusionMatrix`, for `metrics.json`, `log.jsonl`
/// and the CLI table. See `ConfusionMatrix`'s properties for the exact definitions and for
/// which classes each mean leaves out.
///
/// JSON: undefined values are written as `null` — a scalar that is NaN (nothing counted) and a
/// per-class entry that is nil (class absent). JSON has no NaN, and `null` is what Python's
/// `json` and pandas read as "missing".
public struct Metrics: Equatable, Sendable {
  /// Correct pixels / counted pixels.
  public var pixelAccuracy: Double
  /// Mean per-class accuracy over classes present in the ground truth.
  public var meanAccuracy: Double
  /// Mean IoU over classes present in the ground truth or the prediction.
  public var meanIoU: Double
  /// Frequency-weighted IoU (weights = ground-truth pixel share).
  public var fwIoU: Double
  /// Per-class IoU; nil for a class absent from both ground truth and prediction.
  public var perClassIoU: [Double?]
  /// Per-class accuracy (recall); nil for a class absent from the ground truth.
  public var perClassAccuracy: [Double?]
  /// Display names, one per class, if known.
  public var classNames: [String]?
  /// Pixels that were scored (ignored pixels excluded).
  public var countedPixels: Int64

  /// Number of classes.
  public var classes: Int { perClassIoU.count }

  /// Derives all metrics from `matrix`. Throws if `classNames` is not one name per class.
  public init(_ matrix: ConfusionMatrix, classNames: [String]? = nil) throws {
    if let names = classNames, names.count != matrix.classes {
      throw SegMetricsError.classNameCountMismatch(names: names.count, classes: matrix.classes)
    }
    pixelAccuracy = matrix.pixelAccuracy
    meanAccuracy = matrix.meanAccuracy
    meanIoU = matrix.meanIoU
    fwIoU = matrix.frequencyWeightedIoU
    perClassIoU = matrix.perClassIoU
    perClassAccuracy = matrix.perClassAccuracy
    self.classNames = classNames
    countedPixels = matrix.totalCount
  }

  /// Equality that treats NaN == NaN (an empty evaluation equals another empty evaluation),
  /// so a JSON round trip compares equal.
  public static func == (a: Metrics, b: Metrics) -> Bool {
    func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
    return same(a.pixelAccuracy, b.pixelAccuracy) && same(a.meanAccuracy, b.meanAccuracy)
      && same(a.meanIoU, b.meanIoU) && same(a.fwIoU, b.fwIoU)
      && a.perClassIoU == b.perClassIoU && a.perClassAccuracy == b.perClassAccuracy
      && a.classNames == b.classNames && a.countedPixels == b.countedPixels
  }
}

extension Metrics: Codable {
  private enum CodingKeys: String, CodingKey {
    case pixelAccuracy, meanAccuracy, meanIoU, fwIoU, perClassIoU, perClassAccuracy
    case classNames, countedPixels
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(pixelAccuracy.isNaN ? nil : pixelAccuracy, forKey: .pixelAccuracy)
    try c.encode(meanAccuracy.isNaN ? nil : meanAccuracy, forKey: .meanAccuracy)
    try c.encode(meanIoU.isNaN ? nil : meanIoU, forKey: .meanIoU)
    try c.encode(fwIoU.isNaN ? nil : fwIoU, forKey: .fwIoU)
    try c.encode(perClassIoU, forKey: .perClassIoU)
    try c.encode(perClassAccuracy, forKey: .perClassAccuracy)
    try c.encode(classNames, forKey: .classNames)
    try c.encode(countedPixels, forKey: .countedPixels)
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    pixelAccuracy = try c.decodeIfPresent(Double.self, forKey: .pixelAccuracy) ?? .nan
    meanAccuracy = try c.decodeIfPresent(Double.self, forKey: .meanAccuracy) ?? .nan
    meanIoU = try c.decodeIfPresent(Double.self, forKey: .meanIoU) ?? .nan
    fwIoU = try c.decodeIfPresent(Double.self, forKey: .fwIoU) ?? .nan
    perClassIoU = try c.decode([Double?].self, forKey: .perClassIoU)
    perClassAccuracy = try c.decode([Double?].self, forKey: .perClassAccuracy)
    classNames = try c.decodeIfPresent([String].self, forKey: .classNames)
    countedPixels = try c.decode(Int64.self, forKey: .countedPixels)
  }

  /// Pretty-printed JSON with sorted keys (stable diffs between runs).
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Reads what `jsonData()` wrote.
  public static func decode(json: Data) throws -> Metrics {
    try JSONDecoder().decode(Metrics.self, from: json)
  }
}
