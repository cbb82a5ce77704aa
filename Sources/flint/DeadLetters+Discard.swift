internal import ArgumentParser
internal import FlintServer
internal import Foundation

extension DeadLetters {
    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters for good: they are not delivered again, listed or counted.",
            discussion: "Exits 1 when an id given is not a dead letter (the others are discarded all the same). Dead letters whose trigger or function was removed are discarded too.")

        @OptionGroup var projectOptions: ProjectOptions

        @Argument(help: ArgumentHelp("Dead letter ids, as flint deadletters lists them.", valueName: "id"))
        var ids: [Int64] = []

        @Flag(help: "Discard every dead letter (of --function, if given).")
        var all = false

        @Option(help: "With --all: only this function's dead letters.")
        var function: String?

        func validate() throws {
            if all, !ids.isEmpty { throw ValidationError("give dead letter ids or --all, not both") }
            if !all, ids.isEmpty { throw ValidationError("give the ids of the dead letters to discard (flint deadletters lists them), or --all") }
            if function != nil, !all { throw ValidationError("--function goes with --all; ids name dead letters of any function") }
        }

        func run() async throws {
            let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
            let result = try await DeadLetters.post("discard", ids: ids, all: all, function: function, to: client, as: DiscardView.self)
            // Nothing found for a name no function has is a typo, as for the listing.
            if result.discarded.isEmpty { try await client.refuseUnknown(function: function) }
            let count = result.discarded.count
            print("discarded \(count) dead letter\(count == 1 ? "" : "s")" + (count == 0 ? "" : ": " + result.discarded.map(String.init).joined(separator: ", ")))
            if !result.missing.isEmpty {
                let list = result.missing.map(String.init).joined(separator: ", ")
                throw CLIError(
                    "flint deadletters discard: \(list) \(result.missing.count == 1 ? "is not a dead letter" : "are not dead letters") "
                        + "(already replayed or discarded, or no such id); flint deadletters lists them")
            }
        }
    }
}
