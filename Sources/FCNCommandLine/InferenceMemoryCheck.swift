import FCN
import Foundation
import SegData
import Training

/// Refuses an image whose forward pass would need more memory than the machine has, before
/// running it: a large photo through the paper's FCN-8s otherwise ends with the OOM killer.
/// The estimate (fcn info's) is made once per image size.
final class InferenceMemoryCheck {
  let model: FCNModel
  let limits = MemoryLimits.current()
  private var checked = Set<[Int]>()

  init(model: FCNModel) { self.model = model }

  func check(height: Int, width: Int, file: String) throws {
    guard checked.insert([height, width]).inserted else { return }
    let needed = try modelInfo(of: model, height: height, width: width).inferenceBytes
    guard Int64(needed) <= limits.availableBytes else {
      checked.remove([height, width])
      throw DataError(
        file: file,
        problem:
          "predicting this \(width)x\(height) image needs about \(formatBytes(Int64(needed))) but only \(formatBytes(limits.availableBytes)) is available (\(limits.source)); resize or tile it"
      )
    }
  }
}
