/// "Did you mean ...?" for misspelt keys and names.
public enum KeySuggestion {
    /// The candidate nearest to `word` by edit distance, when it is near enough to be a typo
    /// (at most 2 edits, and fewer than half of the word's letters).
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { (candidate: $0, distance: editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }),
              best.distance > 0, best.distance <= 2, best.distance * 2 < max(word.count, 2)
        else { return nil }
        return best.candidate
    }

    /// Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
    /// letters (optimal string alignment): a swap is the commonest typo (`auht`, `nmae`), and
    /// counting it as one edit lets short keys get their suggestion.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var beforePrevious = Array(repeating: 0, count: b.count + 1)
        var previous = Array(0 ... b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1 ... a.count {
            current[0] = i
            for j in 1 ... b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
