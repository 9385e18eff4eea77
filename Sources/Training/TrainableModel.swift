import NN
import Tensor
import WeightIO

/// What the trainer needs of a segmentation network. The FCN models conform; tests use small
/// nets built from NN layers.
public protocol TrainableModel: AnyObject {
  var classes: Int { get }
  var parameters: [Parameter] { get }
  /// Parameters and buffers by state_dict name.
  func stateDict() -> [String: Tensor]
  func restore(_ state: [String: HostArray]) throws
  func setTraining(_ training: Bool)
  /// Logits [N, classes, H, W] for images [N, 3, H, W].
  func callAsFunction(_ x: Variable) throws -> Variable
  /// The generators of the model's dropout layers, saved for an exact resume.
  var randomStates: [[UInt64]] { get set }
  /// Bytes a training step needs at this batch and size (weights, gradients, activations kept
  /// for backward), without the optimiser's state; the memory planner adds that.
  func trainingBytes(batch: Int, height: Int, width: Int) -> Int64
}

extension TrainableModel {
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Copies matching entries of a state dict into tensors, by name, checking shapes.
public func load(_ state: [String: HostArray], into tensors: [String: Tensor], strict: Bool, model: String) throws {
  for (name, t) in tensors {
    guard let a = state[name] else {
      if strict { throw TrainingError.config("\(model): weights lack \(name) (shape \(describe(t.shape)))") }
      continue
    }
    guard a.shape == t.shape || (a.count == t.count && a.shape.isEmpty == t.shape.isEmpty) else {
      throw TrainingError.config(
        "\(model): \(name) has shape \(describe(a.shape)) in the weights but \(describe(t.shape)) in the model")
    }
    try reorder(from: Tensor(shape: t.shape, values: a.floats()), to: t)
  }
}
