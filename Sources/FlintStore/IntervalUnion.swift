/// The total length of a union of intervals fed in order of their start.
struct IntervalUnion {
    private var merged: Int64 = 0
    private var current: (start: Int64, end: Int64)?

    mutating func add(_ start: Int64, _ end: Int64) {
        if let open = current, start <= open.end {
            current = (open.start, max(open.end, end))
        } else {
            if let open = current { merged += open.end - open.start }
            current = (start, end)
        }
    }

    var total: Int64 { merged + (current.map { $0.end - $0.start } ?? 0) }
}
