// Reading and writing image files; the format is chosen by the file's first bytes, not its name.

import Foundation

enum ImageFormat { case png, jpeg }

func sniffFormat(_ data: [UInt8]) -> ImageFormat? {
  if data.count >= 8 && data[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
  if data.count >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF { return .jpeg }
  return nil
}

/// Reads a whole file; a missing or unreadable file is a DataError naming it.
public func readFileBytes(_ path: String) throws -> [UInt8] {
  guard FileManager.default.fileExists(atPath: path) else {
    throw DataError(file: path, problem: "file not found")
  }
  guard let data = FileManager.default.contents(atPath: path) else {
    throw DataError(file: path, problem: "cannot read file")
  }
  return [UInt8](data)
}

/// Decodes PNG or JPEG bytes to RGB; anything else is "not an image".
public func decodeImage(_ data: [UInt8], name: String) throws -> RGBImage {
  if data.isEmpty { throw DataError(file: name, problem: "empty file") }
  switch sniffFormat(data) {
  case .png: return try decodePNG(data, name: name)
  case .jpeg: return try decodeJPEG(data, name: name)
  case nil: throw DataError(file: name, problem: "not a PNG or JPEG image")
  }
}

public func readImage(_ path: String) throws -> RGBImage {
  try decodeImage(try readFileBytes(path), name: path)
}

/// Reads a label mask (PNG only: JPEG's lossy compression would corrupt class ids).
public func readLabelMap(_ path: String) throws -> LabelMap {
  let data = try readFileBytes(path)
  if data.isEmpty { throw DataError(file: path, problem: "empty file") }
  switch sniffFormat(data) {
  case .png: return try decodePNGLabels(data, name: path)
  case .jpeg: throw DataError(file: path, problem: "mask is a JPEG; lossy compression corrupts class ids, use PNG")
  case nil: throw DataError(file: path, problem: "not a PNG image")
  }
}

/// Writes bytes atomically (temp file + rename) so a crash never leaves half a file.
public func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
  do {
    try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
  } catch {
    throw DataError(file: path, problem: "cannot write file (\(error.localizedDescription))")
  }
}
