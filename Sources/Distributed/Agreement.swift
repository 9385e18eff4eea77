import Foundation

extension ProcessGroup {
  /// Checks that every process was started with the same settings: rank 0 sends its
  /// (option, value) list, each process compares its own, and all of them learn the first option
  /// that differs anywhere. Throws on every process, naming the option, rank 0's value and the
  /// value here; so a mistyped option on one host cannot silently train a different model.
  public func checkSameSettings(_ settings: [(option: String, value: String)]) throws {
    let mine = settings.map { [$0.option, $0.value] }
    let rootData = try broadcast(isRoot ? JSONEncoder().encode(mine) : Data())
    let root = try JSONDecoder().decode([[String]].self, from: rootData)
    // The index (from 1) of the first setting that differs here; 0 when all agree.
    var differs = Int32(0)
    if root.count != mine.count {
      differs = Int32(min(root.count, mine.count) + 1)
    } else if let i = mine.indices.first(where: { root[$0] != mine[$0] }) {
      differs = Int32(i + 1)
    }
    let first = try maximum(differs)
    guard first > 0 else { return }
    let i = Int(first) - 1
    let name = i < settings.count ? settings[i].option : (i < root.count ? root[i][0] : "settings")
    let rootValue = i < root.count ? root[i][1] : "(none)"
    if differs == first {
      let here = i < settings.count ? settings[i].value : "(none)"
      throw DistributedError(
        "rank \(rank): \(name) is \(here) here but \(rootValue) on rank 0; every process of a job must get the same options"
      )
    }
    throw DistributedError(
      "rank \(rank): another process of this job was started with a different \(name) (rank 0 has \(rootValue)); every process must get the same options"
    )
  }
}
