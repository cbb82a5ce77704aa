internal import FlintCore
internal import Foundation

/// A plain-text table with left-aligned columns, for the CLI's default output.
///
/// Cells may hold what handlers wrote (an error message, a key): shown as `TerminalText.escaped`.
struct Table: CustomStringConvertible {
    let headers: [String]
    let rows: [[String]]

    init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows.map { $0.map { TerminalText.escaped($0) } }
    }

    var description: String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
