/// The largest tensor, in bytes, oneDNN 3.2's kernels can take: past 2 GiB its convolutions
/// crash (seen: course-fcn8 on a whole 4000×3000 photo, conv1's 64 × 3008 × 4000 floats =
/// 3.08 GB, segfaults with a sign-extended 32-bit offset), however much memory the machine
/// has. Planners treat a pass with a larger activation as one that does not fit.
public let largestTensorBytes = Int(Int32.max)
