/// Max pooling as a layer (no parameters).
public struct MaxPool2D {
  public var kernel: Int
  public var stride: Int
  public var padding: Int
  public var ceilMode: Bool

  public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
    self.kernel = kernel
    self.stride = stride ?? kernel
    self.padding = padding
    self.ceilMode = ceilMode
  }

  public func callAsFunction(_ x: Variable) throws -> Variable {
    try maxPool2d(x, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
  }
}
