import FCN
import NN
import Tensor
import WeightIO

/// What the trainer needs of a segmentation network. The FCN models conform; tests use small
/// nets built from NN layers.
/// A `Module`: its parameters, buffers and train/eval switch are the layers'.
public protocol TrainableModel: InferenceModel {
  var classes: Int { get }
  /// Parameters and buffers by state_dict name.
  func stateDict() -> [String: Tensor]
  func restore(_ state: [String: HostArray]) throws
  /// Logits [N, classes, H, W] for images [N, 3, H, W].
  func callAsFunction(_ x: Variable) throws -> Variable
  /// Its BatchNorm layers (`--freeze-bn` freezes them).
  var batchNormLayers: [BatchNorm2D] { get }
  /// The generators of the model's dropout layers, saved for an exact resume.
  var randomStates: [[UInt64]] { get set }
  /// Bytes a training step needs at this batch and size (weights, gradients, activations kept
  /// for backward), without the optimiser's state; the memory planner adds that.
  func trainingBytes(batch: Int, height: Int, width: Int) -> Int64
  /// Activation checkpointing (`--recompute`), for models that can; `trainingBytes` follows it.
  var recomputesInBackward: Bool { get set }
  var canRecompute: Bool { get }
}

extension TrainableModel {
  /// Models without recomputable segments train the ordinary way whatever is asked.
  public var recomputesInBackward: Bool {
    get { false }
    set {}
  }
  public var canRecompute: Bool { false }
}
