import Foundation
import SegData
import Training
import XCTest

/// config.json is how `fcn eval` and `fcn predict` learn a run's data set and normalisation:
/// it must read back what this version writes, and still read what earlier versions wrote.
final class TrainOptionsCodingTests: XCTestCase {
  func roundTrip(_ o: TrainOptions) throws -> TrainOptions {
    try JSONDecoder().decode(TrainOptions.self, from: JSONEncoder().encode(o))
  }

  func testEveryFieldRoundTrips() throws {
    var o = TrainOptions()
    o.model = .courseFCN16
    o.data = "coco:train.json"
    o.images = "images"
    o.crop = ImageSize(height: 96, width: 128)
    o.optimizer = .adam
    o.schedule = .cosine
    o.precision = .bf16
    o.normalize = .caffe
    o.clipNorm = 5
    o.classWeights = [0.5, 2]
    o.scaleJitter = 0.5...2
    o.flip = false
    XCTAssertEqual(try roundTrip(o), o)
    XCTAssertEqual(try roundTrip(TrainOptions()), TrainOptions())
  }

  /// The choices are written as the strings they were before they were types, and the scale
  /// range as [MIN, MAX].
  func testChoicesAndScaleRangeAreWrittenAsPlainJSON() throws {
    var o = TrainOptions()
    o.optimizer = .adamw
    o.schedule = .step
    o.normalize = .none
    o.scaleJitter = 0.9...1.1
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(o)) as? [String: Any])
    XCTAssertEqual(object["optimizer"] as? String, "adamw")
    XCTAssertEqual(object["schedule"] as? String, "step")
    XCTAssertEqual(object["precision"] as? String, "fp32")
    XCTAssertEqual(object["normalize"] as? String, "none")
    XCTAssertEqual(object["scaleJitter"] as? [Double], [0.9, 1.1])
    XCTAssertEqual(object["flip"] as? Bool, true)
  }

  /// The "train" object of a config.json written before the options were typed: string
  /// choices, and scaleJitter a Bool (false: no scaling; true: the default range).
  func testConfigFromBeforeTheTypesDecodes() throws {
    let old = """
      {"accumulate": 2, "batch": 4, "checkpointEvery": 50, "data": "voc:VOCdevkit/VOC2012", "evalEvery": 100,
       "flip": false, "learningRate": 0.001, "model": "seed-fcn8", "momentum": 0.99, "normalize": "caffe",
       "optimizer": "adamw", "precision": "fp32", "scaleJitter": false, "schedule": "cosine", "seed": 7,
       "skipBad": true, "steps": 300, "syntheticSize": {"height": 64, "width": 64}, "warmup": 20,
       "weightDecay": 0.0005, "workers": 2, "crop": {"height": 320, "width": 320}}
      """
    let o = try JSONDecoder().decode(TrainOptions.self, from: Data(old.utf8))
    XCTAssertEqual(o.model, .courseFCN8)
    XCTAssertEqual(o.data, "voc:VOCdevkit/VOC2012")
    XCTAssertEqual(o.optimizer, .adamw)
    XCTAssertEqual(o.schedule, .cosine)
    XCTAssertEqual(o.precision, .fp32)
    XCTAssertEqual(o.normalize, .caffe)
    XCTAssertEqual(o.crop, ImageSize(height: 320, width: 320))
    XCTAssertEqual([o.batch, o.accumulate, o.steps, o.workers, o.warmup], [4, 2, 300, 2, 20])
    XCTAssertEqual(o.seed, 7)
    XCTAssertEqual(o.learningRate, 0.001)
    XCTAssertEqual(o.momentum, 0.99)
    XCTAssertEqual(o.evalEvery, 100)
    XCTAssertTrue(o.skipBad)
    XCTAssertFalse(o.flip)
    XCTAssertNil(o.scaleRange, "scaleJitter false meant no scaling")
    XCTAssertNil(o.epochs)
    XCTAssertNil(o.images)

    let jittered = old.replacingOccurrences(of: #""scaleJitter": false"#, with: #""scaleJitter": true"#)
    let j = try JSONDecoder().decode(TrainOptions.self, from: Data(jittered.utf8))
    XCTAssertEqual(j.scaleRange, TrainOptions.defaultScaleJitter, "scaleJitter true meant the default range")
  }

  /// A field added after a config was written takes its default instead of failing the whole file.
  func testMissingFieldsTakeTheirDefaults() throws {
    let o = try JSONDecoder().decode(TrainOptions.self, from: Data(#"{"data": "folder:x"}"#.utf8))
    var expected = TrainOptions()
    expected.data = "folder:x"
    XCTAssertEqual(o, expected)
  }

  func testUnknownChoiceIsAnError() {
    XCTAssertThrowsError(try JSONDecoder().decode(TrainOptions.self, from: Data(#"{"optimizer": "lbfgs"}"#.utf8)))
  }

  func testScaleJitterMustBePositive() {
    var o = TrainOptions()
    o.scaleJitter = 0...1
    XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("--scale-jitter"), "\($0)") }
    o.scaleJitter = 1...1
    XCTAssertNoThrow(try o.validate())
    XCTAssertNil(o.scaleRange, "1...1 scales nothing and draws nothing")
  }
}
