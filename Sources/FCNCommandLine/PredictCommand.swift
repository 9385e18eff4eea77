import ArgumentParser
import Foundation
import Inference
import SegData

/// `fcn predict`: masks, overlays, a submission CSV, probabilities and (optionally) raw logits
/// for images — with test-time augmentation, ensembles and sliding windows (PredictionJob.swift).
struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict", abstract: "Predict label masks for an image, a folder of images or a COCO image list.")

  @Option(
    name: .customLong("run"),
    help: "A training run folder (uses its best checkpoint and normalisation); several: an ensemble.")
  var runFolder: [String] = []
  @OptionGroup var modelOptions: ModelOptions
  @Option(
    help:
      "Weights: .safetensors (swift-fcn) or .pth (PyTorch, e.g. the course class's state_dict); several: an ensemble (probabilities averaged)."
  ) var weights: [String] = []
  @Option(help: "An image file (PNG/JPEG) or a folder of them.") var input: String?
  @Option(help: "coco:FILE.json: predict the images it lists, in its order (annotations may be absent).") var data:
    String?
  @Option(help: "Images folder for --data coco:FILE.json (default: next to the JSON, or its images/).") var images:
    String?
  @Option(help: "Folder for <stem>.png palette masks and <stem>_overlay.png.") var output: String?
  @Option(help: "Write float32 logits (N, C, H, W) to this .npy file (all inputs must share one size).") var saveLogits:
    String?
  @Option(help: "Write softmax probabilities (N, C, H, W) to this .npy file (all inputs must share one size).")
  var saveProbs: String?
  @Option(help: "Element type of --save-probs: float16 or float32.") var probsDtype = ProbabilityDType.float32
  @Option(help: "Write a submission CSV (image_id,PredictionString) to this file.") var submission: String?
  @Option(help: "HxW the submission's masks are resized to (nearest, as OpenCV's INTER_NEAREST).") var submissionSize =
    "256x256"
  @Flag(help: "Warn about and leave out an image that cannot be read instead of stopping.") var skipBad = false
  @OptionGroup var inference: InferenceOptions
  @Option(help: "Input normalisation (default: each run's, else imagenet).") var normalize: Normalization?

  func validate() throws {
    guard !runFolder.isEmpty || !weights.isEmpty else { throw ValidationError("give --run DIR or --weights FILE") }
    guard (input == nil) != (data == nil) else {
      throw ValidationError("give either --input (an image or a folder) or --data coco:FILE.json")
    }
    if let data, !data.lowercased().hasPrefix("coco:") || data.count <= 5 {
      throw ValidationError("--data for predict takes coco:FILE.json (an image list); for image files use --input")
    }
    if images != nil && data == nil { throw ValidationError("--images goes with --data coco:FILE.json") }
    guard output != nil || saveLogits != nil || saveProbs != nil || submission != nil else {
      throw ValidationError(
        "give --output DIR, --submission FILE.csv, --save-probs FILE.npy and/or --save-logits FILE.npy")
    }
    _ = try parseSize(submissionSize, option: "--submission-size")
    if saveLogits != nil && (max(runFolder.count, weights.count) > 1 || inference.tta != nil || inference.tile != nil) {
      throw ValidationError(
        "--save-logits writes one model's raw logits of whole images; with --tta, --tile or an ensemble use --save-probs"
      )
    }
  }

  func run() throws { try PredictionJob(self).run() }
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
