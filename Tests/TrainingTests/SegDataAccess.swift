import SegData
import Training

enum SegDataAccess {
  static func trainSet(_ o: TrainOptions) throws -> SegmentationDataset {
    try openDataset(spec: o.data, split: .train, seed: o.seed, syntheticSize: o.syntheticSize)
  }
}
