import Tensor

/// Something with trainable parameters and (possibly) state buffers, both named as in a PyTorch
/// state_dict ("conv1.0.weight", "conv1.1.running_mean", ...).
public protocol Module: AnyObject {
  var parameters: [Parameter] { get }
  /// Non-trained state saved with the weights (BatchNorm running statistics).
  var buffers: [(name: String, tensor: Tensor)] { get }
  /// Train mode (batch statistics, dropout on) or eval mode.
  func setTraining(_ training: Bool)
}

extension Module {
  public var buffers: [(name: String, tensor: Tensor)] { [] }
  public func setTraining(_ training: Bool) {}

  public func zeroGrad() { for p in parameters { p.zeroGrad() } }

  /// Number of scalar parameters (trainable or frozen).
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// How a layer's weights start (the FCN paper: He/imported backbone, zero score layers,
/// bilinear deconvolutions).
public enum Initializer: Sendable, Equatable {
  /// PyTorch's default for Conv2d: U(-1/√fan_in, 1/√fan_in) for weight and bias.
  case pytorchDefault
  /// He (Kaiming) normal, fan_out, for ReLU nets (torchvision's VGG), bias 0.
  case he
  case zeros
  /// Bilinear upsampling kernel on the channel diagonal (transposed convolutions only).
  case bilinear
}
