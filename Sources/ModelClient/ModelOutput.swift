import Foundation
import Validation

/// Turns what a model wrote into one JSON value, tolerating MedGemma's habits: a thinking trace
/// between `<unused94>` and `<unused95>` (or `<think>`…`</think>`), ```json fences, prose around
/// the JSON, and the same JSON written twice (the first complete value is taken).
public enum ModelOutput {
    /// The text with thinking traces removed. An unterminated trace swallows the rest.
    public static func stripThinking(_ text: String) -> String {
        var result = text
        for (open, close) in [("<unused94>", "<unused95>"), ("<think>", "</think>")] {
            while let start = result.range(of: open) {
                if let end = result.range(of: close, range: start.upperBound..<result.endIndex) {
                    result.removeSubrange(start.lowerBound..<end.upperBound)
                } else {
                    result.removeSubrange(start.lowerBound..<result.endIndex)
                }
            }
            // A closing marker with no opening one: the trace started before the reply we see.
            if let end = result.range(of: close) { result.removeSubrange(result.startIndex..<end.upperBound) }
        }
        return result
    }

    /// The first complete JSON object or array in the text, parsed.
    public static func parseJSON(_ text: String) throws(ModelError) -> JSONValue {
        let cleaned = stripThinking(text)
        guard let span = firstJSONSpan(in: Array(cleaned.utf8)) else {
            let trimmed = cleaned.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .invalidJSON(trimmed.isEmpty ? "empty reply" : "no complete JSON object in \(cleaned.utf8.count) bytes of reply")
        }
        do {
            return try JSONValue(parsing: Data(span))
        } catch {
            throw .invalidJSON("the JSON in the reply does not parse")
        }
    }

    /// Bytes of the first balanced `{…}` or `[…]`, skipping brackets inside strings.
    static func firstJSONSpan(in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                if let end = balancedEnd(bytes, from: index) { return bytes[index...end] }
            }
            index += 1
        }
        return nil
    }

    private static func balancedEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var stack: [UInt8] = []
        var inString = false, escaped = false
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"): stack.append(UInt8(ascii: "}"))
                case UInt8(ascii: "["): stack.append(UInt8(ascii: "]"))
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard stack.popLast() == byte else { return nil }
                    if stack.isEmpty { return index }
                default: break
                }
            }
            index += 1
        }
        return nil
    }
}
