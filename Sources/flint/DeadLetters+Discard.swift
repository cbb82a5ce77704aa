internal import ArgumentParser
internal import FlintServer
internal import Foundation

extension DeadLetters {
    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters for good: they are not delivered again, listed or counted.",
            discussion: "Exits 1 when an id given is not a dead letter (the others are discarded all the same). Dead letters whose trigger or function was removed are discarded too.")

        @OptionGroup var projectOptions: ProjectOptions
        @OptionGroup var selection: DeadLetterSelection

        func validate() throws { try selection.check(action: "discard") }

        func run() async throws {
            let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
            let result = try await selection.post("discard", to: client, as: DiscardView.self)
            // Nothing found for a name no function has is a typo, as for the listing.
            if result.discarded.isEmpty { try await client.refuseUnknown(function: selection.function) }
            let count = result.discarded.count
            print("discarded \(count) dead letter\(count == 1 ? "" : "s")" + (count == 0 ? "" : ": " + result.discarded.map(String.init).joined(separator: ", ")))
            if let problem = DeadLetterSelection.notDeadLetters(result.missing, action: "discard") { throw CLIError(problem) }
        }
    }
}
