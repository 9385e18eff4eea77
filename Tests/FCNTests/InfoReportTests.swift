import FCN
import XCTest

final class InfoReportTests: XCTestCase {
  func testFCN8sAt500x375() throws {
    let config = try ModelConfig(model: "fcn8s", classes: 21)
    let info = try modelInfo(config: config, height: 375, width: 500, batch: 1)
    // By hand: VGG16 convs 14,714,688; fc6 4096·512·49 + 4096; fc7 4096² + 4096; score_fr
    // 4096·21 + 21; score_pool4 512·21 + 21; score_pool3 256·21 + 21; deconvs 21²·(16 + 16 + 256).
    let expected =
      14_714_688 + (4096 * 512 * 49 + 4096) + (4096 * 4096 + 4096) + (4096 * 21 + 21) + (512 * 21 + 21)
      + (256 * 21 + 21) + 21 * 21 * (16 + 16 + 256)
    XCTAssertEqual(info.parameterCount, expected)
    XCTAssertEqual(info.trainableParameterCount, expected - 21 * 21 * (16 + 16 + 256), "bilinear deconvs are frozen")
    let rows = Dictionary(uniqueKeysWithValues: info.layers.map { ($0.name, $0) })
    // 375 + 198 = 573 → ceil pools 287, 144, 72, 36, 18 → fc6 12; 500 + 198 = 698 → 349, 175, 88, 44, 22 → 16.
    XCTAssertEqual(rows["conv1_1"]?.outputShape, [1, 64, 573, 698])
    XCTAssertEqual(rows["pool5"]?.outputShape, [1, 512, 18, 22])
    XCTAssertEqual(rows["fc6"]?.outputShape, [1, 4096, 12, 16])
    XCTAssertEqual(rows["pool5"]?.receptiveField, 212)
    XCTAssertEqual(rows["fc6"]?.receptiveField, 404)
    XCTAssertEqual(rows["fc6"]?.stride, 32)
    XCTAssertEqual(rows["score"]?.outputShape, [1, 21, 375, 500])
    XCTAssertEqual(info.crops.map(\.offset), [5, 9, 31])
    // fc6 alone: 2 · 12 · 16 · 4096 · 512 · 49 FLOPs.
    XCTAssertEqual(rows["fc6"]?.flops, 2 * 12 * 16 * 4096 * 512 * 49)
    let text = try infoReport(config: config, height: 375, width: 500, batch: 1)
    print(text)
    for needle in ["score_pool4c", "pads by 100", "7×7", "134,489,759", "GFLOP"] {
      XCTAssertTrue(text.contains(needle), "report lacks '\(needle)'")
    }
  }

  func testSeedReportExplainsThe250Crash() throws {
    let config = try ModelConfig(model: "course-fcn8", classes: 5, width: 1.0 / 16, fc: 32)
    let info = try modelInfo(config: config, height: 250, width: 250, batch: 2)
    let notes = info.notes.joined(separator: " ")
    XCTAssertTrue(notes.contains("pool4 15×15 and pool5 7×7") && notes.contains("14×14"), notes)
    XCTAssertTrue(notes.contains("pads to 256×256"), notes)
    XCTAssertFalse(try infoReport(config: config, height: 250, width: 250, batch: 2).isEmpty)
    XCTAssertEqual(info.layers.last?.outputShape, [2, 5, 250, 250])
    XCTAssertEqual(
      info.layers.first { $0.name == "conv4.12" }?.outputShape, [2, 32, 16, 16], "pool4 of the padded 256×256 input")
  }
}
