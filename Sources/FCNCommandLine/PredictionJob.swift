import Foundation
import Inference
import SegData
import Training

/// One image `fcn predict` reads: where from, and the names its outputs take.
struct PredictionInput {
  /// The submission's image_id: the COCO file_name exactly, or the input file's name.
  var imageID: String
  /// Output file stem for --output (may hold sub-folders, as COCO file names can).
  var stem: String
  var path: String
  var read: () throws -> RGBImage
}

/// What `fcn predict` does once its options are parsed: load the model(s), list the images,
/// plan memory per image size, predict each image and stream every output asked for. Outputs
/// written to single files (CSV, .npy) appear only when every image is done.
struct PredictionJob {
  let options: PredictCommand

  init(_ options: PredictCommand) { self.options = options }

  func run() throws {
    let o = options
    let ensemble = try LoadedEnsemble(
      runs: o.runFolder, weights: o.weights, options: o.modelOptions, precision: o.inference.precision)
    let predictor = try EnsemblePredictor(
      members: ensemble.members(normalize: o.normalize), augmentation: o.inference.augmentation())
    let inputs = try listInputs()
    if let output = o.output {
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    }
    if o.saveProbs != nil || o.saveLogits != nil { try checkOneSize(inputs) }

    let submissionSize = try parseSize(o.submissionSize, option: "--submission-size")
    let submission = try o.submission.map {
      try SubmissionWriter(path: $0, height: submissionSize.height, width: submissionSize.width)
    }
    let probabilities = try o.saveProbs.map { path in
      try ProbabilityFileWriter(path: path, dtype: o.probsDtype, classes: predictor.classes, option: "--save-probs")
    }
    let logits = try o.saveLogits.map { path in
      try ProbabilityFileWriter(path: path, dtype: .float32, classes: predictor.classes, option: "--save-logits")
    }
    let planner = o.inference.planner(predictor, limits: ensemble.limits, processBytes: ensemble.processBytes)
    let tiling = try o.inference.tiling()
    var decisions: [[Int]: InferenceMemoryPlanner.Decision] = [:]
    let progress = inputs.count > 1 ? ProgressBar(total: inputs.count, label: "predict") : nil
    var predicted = 0
    var skipped = 0

    try predictor.running {
      for (index, input) in inputs.enumerated() {
        let image: RGBImage
        do {
          image = try input.read()
        } catch let error as DataError where o.skipBad {
          printError("warning: skipping \(input.imageID): \(error)")
          skipped += 1
          continue
        }
        let key = [image.height, image.width]
        if decisions[key] == nil {
          let decision = try planner.decide(
            height: image.height, width: image.width, tiling: tiling, automaticTiling: !o.inference.noTile,
            overlap: o.inference.overlap, weighting: o.inference.tileWeights, file: input.path)
          if let note = decision.note { printError("fcn predict: \(note)") }
          if decision.tiling != nil && logits != nil {
            throw DataError(
              file: input.path,
              problem:
                "this image is predicted in windows (it does not fit in memory whole), which gives probabilities, not logits: use --save-probs"
            )
          }
          decisions[key] = decision
        }
        let prediction = try predictor.predict(image, tiling: decisions[key]!.tiling)
        if let output = o.output {
          try writeMaskAndOverlay(prediction.labels, image: image, stem: input.stem, folder: output)
        }
        if let logits, let raw = prediction.logits {
          try logits.append(
            ProbabilityMap(classes: predictor.classes, height: image.height, width: image.width, values: raw),
            name: input.path)
        }
        try probabilities?.append(prediction.probabilities, name: input.path)
        try submission?.append(
          imageID: input.imageID, labels: prediction.labels, height: image.height, width: image.width)
        predicted += 1
        progress?.update(index + 1, fields: [:])
      }
    }
    progress?.finish()
    try submission?.finish()
    try probabilities?.finish()
    try logits?.finish()
    var line = "predicted \(predicted) image\(predicted == 1 ? "" : "s")"
    if skipped > 0 { line += " (skipped \(skipped) unreadable)" }
    if let output = o.output { line += " → \(output)" }
    if let s = o.submission { line += "; submission \(s) (\(submission!.rows) rows)" }
    print(line)
  }

  /// The images to predict: --input's files, or the COCO file's images in its order.
  func listInputs() throws -> [PredictionInput] {
    if let input = options.input {
      return try inputFiles(input).map { path in
        let name = (path as NSString).lastPathComponent
        return PredictionInput(
          imageID: name, stem: (name as NSString).deletingPathExtension, path: path, read: { try readImage(path) })
      }
    }
    let file = String(options.data!.dropFirst("coco:".count))
    let coco = try CocoDataset(annotationFile: file, imagesDirectory: options.images, annotationsRequired: false)
    guard coco.count > 0 else { throw DataError(file: file, problem: "lists no images") }
    return (0..<coco.count).map { i in
      PredictionInput(
        imageID: coco.fileName(at: i), stem: coco.sampleID(at: i), path: coco.imagePath(at: i),
        read: { try coco.sample(at: i).image })
    }
  }

  /// Every input must have one size (read from the files' headers) for a single (N, C, H, W)
  /// array: refused before anything is predicted when they differ. Unreadable headers are left to
  /// the prediction itself to report.
  func checkOneSize(_ inputs: [PredictionInput]) throws {
    var first: (input: PredictionInput, width: Int, height: Int)?
    for input in inputs {
      guard let size = imageHeaderSize(input.path) else { continue }
      guard let f = first else {
        first = (input, size.width, size.height)
        continue
      }
      if (size.width, size.height) != (f.width, f.height) {
        let option = options.saveProbs != nil ? "--save-probs" : "--save-logits"
        throw DataError(
          file: input.path,
          problem:
            "\(option) writes one (N, C, H, W) array, so all images must share one size: this one is \(size.width)x\(size.height), \(f.input.path) is \(f.width)x\(f.height) (WxH); predict each size separately"
        )
      }
    }
  }

  func writeMaskAndOverlay(_ labels: [Int32], image: RGBImage, stem: String, folder: String) throws {
    let mask = LabelMap(width: image.width, height: image.height, labels: labels.map { UInt8(clamping: $0) })
    let base = (folder as NSString).appendingPathComponent(stem)
    let directory = (base as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try writeLabelMap(mask, to: base + ".png")
    try writeImage(overlay(image, labels: mask), to: base + "_overlay.png")
  }
}
