import NN
import Tensor
import WeightIO

/// What a load did: keys copied, and (non-strict) keys skipped on either side.
public struct LoadReport: Equatable, Sendable {
  public var loaded: [String] = []
  /// Keys the model has but the source lacked (kept at their current values).
  public var missing: [String] = []
  /// Keys the source had that the model does not (ignored).
  public var unexpected: [String] = []
}

extension SegmentationModel {
  /// Parameters by state_dict name, in state_dict order.
  public var namedParameters: [(name: String, parameter: Parameter)] { parameters.map { ($0.name, $0) } }

  /// Weights and running statistics by PyTorch state_dict name (plain fp32 tensors, shared with
  /// the model: copy before changing them).
  public func stateDict() -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    for p in parameters { d[p.name] = p.value }
    for b in buffers { d[b.name] = b.tensor }
    return d
  }

  /// The state_dict as host arrays, ready for SafeTensors.write, including BatchNorm's
  /// `num_batches_tracked` (int64 scalar) so that PyTorch's strict load_state_dict accepts it.
  public func exportStateDict() throws -> [String: HostArray] {
    var d: [String: HostArray] = [:]
    for (name, t) in stateDict() { d[name] = HostArray(shape: t.shape, floats: try t.toArray()) }
    for (name, stats) in batchNormStats {
      d["\(name).num_batches_tracked"] = HostArray(shape: [], int64s: [stats.batchesTracked])
    }
    return d
  }

  /// Copies weights by name. Every shape must match (the error names the key and both shapes);
  /// `strict` also requires the two key sets to be equal (BatchNorm's num_batches_tracked is
  /// optional either way).
  @discardableResult
  public func loadStateDict(_ dict: [String: HostArray], strict: Bool = true) throws -> LoadReport {
    let counters = Dictionary(uniqueKeysWithValues: batchNormStats.map { ("\($0.name).num_batches_tracked", $0.stats) })
    return try FCN.loadStateDict(dict, into: stateDict(), counters: counters, strict: strict)
  }

  /// Staged training (32s → 16s → 8s): copies every parameter and buffer whose name and shape
  /// the other model shares (backbone, fc6, fc7, score_fr, score_pool4 …) and reports the rest.
  @discardableResult
  public func load(from coarser: any SegmentationModel) throws -> LoadReport {
    let mine = stateDict()
    var source: [String: HostArray] = [:]
    for (name, t) in coarser.stateDict() where mine[name]?.shape == t.shape {
      source[name] = HostArray(shape: t.shape, floats: try t.toArray())
    }
    var report = try loadStateDict(source, strict: false)
    report.unexpected = coarser.stateDict().keys.filter { source[$0] == nil }.sorted()
    return report
  }

  /// BatchNorm layers' running statistics by layer name.
  var batchNormStats: [(name: String, stats: RunningStats)] { batchNormLayers.map { ($0.name, $0.stats) } }
}

/// The one way a state_dict gets into a model: copies `dict` into the model's tensors by
/// PyTorch name. Every shape is checked before anything changes, so a failed load leaves the
/// model as it was; `counters` are BatchNorm's num_batches_tracked entries (optional either way).
@discardableResult
public func loadStateDict(
  _ dict: [String: HostArray], into tensors: [String: Tensor], counters: [String: RunningStats] = [:], strict: Bool
) throws -> LoadReport {
  var targets = tensors
  var report = LoadReport()
  report.missing = targets.keys.filter { dict[$0] == nil }.sorted()
  report.unexpected = dict.keys.filter { targets[$0] == nil && counters[$0] == nil }.sorted()
  if strict {
    if !report.missing.isEmpty { throw FCNError.missingKeys(report.missing) }
    if !report.unexpected.isEmpty { throw FCNError.unexpectedKeys(report.unexpected) }
  }
  for (key, array) in dict {
    guard let t = targets[key] else { continue }
    if array.shape != t.shape { throw FCNError.shapeMismatch(key: key, expected: t.shape, got: array.shape) }
  }
  for (key, array) in dict.sorted(by: { $0.key < $1.key }) {
    if let s = counters[key] {
      s.batchesTracked = try array.int64s().first ?? 0
      continue
    }
    guard let t = targets.removeValue(forKey: key) else { continue }
    try reorder(from: Tensor(shape: t.shape, values: array.floats()), to: t)
    report.loaded.append(key)
  }
  return report
}
