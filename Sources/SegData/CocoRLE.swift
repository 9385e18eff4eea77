// COCO masks as run-length encodings, reproducing pycocotools' maskApi.c bit for bit:
// rleFrPoly (polygon rasterisation: coordinates upsampled ×5, edges walked, y-boundary
// points downsampled), rleFrString (the LEB128-like compressed counts) and rleDecode.
// Runs are column-major (x outer, y inner) and alternate 0s and 1s, starting with 0s.

struct CocoRLE: Equatable {
  var height: Int
  var width: Int
  var counts: [UInt32]

  /// Problems come back as plain strings; the caller adds file and annotation id.
  struct Invalid: Error { var problem: String }

  /// C's (int) cast of a double as x86-64 does it (cvttsd2si): truncation toward zero, and
  /// INT_MIN for NaN or out-of-range values (maskApi.c hits NaN for repeated points; those
  /// values are never used, but Swift's Int(_:) would trap on them).
  @inline(__always) static func cInt(_ d: Double) -> Int {
    if d.isNaN || d >= 2_147_483_648.0 || d <= -2_147_483_649.0 { return Int(Int32.min) }
    return Int(d)
  }

  /// Most boundary points a polygon's edge walk may produce (two Int arrays of this length:
  /// 512 MiB). That is an outline of over 6 million pixels; a polygon with many far-apart
  /// points would otherwise walk (and allocate) without bound.
  static let maxPolygonWalk = 1 << 25

  /// rleFrPoly: `xy` holds x0, y0, x1, y1, ... (at least 3 points).
  static func fromPolygon(_ xy: [Double], height h: Int, width w: Int) throws -> CocoRLE {
    let k = xy.count / 2
    let scale = 5.0
    var x = [Int](repeating: 0, count: k + 1)
    var y = [Int](repeating: 0, count: k + 1)
    for j in 0..<k {
      x[j] = cInt(scale * xy[2 * j] + 0.5)
      y[j] = cInt(scale * xy[2 * j + 1] + 0.5)
    }
    x[k] = x[0]
    y[k] = y[0]
    var walk = 0
    for j in 0..<k {
      walk += max(abs(x[j + 1] - x[j]), abs(y[j + 1] - y[j])) + 1
      if walk > maxPolygonWalk {
        throw Invalid(
          problem:
            "outline is longer than \(maxPolygonWalk / 5) pixels (\(k) points over a \(w)x\(h) image): refusing to rasterise it"
        )
      }
    }
    // Dense boundary points along every edge (Bresenham-like, in the ×5 grid).
    var u = [Int]()
    var v = [Int]()
    u.reserveCapacity(walk)
    v.reserveCapacity(walk)
    for j in 0..<k {
      var xs = x[j]
      var xe = x[j + 1]
      var ys = y[j]
      var ye = y[j + 1]
      let dx = abs(xe - xs)
      let dy = abs(ys - ye)
      let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
      if flip {
        swap(&xs, &xe)
        swap(&ys, &ye)
      }
      let s = dx >= dy ? Double(ye - ys) / Double(dx) : Double(xe - xs) / Double(dy)
      if dx >= dy {
        for d in 0...dx {
          let t = flip ? dx - d : d
          u.append(t + xs)
          v.append(cInt(Double(ys) + s * Double(t) + 0.5))
        }
      } else {
        for d in 0...dy {
          let t = flip ? dy - d : d
          v.append(t + ys)
          u.append(cInt(Double(xs) + s * Double(t) + 0.5))
        }
      }
    }
    // Points where the boundary crosses a pixel-centre column, downsampled to pixel units.
    var bx = [Int]()
    var by = [Int]()
    if u.count > 1 {
      for j in 1..<u.count where u[j] != u[j - 1] {
        var xd = Double(u[j] < u[j - 1] ? u[j] : u[j] - 1)
        xd = (xd + 0.5) / scale - 0.5
        if xd.rounded(.down) != xd || xd < 0 || xd > Double(w - 1) { continue }
        var yd = Double(v[j] < v[j - 1] ? v[j] : v[j - 1])
        yd = (yd + 0.5) / scale - 0.5
        if yd < 0 { yd = 0 } else if yd > Double(h) { yd = Double(h) }
        yd = yd.rounded(.up)
        bx.append(Int(xd))
        by.append(Int(yd))
      }
    }
    // Boundary points sorted in column-major order become run lengths.
    var a = [UInt32]()
    a.reserveCapacity(bx.count + 1)
    for j in 0..<bx.count { a.append(UInt32(truncatingIfNeeded: bx[j] * h + by[j])) }
    a.append(UInt32(truncatingIfNeeded: h * w))
    a.sort()
    var p: UInt32 = 0
    for j in 0..<a.count {
      let t = a[j]
      a[j] = t &- p
      p = t
    }
    var b = [UInt32]()
    var j = 0
    b.append(a[j])
    j += 1
    while j < a.count {
      if a[j] > 0 {
        b.append(a[j])
        j += 1
      } else {
        j += 1
        if j < a.count {
          b[b.count - 1] &+= a[j]
          j += 1
        }
      }
    }
    return CocoRLE(height: h, width: w, counts: b)
  }

