import Distributed
import FCN
import Foundation
import Tensor
import Training

/// `mpirun -np N fcn train …`: joins the MPI job when a launcher started this process (nil for
/// a plain `fcn train`, which never touches MPI). Ranks other than 0 print nothing: their
/// standard output goes to /dev/null (errors still reach standard error).
func joinDataParallelJob() throws -> ProcessGroup? {
  guard let group = try ProcessGroup.joinIfLaunched() else { return nil }
  if !group.isRoot {
    fflush(stdout)
    let null = open("/dev/null", O_WRONLY)
    if null >= 0 {
      dup2(null, STDOUT_FILENO)
      close(null)
    }
  }
  return group
}

/// What every process of a job must agree on, as (option, value) pairs named as the user typed
/// them: every training option, every model setting, and the run folder, --resume and --init.
func dataParallelSettings(
  options: TrainOptions, config: ModelConfig, run: RunFolder, resume: Bool, initFrom: String?
) throws -> [(option: String, value: String)] {
  var settings: [(option: String, value: String)] = []
  func add(_ object: Data, rename: [String: String]) throws {
    guard let fields = try JSONSerialization.jsonObject(with: object) as? [String: Any] else { return }
    for key in fields.keys.sorted() {
      let value = try JSONSerialization.data(withJSONObject: fields[key]!, options: [.sortedKeys, .fragmentsAllowed])
      settings.append((rename[key] ?? optionName(key), String(decoding: value, as: UTF8.self)))
    }
  }
  try add(
    JSONEncoder().encode(options),
    rename: [
      "learningRate": "--lr", "initFrom": "--init", "syncBN": "--sync-bn",
      "worldSize": "the number of processes",
    ])
  try add(JSONEncoder().encode(config), rename: [:])
  settings.append(("--run", run.directory.standardizedFileURL.path))
  settings.append(("--resume", "\(resume)"))
  settings.append(("--init", initFrom ?? "(none)"))
  // Weights of 16 MiB and more keep their gradients in oneDNN's blocked layout, which follows
  // the instruction set: hosts that differ would add up gradients laid out differently.
  settings.append(
    ("the CPU instruction set oneDNN uses (set ONEDNN_MAX_CPU_ISA to the same on every host)", "\(Engine.isa)"))
  return settings
}

/// camelCase field → --kebab-case option.
private func optionName(_ key: String) -> String {
  var out = "--"
  for c in key {
    if c.isUppercase {
      out += "-" + c.lowercased()
    } else {
      out.append(c)
    }
  }
  return out
}
