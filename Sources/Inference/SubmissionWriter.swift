/// The competition submission file: header `image_id,PredictionString`, then one row per image
/// in the order given: the image id, then the predicted mask resized to the submission size
/// with OpenCV's INTER_NEAREST, flattened row by row, class ids separated by single spaces.
/// Rows go to disk as they come (an 819-image file at 256×256 is about 100 MB), into a
/// temporary file renamed over `path` by `finish()`.
public final class SubmissionWriter {
  public let path: String
  public let height: Int
  public let width: Int
  private let file: StreamingFile
  public private(set) var rows = 0

  public init(path: String, height: Int, width: Int) throws {
    self.path = path
    self.height = height
    self.width = width
    file = try StreamingFile(path: path)
    try file.append(Array("image_id,PredictionString\n".utf8))
  }

  /// Appends the row of one image whose labels are height × width, row-major.
  public func append(imageID: String, labels: [Int32], height labelHeight: Int, width labelWidth: Int) throws {
    let resized = resizeLabelsNearest(labels, height: labelHeight, width: labelWidth, toHeight: height, width: width)
    var row = Array(Self.csvField(imageID).utf8)
    row.reserveCapacity(row.count + 1 + 4 * resized.count)
    row.append(UInt8(ascii: ","))
    for (i, label) in resized.enumerated() {
      if i > 0 { row.append(UInt8(ascii: " ")) }
      appendDecimal(Int(label), to: &row)
    }
    row.append(UInt8(ascii: "\n"))
    try file.append(row)
    rows += 1
  }

  /// Completes the file (fsync, rename over `path`).
  public func finish() throws { try file.commit() }

  /// Leaves `path` as it was.
  public func abandon() { file.abandon() }

  /// A CSV field as RFC 4180 writes it: as is, or quoted (inner quotes doubled) when it holds
  /// a comma, a quote or a line break. COCO file names practically never do.
  static func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// Appends the decimal digits of a non-negative integer.
private func appendDecimal(_ value: Int, to out: inout [UInt8]) {
  if value < 10 {
    out.append(UInt8(48 + value))
    return
  }
  var digits: [UInt8] = []
  var v = value
  while v > 0 {
    digits.append(UInt8(48 + v % 10))
    v /= 10
  }
  out.append(contentsOf: digits.reversed())
}
