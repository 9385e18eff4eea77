import FCN
import Foundation
import SegData
import Training

/// `--run R --weights model.int8.safetensors`: the int8 file must have been quantised from R's
/// model, or R's data and normalisation would be applied to a different network. config.json's
/// "model" part records R's configuration; a folder without one (or an older format) is not
/// checked.
func checkInt8Matches(_ config: ModelConfig, run: String, file: String) throws {
  struct RunModel: Decodable { var model: ModelConfig }
  guard let data = FileManager.default.contents(atPath: RunFolder(run).config.path),
    let recorded = try? JSONDecoder().decode(RunModel.self, from: data).model
  else { return }
  guard recorded == config else {
    throw DataError(
      file: file,
      problem:
        "this int8 model (\(config.name), \(config.classes) classes, \(config.backbone.rawValue), width \(config.width)) was not quantised from \(run)'s model (\(recorded.name), \(recorded.classes) classes, \(recorded.backbone.rawValue), width \(recorded.width))"
    )
  }
}
