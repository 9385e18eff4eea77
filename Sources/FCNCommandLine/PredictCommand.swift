import ArgumentParser
import FCN
import Foundation
import NN
import SegData
import Tensor
import Training
import WeightIO

/// `fcn predict`: masks, overlays and (optionally) raw logits for images.
struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict", abstract: "Predict label masks for an image or a folder of images.")

  @Option(name: .customLong("run"), help: "A training run folder (uses its best checkpoint and normalisation).")
  var runFolder: String?
  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Weights: .safetensors (swift-fcn) or .pth (PyTorch, e.g. the course class's state_dict).") var weights:
    String?
  @Option(help: "An image file (PNG/JPEG) or a folder of them.") var input: String
  @Option(help: "Folder for <stem>.png palette masks and <stem>_overlay.png.") var output: String?
  @Option(help: "Write float32 logits (N, C, H, W) to this .npy file (all inputs must share one size).") var saveLogits:
    String?
  @Option(help: "Input normalisation (default: the run's, else imagenet).") var normalize: Normalization?

  func validate() throws {
    guard runFolder != nil || weights != nil else { throw ValidationError("give --run DIR or --weights FILE") }
    guard output != nil || saveLogits != nil else {
      throw ValidationError("give --output DIR and/or --save-logits FILE.npy")
    }
  }

  func run() throws {
    let loaded = try loadModel(run: runFolder, weights: weights, options: modelOptions)
    let normalization = normalize ?? loaded.trainOptions?.normalize ?? .imagenet
    let files = try inputFiles(input)
    if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
    var logits: [Float] = []
    var logitShape: [Int]?
    let memory = InferenceMemoryCheck(model: loaded.model)
    var size: (Int, Int)?
    try keepingInferenceCopies(of: loaded.model.parameters) {
      for file in files {
        let image = try readImage(file)
        if size.map({ $0 != (image.height, image.width) }) ?? true {
          // A folder of many image sizes must not keep every size's buffers in the pool.
          BufferPool.shared.trimForNewShapes()
          size = (image.height, image.width)
        }
        try memory.check(height: image.height, width: image.width, file: file)
        var planes = [Float](repeating: 0, count: 3 * image.width * image.height)
        normalization.write(image, into: &planes, offset: 0)
        let x = try Tensor(shape: [1, 3, image.height, image.width], values: planes)
        let y = try loaded.predictor(Variable(x)).value
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if let output {
          let labels = LabelMap(
            width: image.width, height: image.height, labels: try argmaxLabels(y).map { UInt8(clamping: $0) })
          try writeLabelMap(labels, to: (output as NSString).appendingPathComponent(stem + ".png"))
          try writeImage(
            overlay(image, labels: labels), to: (output as NSString).appendingPathComponent(stem + "_overlay.png"))
        }
        if saveLogits != nil {
          let shape = [1] + Array(y.shape.dropFirst())
          if let s = logitShape, s != shape {
            throw DataError(
              file: file,
              problem: "--save-logits needs inputs of one size: \(describe(s)) before, \(describe(shape)) here")
          }
          logitShape = shape
          logits += try y.toArray()
        }
      }
    }
    if let saveLogits, let shape = logitShape {
      try NumPy.write(
        HostArray(shape: [files.count] + shape.dropFirst(), floats: logits), to: URL(fileURLWithPath: saveLogits))
    }
    print("predicted \(files.count) image\(files.count == 1 ? "" : "s")" + (output.map { " → \($0)" } ?? ""))
  }
}

/// The image files named by `path`: the file itself, or a folder's PNG/JPEG files in name order.
func inputFiles(_ path: String) throws -> [String] {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw DataError(file: path, problem: "no such file or folder")
  }
  guard isDirectory.boolValue else { return [path] }
  let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter {
    ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased())
  }
  guard !names.isEmpty else { throw DataError(file: path, problem: "no .png/.jpg images in this folder") }
  return names.map { (path as NSString).appendingPathComponent($0) }
}
