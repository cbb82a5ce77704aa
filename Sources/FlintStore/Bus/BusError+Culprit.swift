public import FlintCore
internal import Foundation

extension BusError {
    /// Which of `messages` (its index), published together, this refusal of them all is about,
    /// when it is about one: a body that is not JSON, one too large, a NUL character. Nil for a
    /// refusal of the whole (an unknown topic, a locked database). A batch is refused whole, so
    /// this names the message to fix for the people who sent it.
    public func culprit(in messages: [OutgoingMessage]) -> Int? {
        switch self {
        case .notJSON:
            // JSONSyntax judges as SQLite's json_valid does, which refused the body.
            return messages.firstIndex { !JSONSyntax.isValue(Data($0.body.utf8)) }
        case .bodyTooLarge(_, let bytes, _):
            return messages.firstIndex { $0.byteCount == bytes }
        case .nulCharacter:
            return messages.firstIndex { message in
                [message.body, message.dedupKey, message.groupKey, message.messageID, message.topic].contains { $0?.utf8.contains(0) == true }
            }
        case .unknownTopic, .databaseLocked, .databaseReadOnly, .database:
            return nil
        }
    }
}
