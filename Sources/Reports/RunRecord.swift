import Foundation
import SegMetrics

/// Everything a report shows about one run, read from its folder: config.json, log.jsonl,
/// metrics.json (final, once the run finished), confusion.json (latest evaluation) and the
/// sample panels in samples/. The file names are those `Training.RunFolder` writes.
public struct RunRecord {
  public struct StepPoint: Equatable {
    public var step: Int
    public var loss: Double?
    public var lr: Double?
    public var imagesPerSecond: Double?
  }

  public struct EvaluationPoint: Equatable {
    public var step: Int
    public var meanIoU: Double?
    public var pixelAccuracy: Double?
    public var meanAccuracy: Double?
    public var frequencyWeightedIoU: Double?
    public var classIoU: [Double?]?
  }

  public var directory: URL
  /// Flattened config.json ("train.batch" → "8"), sorted by key.
  public var config: [(key: String, value: String)]
  public var steps: [StepPoint]
  public var evaluations: [EvaluationPoint]
  /// metrics.json, present once the run finished.
  public var finalMetrics: Metrics?
  public var snapshot: EvaluationSnapshot?
  public var samples: [URL]

  public var name: String { directory.lastPathComponent }

  public static func load(_ directory: URL) throws -> RunRecord {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
      throw ReportError.missingRun(directory.path)
    }
    guard isDirectory.boolValue else {
      throw ReportError.notARun(folder: directory.path, missing: "a folder (it is a file)")
    }
    let configURL = directory.appendingPathComponent("config.json")
    let logURL = directory.appendingPathComponent("log.jsonl")
    for url in [configURL, logURL] where !fm.fileExists(atPath: url.path) {
      throw ReportError.notARun(folder: directory.path, missing: url.lastPathComponent)
    }
    let config = try readConfig(configURL)
    let (steps, evaluations) = try readLog(logURL)
    let metricsURL = directory.appendingPathComponent("metrics.json")
    let metrics: Metrics? =
      fm.fileExists(atPath: metricsURL.path) ? try decode(Metrics.self, from: metricsURL) : nil
    let snapshotURL = directory.appendingPathComponent(EvaluationSnapshot.fileName)
    let snapshot: EvaluationSnapshot? =
      fm.fileExists(atPath: snapshotURL.path)
      ? try decode(EvaluationSnapshot.self, from: snapshotURL).validated(file: snapshotURL.path) : nil
    let samplesURL = directory.appendingPathComponent("samples")
    let samples = ((try? fm.contentsOfDirectory(atPath: samplesURL.path)) ?? [])
      .filter { $0.lowercased().hasSuffix(".png") }.sorted().map { samplesURL.appendingPathComponent($0) }
    return RunRecord(
      directory: directory, config: config, steps: steps, evaluations: evaluations, finalMetrics: metrics,
      snapshot: snapshot, samples: samples)
  }

  static func readData(_ url: URL) throws -> Data {
    do { return try Data(contentsOf: url) } catch {
      throw ReportError.damaged(file: url.path, problem: "cannot be read (\(error.localizedDescription))")
    }
  }

  static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    do { return try JSONDecoder().decode(type, from: readData(url)) } catch let e as ReportError { throw e } catch {
      throw ReportError.damaged(file: url.path, problem: "not the expected JSON (\(describe(error)))")
    }
  }

  static func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
      return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
    case DecodingError.dataCorrupted(let c): return c.debugDescription
    default: return "\(error)"
    }
  }

  static func readConfig(_ url: URL) throws -> [(key: String, value: String)] {
    guard let object = try? JSONSerialization.jsonObject(with: readData(url)), let top = object as? [String: Any]
    else { throw ReportError.damaged(file: url.path, problem: "not a JSON object") }
    var flat = [(key: String, value: String)]()
    func walk(_ value: Any, _ key: String) {
      if let dict = value as? [String: Any] {
        for k in dict.keys.sorted() { walk(dict[k]!, key.isEmpty ? k : key + "." + k) }
      } else {
        flat.append((key, displayValue(value)))
      }
    }
    walk(top, "")
    return flat
  }

  static func displayValue(_ value: Any) -> String {
    if value is NSNull { return "null" }
    if let n = value as? NSNumber {
      // JSONSerialization gives booleans as NSNumber too; their type code is "c" (char).
      if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
      return n.stringValue
    }
    if let s = value as? String { return s }
    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
      let s = String(data: data, encoding: .utf8)
    {
      return s
    }
    return "\(value)"
  }

  /// log.jsonl: one JSON object per line. A resumed run logs the steps it redoes again; the
  /// later record of a step wins. A last line without its newline is what a kill during the
  /// write leaves and is skipped; any other unreadable line makes the log damaged.
  static func readLog(_ url: URL) throws -> ([StepPoint], [EvaluationPoint]) {
    let data = try readData(url)
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    let endsWithNewline = data.last == 0x0A
    if endsWithNewline || data.isEmpty { lines.removeLast() }
    var steps = [Int: StepPoint]()
    var evaluations = [Int: EvaluationPoint]()
    for (index, line) in lines.enumerated() {
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
      let parsed = try? JSONSerialization.jsonObject(with: Data(line))
      guard let object = parsed as? [String: Any], let step = (object["step"] as? NSNumber)?.intValue else {
        if index == lines.count - 1 && !endsWithNewline { continue }
        throw ReportError.damaged(
          file: url.path,
          problem:
            "line \(index + 1) is \(parsed == nil ? "not valid JSON" : "not a JSON object with a \"step\" number")")
      }
      func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
      if object["val_miou"] != nil {
        let classIoU = (object["val_class_iou"] as? [Any])?.map { ($0 as? NSNumber)?.doubleValue }
        evaluations[step] = EvaluationPoint(
          step: step, meanIoU: number("val_miou"), pixelAccuracy: number("val_pixel_acc"),
          meanAccuracy: number("val_mean_acc"), frequencyWeightedIoU: number("val_fwiou"), classIoU: classIoU)
      } else if object.keys.contains("loss") {
        steps[step] = StepPoint(
          step: step, loss: number("loss"), lr: number("lr"), imagesPerSecond: number("img_per_s"))
      }
    }
    return (
      steps.values.sorted { $0.step < $1.step }, evaluations.values.sorted { $0.step < $1.step }
    )
  }

  /// Class names from the latest evaluation, else from metrics.json, else numbered.
  public var classNames: [String] {
    if let s = snapshot { return s.classNames }
    if let names = finalMetrics?.classNames { return names }
    let k = finalMetrics?.classes ?? evaluations.last?.classIoU?.count ?? 0
    return (0..<k).map { "class \($0)" }
  }

  /// The metrics the page headlines: from the latest confusion matrix when there is one
  /// (every per-class number then comes from the same evaluation), else metrics.json.
  public func latestMetrics() throws -> Metrics? {
    if let s = snapshot { return try s.matrix.metrics(classNames: s.classNames) }
    return finalMetrics
  }

  public func configValue(_ key: String) -> String? { config.first { $0.key == key }?.value }

  /// The best validation mIoU over the run and its step.
  public var best: (step: Int, meanIoU: Double)? {
    evaluations.compactMap { e in e.meanIoU.map { (e.step, $0) } }.max { $0.1 < $1.1 }
  }
}
