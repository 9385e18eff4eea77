// Nearest-neighbour resizing of label maps exactly as OpenCV's cv2.resize(...,
// interpolation=cv2.INTER_NEAREST) does it (resizeNN in imgproc/src/resize.cpp): output index x
// reads source index min(floor(x · (1 / (dst / src))), src − 1), computed in doubles. That is
// floor(x · src / dst) in exact arithmetic, but not always in doubles: for 2 → 98, x = 49 gives
// 0 where the exact quotient gives 1, and OpenCV says 0. Leaderboards built their expected
// masks with OpenCV, so we reproduce its rounding, not the exact quotient. Unlike SegData's
// resizeNearest (half-pixel centres, for training), there is no +0.5 here.

/// Source index for each of `destination` output indices, as OpenCV's INTER_NEAREST.
public func openCVNearestIndices(destination: Int, source: Int) -> [Int] {
  let inverseScale = 1.0 / (Double(destination) / Double(source))
  return (0..<destination).map { min(Int((Double($0) * inverseScale).rounded(.down)), source - 1) }
}

/// A row-major height × width label array resized to the target size with OpenCV's INTER_NEAREST.
public func resizeLabelsNearest(
  _ labels: [Int32], height: Int, width: Int, toHeight outHeight: Int, width outWidth: Int
) -> [Int32] {
  precondition(labels.count == height * width, "resizeLabelsNearest: label count does not match size")
  if outHeight == height && outWidth == width { return labels }
  let xs = openCVNearestIndices(destination: outWidth, source: width)
  let ys = openCVNearestIndices(destination: outHeight, source: height)
  var out = [Int32](repeating: 0, count: outHeight * outWidth)
  for y in 0..<outHeight {
    let row = ys[y] * width
    for x in 0..<outWidth { out[y * outWidth + x] = labels[row + xs[x]] }
  }
  return out
}
