import Foundation
import WeightIO
import XCTest

/// The interop outputs of the command line (issue 16): the TensorBoard files `fcn train`
/// writes, `fcn export --onnx` and `fcn convert … .pth`, as a user runs them. (The formats
/// themselves are checked against Python's own writers in InteropTests.)
final class InteropCommandTests: XCTestCase {
  /// Every scalar of log.jsonl is in the run's event file, at its step, as float32; each
  /// evaluation also logs per-class IoU and the confusion matrix, the last one the samples.
  func testTrainWritesTensorBoardEventsMatchingTheLog() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let r = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 12, checkpointEvery: 0) + ["--eval-every", "6"], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let tb = run.appendingPathComponent("tb")
    let files = try FileManager.default.contentsOfDirectory(atPath: tb.path)
    XCTAssertEqual(files.count, 1, "\(files)")
    XCTAssertTrue(files[0].hasPrefix("events.out.tfevents."), files[0])
    let events = try readEventFile(tb.appendingPathComponent(files[0]))
    XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")

    var logged: [String: [(Int64, Float)]] = [:]
    let keys = [
      "loss": "train/loss", "lr": "train/lr", "img_per_s": "train/img_per_s", "val_miou": "val/miou",
      "val_pixel_acc": "val/pixel_acc", "val_mean_acc": "val/mean_acc", "val_fwiou": "val/fwiou",
    ]
    for line in try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
    {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      let step = Int64(object["step"] as! Int)
      for (key, tag) in keys {
        if let v = object[key] as? Double { logged[tag, default: []].append((step, Float(v))) }
      }
    }
    var board: [String: [(Int64, Float)]] = [:]
    var images: [String] = []
    for e in events.dropFirst() {
      for v in e.values {
        if let s = v.scalar { board[v.tag, default: []].append((e.step, s)) } else { images.append(v.tag) }
      }
    }
    XCTAssertEqual(logged["train/loss"]?.count, 12)
    XCTAssertEqual(logged["val/miou"]?.count, 2, "evaluations at step 6 and at the end")
    for (tag, values) in logged {
      XCTAssertEqual(board[tag]?.map(\.0), values.map(\.0), "\(tag) steps")
      XCTAssertEqual(board[tag]?.map(\.1), values.map(\.1), "\(tag) values")
    }
    let perClass = board.keys.filter { $0.hasPrefix("val_iou/") }
    XCTAssertFalse(perClass.isEmpty, "per-class IoU")
    XCTAssertEqual(images.filter { $0 == "val/confusion" }.count, 2)
    XCTAssertTrue(images.contains { $0.hasPrefix("samples/") }, "\(images)")
  }

  func testExportWritesONNXAndRefusesBadArguments() throws {
    let dir = try makeTempDir(self)
    let weights = try TinyRun.weights().path
    let out = dir.appendingPathComponent("tiny.onnx")
    let ok = try FCNExecutable.run(["export", "--weights", weights, "--onnx", out.path], outputIn: dir)
    XCTAssertEqual(ok.status, 0, ok.stderr)
    let bytes = [UInt8](try Data(contentsOf: out))
    XCTAssertGreaterThan(bytes.count, 1000)
    XCTAssertEqual(bytes.first, 0x08, "ModelProto starts with ir_version (field 1, varint)")

    for (args, status, says) in [
      (["--opset", "5"], Int32(2), "--opset"),
      (["--size", "0x40"], 2, "--size"),
      (["--size", "32x32", "--dynamic"], 2, "--dynamic"),
    ] {
      let r = try FCNExecutable.run(["export", "--weights", weights, "--onnx", out.path] + args, outputIn: dir)
      XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(says), "\(args): \(r.stderr)")
    }
    let missing = dir.appendingPathComponent("none.safetensors").path
    let r = try FCNExecutable.run(["export", "--weights", missing, "--onnx", out.path], outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains(missing), r.stderr)
    XCTAssertEqual([UInt8](try Data(contentsOf: out)), bytes, "a failed export must leave the earlier file alone")
  }

  func testConvertWritesPthThatReadsBackAsTheWeights() throws {
    let dir = try makeTempDir(self)
    let weights = try TinyRun.weights()
    let out = dir.appendingPathComponent("fcn.pth")
    let r = try FCNExecutable.run(
      ["convert", weights.path, out.path, "--rename", "score_fr.=head.score."], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let (source, _) = try SafeTensors.read(contentsOf: weights)
    let read = try TorchCheckpoint.load(contentsOf: out)
    var expected = source
    for (k, v) in source where k.hasPrefix("score_fr.") {
      expected[k] = nil
      expected["head.score." + k.dropFirst("score_fr.".count)] = v
    }
    XCTAssertEqual(Set(read.keys), Set(expected.keys))
    for (k, v) in expected { XCTAssertEqual(read[k], v, k) }
    let bad = try FCNExecutable.run(["convert", weights.path, dir.appendingPathComponent("x.txt").path], outputIn: dir)
    XCTAssertEqual(bad.status, 2, bad.stderr)
  }
}

/// One event of a TensorBoard file, decoded just enough for the test.
struct DecodedEvent {
  var step: Int64 = 0
  var fileVersion: String?
  var values: [(tag: String, scalar: Float?)] = []
}

/// Reads TFRecords (checking lengths; the CRCs are InteropTests' business) and the Event fields
/// the test needs: step = 2, file_version = 3, summary = 5 → value = 1 → tag = 1, simple_value = 2.
func readEventFile(_ url: URL) throws -> [DecodedEvent] {
  let b = [UInt8](try Data(contentsOf: url))
  var events: [DecodedEvent] = []
  var i = 0
  while i < b.count {
    let length = (0..<8).reduce(0) { $0 | Int(b[i + $1]) << (8 * $1) }
    let data = Array(b[(i + 12)..<(i + 12 + length)])
    i += 12 + length + 4
    var e = DecodedEvent()
    for (field, value) in protoFields(data) {
      switch (field, value) {
      case (2, .varint(let v)): e.step = Int64(bitPattern: v)
      case (3, .bytes(let s)): e.fileVersion = String(decoding: s, as: UTF8.self)
      case (5, .bytes(let summary)):
        for case (1, .bytes(let value)) in protoFields(summary) {
          var tag = ""
          var scalar: Float?
          for (f, v) in protoFields(value) {
            if f == 1, case .bytes(let t) = v { tag = String(decoding: t, as: UTF8.self) }
            if f == 2, case .fixed32(let bits) = v { scalar = Float(bitPattern: bits) }
          }
          e.values.append((tag, scalar))
        }
      default: break
      }
    }
    events.append(e)
  }
  return events
}

enum ProtoValue {
  case varint(UInt64)
  case fixed64(UInt64)
  case bytes([UInt8])
  case fixed32(UInt32)
}

/// The top-level fields of a protobuf message.
func protoFields(_ b: [UInt8]) -> [(Int, ProtoValue)] {
  var out: [(Int, ProtoValue)] = []
  var i = 0
  func varint() -> UInt64 {
    var v: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = b[i]
      i += 1
      v |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return v }
      shift += 7
    }
  }
  func le(_ n: Int) -> UInt64 {
    defer { i += n }
    return (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) }
  }
  while i < b.count {
    let key = varint()
    let field = Int(key >> 3)
    switch key & 7 {
    case 0: out.append((field, .varint(varint())))
    case 1: out.append((field, .fixed64(le(8))))
    case 2:
      let n = Int(varint())
      out.append((field, .bytes(Array(b[i..<i + n]))))
      i += n
    case 5: out.append((field, .fixed32(UInt32(le(4)))))
    default: return out
    }
  }
  return out
}
