import NN

/// What evaluation and prediction need of a network: logits for images, the class count, and
/// the switch to eval mode. FCNModel (training graph, fp32) and the Inference module's
/// InferenceNetwork (BatchNorm folded, fp32 or int8) both conform, so `fcn eval`/`predict`
/// run either through the same code.
public protocol InferenceModel: Module {
  /// K, the number of logit channels.
  var classes: Int { get }
  /// Logits [N, K, H, W] for images [N, C, H, W].
  func callAsFunction(_ x: Variable) throws -> Variable
  /// The FCN this runs (layers, shapes), which memory planning walks; nil for other nets,
  /// which evaluation then always runs whole.
  var planningModel: FCNModel? { get }
}

extension InferenceModel {
  public var planningModel: FCNModel? { nil }
}

extension FCNModel: InferenceModel {
  public var planningModel: FCNModel? { self }
}
