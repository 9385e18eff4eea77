import NN

/// config.json records the loss as the text `--loss` reads ("ce:1,dice:0.5"), so a person can
/// read it and paste it back; a run folder from before `--loss` has none and trained with ce.
extension SegmentationLoss: Codable {
  public init(from decoder: Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do { try self.init(parsing: text) } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(spec)
  }
}
