import FCN
import Foundation
import NN
import Tensor
import WeightIO

/// Everything besides tensors that an exact resume needs.
public struct TrainState: Codable, Equatable {
  /// Optimiser steps taken (the schedule's position).
  public var step: Int
  /// Where the loader resumes.
  public var epoch: Int
  public var batchInEpoch: Int
  /// Dropout generators, in model order.
  public var rngStates: [[UInt64]]
  public var bestMeanIoU: Double?
  /// The model configuration as JSON, so `eval`/`predict` can rebuild the net from a checkpoint.
  public var modelConfig: String
  /// `--patience`'s reference score and stalled evaluations (nil without --patience).
  public var earlyStopping: EarlyStoppingState?

  public init(
    step: Int, epoch: Int, batchInEpoch: Int, rngStates: [[UInt64]], bestMeanIoU: Double?, modelConfig: String,
    earlyStopping: EarlyStoppingState? = nil
  ) {
    self.step = step
    self.epoch = epoch
    self.batchInEpoch = batchInEpoch
    self.rngStates = rngStates
    self.bestMeanIoU = bestMeanIoU
    self.modelConfig = modelConfig
    self.earlyStopping = earlyStopping
  }
}

extension TrainState {
  /// Counters and generator states read from a file must make sense before training uses
  /// them: a negative step would train for ~forever, a short generator state would trap.
  func checkResumable(dropoutLayers: Int) throws {
    // Counters far beyond any real run (2^40) would overflow when the loader adds one.
    let plausible = 0...(1 << 40)
    guard plausible.contains(step), plausible.contains(epoch), plausible.contains(batchInEpoch) else {
      throw TrainingError.io(
        "training state has step \(step), epoch \(epoch), batch \(batchInEpoch); each must be 0...2^40 (none may be negative)"
      )
    }
    guard rngStates.count == dropoutLayers, rngStates.allSatisfy({ $0.count == 4 }) else {
      throw TrainingError.io(
        "training state has \(rngStates.count) dropout generator states of \(rngStates.map(\.count)) words; the model has \(dropoutLayers) dropout layers of 4 words each"
      )
    }
  }
}

/// A checkpoint file: a .safetensors with the model's tensors under their state_dict names,
/// optimiser state under "optimizer/…", and the TrainState as JSON metadata. Written atomically
/// (temp file, fsync, rename), so a kill at any moment leaves the previous checkpoint intact.
public enum Checkpoint {
  public static let stateKey = "swift_fcn_train_state"
  public static let optimizerPrefix = "optimizer/"

  public static func save(
    to url: URL, model: [String: Tensor], optimizer: [String: [Float]], state: TrainState
  ) throws {
    var tensors = [String: HostArray]()
    for (name, t) in model {
      let values = try t.toArray()
      // A diverged run must not replace a good checkpoint with NaNs.
      guard values.allSatisfy(\.isFinite) else {
        throw TrainingError.nonFiniteWeights(step: state.step, tensor: name, path: url.path)
      }
      tensors[name] = HostArray(shape: t.shape, floats: values)
    }
    for (name, v) in optimizer { tensors[optimizerPrefix + name] = HostArray(shape: [v.count], floats: v) }
    let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try SafeTensors.write(tensors, metadata: [stateKey: json, "format": "swift-fcn checkpoint 1"], to: url)
  }

  public struct Contents {
    public var path: String
    public var model: [String: HostArray]
    public var optimizer: [String: [Float]]
    /// nil for plain weight files (exports, converted or PyTorch .pth).
    public var state: TrainState?
    /// An export's model configuration, if the file has one.
    var exportedConfig: ModelConfig?

    /// The model configuration the file records: a checkpoint's (in its state) or an export's.
    /// Decoded on request: the trainer resumes models that are not FCNs (tests' small nets).
    public func modelConfig() throws -> ModelConfig? {
      guard let state else { return exportedConfig }
      do { return try JSONDecoder().decode(ModelConfig.self, from: Data(state.modelConfig.utf8)) } catch {
        throw WeightIOError(file: path, "its model configuration metadata is unusable: \(describeDecoding(error))")
      }
    }
  }

  /// Opens any weight file (WeightFile: .safetensors or .pth) and splits a checkpoint's parts:
  /// the model's tensors, the optimizer's (under "optimizer/…"), and the training state.
  public static func load(from url: URL) throws -> Contents {
    let file = try WeightFile.open(url)
    var model = [String: HostArray]()
    var optimizer = [String: [Float]]()
    for (name, a) in file.tensors {
      if name.hasPrefix(optimizerPrefix) {
        optimizer[String(name.dropFirst(optimizerPrefix.count))] = try a.floats()
      } else {
        model[name] = a
      }
    }
    let state = try file.decodeMetadata(TrainState.self, key: stateKey, what: stateKey)
    return Contents(
      path: url.path, model: model, optimizer: optimizer, state: state,
      exportedConfig: state == nil ? try file.exportedConfig() : nil)
  }
}