  /// rleFrString: 6 bits a character (ASCII 48...111), 5 data bits + continuation bit, sign in
  /// bit 4 of the last group; counts after the third are deltas from the count two before.
  static func fromCompressed(_ s: String, height: Int, width: Int) throws -> CocoRLE {
    let chars = Array(s.utf8)
    var cnts = [UInt32]()
    var p = 0
    while p < chars.count {
      var x: Int64 = 0
      var k = 0
      var more = true
      while more {
        guard p < chars.count else { throw Invalid(problem: "compressed RLE string ends in the middle of a count") }
        let c = Int64(chars[p]) - 48
        guard c >= 0 && c < 64 else {
          throw Invalid(problem: "compressed RLE string has invalid character '\(Character(Unicode.Scalar(chars[p])))'")
        }
        guard k < 12 else { throw Invalid(problem: "compressed RLE count is too long") }
        x |= (c & 0x1f) << (5 * k)
        more = (c & 0x20) != 0
        p += 1
        k += 1
        if !more && (c & 0x10) != 0 { x |= Int64(-1) << (5 * k) }
      }
      if cnts.count > 2 { x += Int64(cnts[cnts.count - 2]) }
      cnts.append(UInt32(truncatingIfNeeded: x))
    }
    return CocoRLE(height: height, width: width, counts: cnts)
  }

  /// This RLE, if its counts fit the image. Counts that run past the end are an error
  /// (pycocotools would write out of bounds); short counts leave zeros.
  func checked() throws -> CocoRLE {
    let total = height * width
    var pos = 0
    for c in counts {
      pos += Int(c)
      guard pos <= total else {
        throw Invalid(problem: "RLE counts add up to more than \(height)x\(width) = \(total) pixels")
      }
    }
    return self
  }

  /// rleDecode to a column-major 0/1 mask of height × width bytes.
  func decode() throws -> [UInt8] {
    var m = [UInt8](repeating: 0, count: height * width)
    try checked().forEachRun { pos, n in for i in pos..<(pos + n) { m[i] = 1 } }
    return m
  }

  /// Sets the pixels this RLE covers to `value` in a row-major `width`-wide label map (counts
  /// must have been checked).
  func paint(_ value: UInt8, intoRowMajor labels: inout [UInt8]) {
    let (h, w) = (height, width)
    forEachRun { pos, n in
      for i in pos..<(pos + n) { labels[(i % h) * w + i / h] = value }
    }
  }

  /// Calls `body(start, length)` for every run of 1s, in column-major positions.
  private func forEachRun(_ body: (Int, Int) -> Void) {
    var pos = 0
    var one = false
    for c in counts {
      let n = Int(c)
      if one && n > 0 { body(pos, n) }
      pos += n
      one.toggle()
    }
  }

  /// rleArea: the number of 1s.
  var area: Int {
    var a = 0
    var j = 1
    while j < counts.count {
      a += Int(counts[j])
      j += 2
    }
    return a
  }
}
