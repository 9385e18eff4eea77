import ArgumentParser
import SegData

/// `fcn export-masks`: the COCO-to-PNG conversion people otherwise script in Python.
struct ExportMasksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-masks", abstract: "Write one label PNG per image of a data set (e.g. COCO polygons → PNG).")

  @Option(help: "Data set, KIND:PATH (coco:ANN.json, voc:DIR, folder:DIR, cityscapes:DIR, synthetic:N).") var data:
    String
  @Option(help: "Output folder.") var out: String
  @Option(help: "Images folder for COCO (default: next to the JSON).") var images: String?
  @Flag(help: "Warn about and skip bad samples instead of stopping.") var skipBad = false

  func run() throws {
    let dataset = try openDataset(spec: data, split: nil, imagesDirectory: images)
    let report = try exportMasks(dataset: dataset, to: out, skipBad: skipBad)
    print(
      "wrote \(report.written) masks to \(out)" + (report.skipped.isEmpty ? "" : ", skipped \(report.skipped.count)"))
  }
}
