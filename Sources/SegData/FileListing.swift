// Small file-system helpers shared by the folder-based data set kinds.

import Foundation

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

func isDirectory(_ path: String) -> Bool {
  var dir: ObjCBool = false
  return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}

func join(_ a: String, _ parts: String...) -> String {
  parts.reduce(a) { ($0 as NSString).appendingPathComponent($1) }
}

func stem(_ path: String) -> String {
  ((path as NSString).lastPathComponent as NSString).deletingPathExtension
}

/// Sorted names of the directory's entries; a missing directory is a DataError.
func listDirectory(_ path: String) throws -> [String] {
  guard isDirectory(path) else { throw DataError(file: path, problem: "directory not found") }
  do {
    return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
  } catch {
    throw DataError(file: path, problem: "cannot list directory (\(error.localizedDescription))")
  }
}

/// Non-empty, trimmed lines of a text file (ids lists, class names); '#' starts a comment.
func readLines(_ path: String) throws -> [String] {
  let bytes = try readFileBytes(path)
  guard let text = String(bytes: bytes, encoding: .utf8) else { throw DataError(file: path, problem: "not UTF-8 text") }
  return text.split(whereSeparator: \.isNewline)
    .map { $0.trimmingCharacters(in: .whitespaces) }
    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
}
