// `fcn export-masks`: one label PNG per sample (palette PNG with the VOC colours, indices =
// class ids), named by the sample id, so COCO annotations become a folder:/voc-style mask set.

import Foundation

public struct ExportReport: Sendable {
  public var written: Int
  public var skipped: [DataError]
}

/// Writes `<outputDirectory>/<sample id>.png` for every sample (sub-folders in ids are kept),
/// plus classes.txt. With `skipBad`, bad samples are reported to `warn` and skipped; otherwise
/// the first bad sample stops the export (files already written stay).
@discardableResult
public func exportMasks(
  dataset: SegmentationDataset, to outputDirectory: String, skipBad: Bool = false,
  warn: WarningSink = standardErrorWarningSink
) throws -> ExportReport {
  let fm = FileManager.default
  do {
    try fm.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
  } catch {
    throw DataError(file: outputDirectory, problem: "cannot create output directory (\(error.localizedDescription))")
  }
  var report = ExportReport(written: 0, skipped: [])
  for i in 0..<dataset.count {
    let mask: LabelMap
    do {
      // COCO needs no image decode for its masks; other kinds read the sample (and check it).
      if let coco = dataset as? CocoDataset {
        mask = try coco.labelMap(at: i)
      } else {
        mask = try dataset.sample(at: i).mask
      }
    } catch let e as DataError where skipBad {
      warn("skipping \(dataset.sampleID(at: i)): \(e)")
      report.skipped.append(e)
      continue
    }
    let path = join(outputDirectory, dataset.sampleID(at: i) + ".png")
    let parent = (path as NSString).deletingLastPathComponent
    if !isDirectory(parent) { try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    try writeFileBytes(try encodePalettePNG(mask), to: path)
    report.written += 1
  }
  try writeFileBytes(
    Array((dataset.classNames.joined(separator: "\n") + "\n").utf8), to: join(outputDirectory, "classes.txt"))
  return report
}
