import NN
import Tensor
import WeightIO

/// One entry of the torchvision → FCN renaming.
public struct ImportedKey: Equatable, Sendable {
  public var source: String
  public var target: String
  /// Set when the tensor is reshaped (the fully connected classifier turned into convolutions).
  public var reshape: [Int]?
}

/// torchvision's VGG state_dict names for this model's backbone and classifier:
/// `features.N.*` counts every module of the nn.Sequential (conv, [BN,] ReLU, …, pool), in the
/// same order as our blocks; `classifier.0` (25088 → 4096) becomes fc6 [4096, 512, 7, 7] and
/// `classifier.3` (4096 → 4096) fc7 [4096, 4096, 1, 1]. The classifier is mapped only where the
/// shapes allow it (the paper head's 7×7 fc6); the ImageNet scores (`classifier.6`) never are.
public func torchvisionVGGMapping(for model: FCNModel) -> [ImportedKey] {
  var keys: [ImportedKey] = []
  var index = 0
  var layer = 0
  for count in model.config.backbone.convsPerBlock {
    for _ in 0..<count {
      let conv = model.vgg.convs[layer]
      keys.append(ImportedKey(source: "features.\(index).weight", target: conv.weight.name))
      keys.append(ImportedKey(source: "features.\(index).bias", target: conv.bias!.name))
      if let norm = model.vgg.norms[layer] {
        for suffix in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"] {
          keys.append(ImportedKey(source: "features.\(index + 1).\(suffix)", target: "\(norm.name).\(suffix)"))
        }
        index += 3
      } else {
        index += 2
      }
      layer += 1
    }
    index += 1  // max pool
  }
  let fc6 = model.fc6.weight.shape
  let fc7 = model.fc7.weight.shape
  keys.append(ImportedKey(source: "classifier.0.weight", target: model.fc6.weight.name, reshape: fc6))
  keys.append(ImportedKey(source: "classifier.0.bias", target: model.fc6.bias!.name))
  keys.append(ImportedKey(source: "classifier.3.weight", target: model.fc7.weight.name, reshape: fc7))
  keys.append(ImportedKey(source: "classifier.3.bias", target: model.fc7.bias!.name))
  return keys
}

/// Initialises the backbone (and, where the shapes allow, fc6/fc7) from a torchvision VGG
/// state_dict (`vgg16-*.pth`, `vgg16_bn`, `vgg19_bn`, … as read by `TorchCheckpoint.load`).
/// Score layers and deconvolutions keep their FCN initialisation. Returns what was loaded; the
/// report's `unexpected` lists the checkpoint keys that were not used and why they could not be
/// (e.g. the classifier for a 1×1 fc6).
@discardableResult
public func importTorchvisionVGG(_ dict: [String: HostArray], into model: FCNModel) throws -> LoadReport {
  let convKeys = dict.keys.filter { $0.hasPrefix("features.") && $0.hasSuffix(".weight") && dict[$0]!.shape.count == 4 }
  guard convKeys.count == model.vgg.convs.count else {
    throw FCNError.invalidConfig(
      "the checkpoint has \(convKeys.count) convolutions in `features`, the \(model.config.backbone.rawValue) backbone has \(model.vgg.convs.count): pick the matching --backbone"
    )
  }
  let checkpointHasBN = dict.keys.contains { $0.hasPrefix("features.") && $0.hasSuffix(".running_mean") }
  guard checkpointHasBN == model.config.backbone.batchNorm else {
    throw FCNError.invalidConfig(
      "the checkpoint is a VGG \(checkpointHasBN ? "with" : "without") BatchNorm, the model's backbone \(model.config.backbone.rawValue) is \(model.config.backbone.batchNorm ? "with" : "without"): pick the matching --backbone"
    )
  }
  let targets = model.stateDict()
  var renamed: [String: HostArray] = [:]
  var unusable: [String] = []
  // The classifier layers whose weight cannot become fc6/fc7 (a 1×1 fc6, another fc width);
  // their biases are skipped with them.
  var skippedLayers = Set<String>()
  for key in torchvisionVGGMapping(for: model) {
    guard var array = dict[key.source] else { continue }
    let layer = String(key.source.prefix { $0 != "." }) + "." + key.source.split(separator: ".")[1]
    if skippedLayers.contains(layer) { continue }
    if let shape = key.reshape {
      guard array.count == shape.reduce(1, *) else {
        unusable.append("\(layer) (\(describe(array.shape)) does not fit \(key.target) \(describe(shape)))")
        skippedLayers.insert(layer)
        continue
      }
      array.shape = shape
    }
    if let target = targets[key.target]?.shape, target != array.shape {
      throw FCNError.shapeMismatch(key: "\(key.source) → \(key.target)", expected: target, got: array.shape)
    }
    renamed[key.target] = array
  }
  var report = try model.loadStateDict(renamed, strict: false)
  let used = Set(torchvisionVGGMapping(for: model).filter { renamed[$0.target] != nil }.map(\.source))
  report.unexpected =
    unusable
    + dict.keys.filter { key in !used.contains(key) && !skippedLayers.contains { key.hasPrefix($0 + ".") } }.sorted()
  return report
}
