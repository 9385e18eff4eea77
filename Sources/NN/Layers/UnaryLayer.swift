/// A layer that maps one input to one output, called like a function (mlx-swift's `UnaryLayer`):
/// `let y = try conv(x)`. Layers with weights are also `Module`s.
public protocol UnaryLayer {
  func callAsFunction(_ x: Variable) throws -> Variable
}

extension Conv2D: UnaryLayer {}
extension ConvTranspose2D: UnaryLayer {}
extension BatchNorm2D: UnaryLayer {}
extension Dropout2D: UnaryLayer {}
extension MaxPool2D: UnaryLayer {}
