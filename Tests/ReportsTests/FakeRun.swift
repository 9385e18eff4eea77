import Foundation
import SegData
import SegMetrics
import XCTest

@testable import Reports

/// A run folder written by hand the way `fcn train` writes one (config.json, log.jsonl with
/// step and evaluation lines, confusion.json, metrics.json, a sample panel), so the report can be
/// tested without training.
enum FakeRun {
  static let classNames = ["background", "circle", "square", "triangle"]

  static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
  }

  @discardableResult
  static func write(
    to dir: URL, steps: Int = 200, evalEvery: Int = 50, lr: Double = 0.002, finished: Bool = true, seed: UInt64 = 1
  ) throws -> URL {
    let fm = FileManager.default
    try fm.createDirectory(at: dir.appendingPathComponent("samples"), withIntermediateDirectories: true)
    let config = """
      {"model": {"classes": 4, "model": "fcn8s", "width": 0.25},
       "train": {"batch": 8, "data": "synthetic:512", "lr": \(lr), "steps": \(steps), "seed": 0, "flip": true}}
      """
    try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    var rng = TestLCG(state: seed)
    var log = ""
    for s in 1...steps {
      let loss = 1.5 * exp(-Double(s) / Double(steps) * 3) + 0.1 * rng.uniform()
      log += "{\"epoch\":0,\"img_per_s\":\(30 + rng.uniform()),\"loss\":\(loss),\"lr\":\(lr),\"step\":\(s)}\n"
      if s % evalEvery == 0 {
        let f = Double(s) / Double(steps)
        let iou = (0..<4).map { c in c == 3 && s < steps ? "null" : "\(0.3 + 0.6 * f * Double(4 - c) / 4)" }
        log +=
          "{\"step\":\(s),\"val_class_iou\":[\(iou.joined(separator: ","))],\"val_fwiou\":\(0.5 + 0.4 * f),"
          + "\"val_mean_acc\":\(0.4 + 0.5 * f),\"val_miou\":\(0.3 + 0.5 * f),\"val_pixel_acc\":\(0.6 + 0.35 * f)}\n"
      }
    }
    try log.write(to: dir.appendingPathComponent("log.jsonl"), atomically: true, encoding: .utf8)
    let counts: [Int64] = [9000, 100, 50, 0, 30, 800, 20, 0, 40, 10, 700, 5, 60, 0, 0, 300]
    let matrix = try ConfusionMatrix(classes: 4, counts: counts)
    try EvaluationSnapshot(step: steps, classNames: classNames, matrix: matrix)
      .write(to: dir.appendingPathComponent("confusion.json"))
    if finished {
      try matrix.metrics(classNames: classNames).jsonData().write(to: dir.appendingPathComponent("metrics.json"))
    }
    let sample = try SyntheticShapes(count: 2, width: 40, height: 30, seed: 3).sample(at: 0)
    let panel = SamplePanel(
      image: sample.image, truth: sample.mask, prediction: sample.mask, classNames: classNames, name: "val/0")
    try Data(encodePNG(panel.render())).write(to: dir.appendingPathComponent("samples/val_0.png"))
    return dir
  }
}
