import ProtoWire

/// One TensorBoard `Event` (tensorboard/compat/proto/event.proto): a wall time, a step and
/// either the file version (always the file's first record) or a `Summary` of values.
public struct Event: Equatable, Sendable {
  public var wallTime: Double
  public var step: Int64
  public var content: Content
  /// Which program wrote the file (Event.source_metadata.writer; TensorBoard's own writer puts
  /// it on the file_version record).
  public var sourceWriter: String?

  public enum Content: Equatable, Sendable {
    case fileVersion(String)
    case summary([SummaryValue])
  }

  public init(wallTime: Double, step: Int64, _ content: Content, sourceWriter: String? = nil) {
    self.wallTime = wallTime
    self.step = step
    self.content = content
    self.sourceWriter = sourceWriter
  }

  /// Field numbers: Event{wall_time = 1, step = 2, file_version = 3, summary = 5,
  /// source_metadata = 10}; SourceMetadata{writer = 1}.
  public var encoded: [UInt8] {
    var w = ProtoWriter()
    w.double(1, wallTime)
    w.int(2, step)
    switch content {
    case .fileVersion(let version):
      w.string(3, version, always: true)
    case .summary(let values):
      w.message(5) { s in
        for v in values { s.message(1) { v.encode(into: &$0) } }
      }
    }
    if let sourceWriter { w.message(10) { $0.string(1, sourceWriter) } }
    return w.bytes
  }
}

/// One `Summary.Value`: a tag with a scalar or a PNG image.
public struct SummaryValue: Equatable, Sendable {
  public var tag: String
  public var value: Kind

  public enum Kind: Equatable, Sendable {
    case scalar(Float)
    /// An encoded image (PNG) with its size and channel count (colorspace: 1 grey, 3 RGB, 4 RGBA).
    case image(height: Int, width: Int, colorspace: Int, encoded: [UInt8])
  }

  public init(tag: String, _ value: Kind) {
    self.tag = tag
    self.value = value
  }

  public static func scalar(_ tag: String, _ v: Float) -> SummaryValue { SummaryValue(tag: tag, .scalar(v)) }

  /// Field numbers: Summary.Value{tag = 1, simple_value = 2 (oneof), image = 4 (oneof)};
  /// Summary.Image{height = 1, width = 2, colorspace = 3, encoded_image_string = 4}.
  func encode(into w: inout ProtoWriter) {
    w.string(1, tag)
    switch value {
    case .scalar(let v):
      w.float(2, v, always: true)
    case .image(let height, let width, let colorspace, let encoded):
      w.message(4) { i in
        i.int(1, height)
        i.int(2, width)
        i.int(3, colorspace)
        i.byteString(4, encoded)
      }
    }
  }
}
