import FCN
import NN
import WeightIO

/// The FCN family as the trainer sees it.
extension FCNModel: TrainableModel {
  public func restore(_ state: [String: HostArray]) throws {
    try loadStateDict(state, strict: true)
  }

  public var randomStates: [[UInt64]] {
    get { dropoutLayers.map(\.rng.state) }
    set {
      for (layer, state) in zip(dropoutLayers, newValue) { layer.rng.state = state }
    }
  }

  public var canRecompute: Bool { !segments.isEmpty }

  var dropoutLayers: [Dropout2D] {
    nodes.compactMap { $0.op as? Dropout2D }
  }

  public func trainingBytes(batch: Int, height: Int, width: Int) -> Int64 {
    (try? modelInfo(of: self, height: height, width: width, batch: batch)).map {
      Int64(recomputesInBackward ? $0.trainingBytesRecomputing : $0.trainingBytes)
    } ?? Int64.max
  }
}
