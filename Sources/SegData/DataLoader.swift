// The parallel loader: worker threads read, decode, augment and stack whole batches ahead of
// the consumer, at most `prefetch` batches ahead (bounded memory). Every random choice comes
// from a generator seeded by (seed, epoch, sample index), and the shuffle from (seed, epoch),
// so the batches are identical whatever the number of workers or the timing.

import Foundation
import SeededRandom

public struct LoaderConfig: Sendable {
  public var batchSize: Int
  public var shuffle: Bool
  /// Drop the last, smaller batch of an epoch (training); keep it for evaluation.
  public var dropLast: Bool
  /// Worker threads; 0 reads on the consumer's thread.
  public var workers: Int
  /// Batches decoded ahead of the consumer (default 2 per worker).
  public var prefetch: Int
  public var seed: UInt64
  public var augmentation: Augmentation
  public var normalization: Normalization
  /// Warn and skip bad samples (DataError) instead of stopping with the error.
  public var skipBad: Bool
  /// Data-parallel training: this process builds only its part of every batch (see LoaderShard).
  public var shard: LoaderShard? = nil

  public init(
    batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, workers: Int = 2, prefetch: Int? = nil,
    seed: UInt64 = 0, augmentation: Augmentation = .identity, normalization: Normalization = .imagenet,
    skipBad: Bool = false
  ) {
    self.batchSize = max(1, batchSize)
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.workers = max(0, workers)
    self.prefetch = max(1, prefetch ?? 2 * max(1, workers))
    self.seed = seed
    self.augmentation = augmentation
    self.normalization = normalization
    self.skipBad = skipBad
  }
}

public final class DataLoader: Sendable {
  public let dataset: SegmentationDataset
  public let config: LoaderConfig
  let warn: WarningSink

  public init(
    dataset: SegmentationDataset, config: LoaderConfig, warn: @escaping WarningSink = standardErrorWarningSink
  ) {
    self.dataset = dataset
    self.config = config
    self.warn = warn
  }

  public var batchesPerEpoch: Int {
    config.dropLast ? dataset.count / config.batchSize : (dataset.count + config.batchSize - 1) / config.batchSize
  }

  /// The sample order of an epoch (a seeded permutation when shuffling).
  public func order(epoch: Int) -> [Int] {
    config.shuffle
      ? SplitMix64.permutation(dataset.count, seed: SplitMix64.mix(config.seed, UInt64(epoch), 0x5107))
      : Array(0..<dataset.count)
  }

  /// The batches of one epoch from `position.batch` on. Iterate with `next()`; dropping the
  /// stream (or calling `cancel()`) stops its workers.
  public func batches(from position: LoaderPosition) -> BatchStream {
    BatchStream(loader: self, epoch: position.epoch, start: max(0, position.batch))
  }

  public func batches(epoch: Int) -> BatchStream { batches(from: LoaderPosition(epoch: epoch, batch: 0)) }

  /// Builds batch `k` of `epoch` (on any thread). nil when skip-bad removed every sample.
  func makeBatch(epoch: Int, k: Int, order: [Int]) throws -> Batch? {
    var lo = k * config.batchSize
    var hi = min(lo + config.batchSize, order.count)
    if let shard = config.shard { (lo, hi) = shard.part(of: lo..<hi) }
    var items: [(index: Int, sample: Sample)] = []
    for index in order[lo..<hi] {
      do {
        let raw = try dataset.sample(at: index)
        var rng = SplitMix64(seed: SplitMix64.mix(config.seed, UInt64(epoch), UInt64(index), 0xA06))
        items.append((index, config.augmentation.apply(raw, rng: &rng)))
      } catch let e as DataError where config.skipBad {
        warn("skipping sample \(dataset.sampleID(at: index)): \(e)")
      }
    }
    if items.isEmpty { return nil }
    let next =
      k + 1 < batchesPerEpoch ? LoaderPosition(epoch: epoch, batch: k + 1) : LoaderPosition(epoch: epoch + 1, batch: 0)
    return stack(
      items, normalization: config.normalization, position: LoaderPosition(epoch: epoch, batch: k), next: next)
  }
}

/// One epoch's batches, in order. Errors from workers come out of `next()` in batch order,
/// after every earlier batch; the first error stops all workers. Dropping the stream stops its
/// workers too (they hold only the shared state, never the stream itself).
public final class BatchStream: @unchecked Sendable {
  private let state: EpochState

  init(loader: DataLoader, epoch: Int, start: Int) {
    state = EpochState(loader: loader, epoch: epoch, start: start)
    if loader.config.workers > 0 && start < state.end {
      state.runningWorkers = loader.config.workers
      for w in 0..<loader.config.workers {
        let shared = state
        let t = Thread { shared.workerLoop() }
        t.name = "segdata-loader-\(w)"
        t.start()
      }
    }
  }

  deinit { state.cancel() }

  /// Stops the workers (they finish the batch in hand and exit); `next()` then returns nil.
  public func cancel() { state.cancel() }

  /// Waits until every worker thread has exited (for tests and clean shutdown).
  public func waitForWorkers() { state.waitForWorkers() }

  /// The next batch, nil at the end of the epoch. Throws the first error (DataError for bad
  /// input without skip-bad); after an error the stream is finished.
  public func next() throws -> Batch? { try state.next() }
}

/// The state one epoch's consumer and workers share, guarded by `condition`.
final class EpochState: @unchecked Sendable {
  let loader: DataLoader
  let epoch: Int
  let order: [Int]
  let end: Int
  let condition = NSCondition()
  var nextToClaim: Int
  var consumed: Int
  var results: [Int: Result<Batch?, Error>] = [:]
  var stopped = false
  var failed = false
  var runningWorkers = 0

  init(loader: DataLoader, epoch: Int, start: Int) {
    self.loader = loader
    self.epoch = epoch
    self.order = loader.order(epoch: epoch)
    self.end = loader.batchesPerEpoch
    self.nextToClaim = start
    self.consumed = start
  }

  func cancel() {
    condition.lock()
    stopped = true
    results.removeAll()
    condition.broadcast()
    condition.unlock()
  }

  func waitForWorkers() {
    condition.lock()
    while runningWorkers > 0 { condition.wait() }
    condition.unlock()
  }

  func workerLoop() {
    let prefetch = loader.config.prefetch
    while true {
      condition.lock()
      while !stopped && !failed && nextToClaim < end && nextToClaim >= consumed + prefetch { condition.wait() }
      if stopped || failed || nextToClaim >= end {
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
        return
      }
      let k = nextToClaim
      nextToClaim += 1
      condition.unlock()

      let result = Result { try loader.makeBatch(epoch: epoch, k: k, order: order) }

      condition.lock()
      if !stopped { results[k] = result }
      if case .failure = result { failed = true }
      condition.broadcast()
      condition.unlock()
    }
  }

  func next() throws -> Batch? {
    while true {
      condition.lock()
      if stopped || consumed >= end {
        condition.unlock()
        return nil
      }
      let k = consumed
      let result: Result<Batch?, Error>
      if loader.config.workers == 0 {
        condition.unlock()
        result = Result { try loader.makeBatch(epoch: epoch, k: k, order: order) }
        condition.lock()
      } else {
        while results[k] == nil && !stopped { condition.wait() }
        guard !stopped, let r = results.removeValue(forKey: k) else {
          condition.unlock()
          return nil
        }
        result = r
      }
      consumed = k + 1
      condition.broadcast()
      condition.unlock()
      switch result {
      case .success(let batch?): return batch
      case .success(nil): continue  // every sample of this batch was skipped
      case .failure(let error):
        cancel()
        throw error
      }
    }
  }
}
