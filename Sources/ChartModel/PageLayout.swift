/// Puts line segments from a text layer or an OCR engine into reading order.
///
/// Charts are forms and tables far more often than multi-column prose, so reading order is
/// row order: segments that sit on the same baseline (a label and its value, the cells of a
/// table row that an engine returned as separate columns) are joined left to right into one
/// line, and lines run top to bottom. Blocks are runs of lines without a large vertical gap.
public struct PageLayout: Sendable, Hashable {
    public var words: [Word]
    public var lines: [TextLine]
    public var blocks: [TextBlock]
    public var text: String

    /// Builds the layout from segments, each a run of words that an engine put on one line.
    public init(segments: [[Word]]) {
        let rows = Self.rows(of: segments.filter { !$0.isEmpty })
        var words: [Word] = []
        var lines: [TextLine] = []
        for row in rows {
            let first = words.count
            words.append(contentsOf: row)
            let bbox = BoundingBox.union(row.map(\.bbox))!
            let conf = row.map(\.conf).reduce(0, +) / Double(row.count)
            lines.append(TextLine(text: row.map(\.text).joined(separator: " "), bbox: bbox,
                                  conf: conf, words: first..<words.count))
        }
        self.words = words
        self.lines = lines
        self.blocks = Self.blocks(of: lines)
        self.text = lines.map(\.text).joined(separator: "\n")
    }

    /// Mean word confidence, or nil when there are no words.
    public var meanConfidence: Double? {
        words.isEmpty ? nil : words.map(\.conf).reduce(0, +) / Double(words.count)
    }

    private struct Row {
        var bbox: BoundingBox
        var segments: [(box: BoundingBox, words: [Word])]
    }

    private static func rows(of segments: [[Word]]) -> [[Word]] {
        let boxed = segments.map { (box: BoundingBox.union($0.map(\.bbox))!, words: $0) }
            .sorted { $0.box.midY < $1.box.midY }
        var rows: [Row] = []
        for segment in boxed {
            // Join the row above when the segment shares its baseline band and does not
            // overlap any of its segments horizontally.
            if let index = rows.indices.last(where: { i in
                rows[i].bbox.verticalOverlap(with: segment.box) >= 0.5
                    && !rows[i].segments.contains { $0.box.x1 > segment.box.x0 && segment.box.x1 > $0.box.x0 }
            }), index >= rows.count - 2 {
                rows[index].segments.append(segment)
                rows[index].bbox = rows[index].bbox.union(segment.box)
            } else {
                rows.append(Row(bbox: segment.box, segments: [segment]))
            }
        }
        return rows.sorted { $0.bbox.y0 < $1.bbox.y0 }
            .map { $0.segments.sorted { $0.box.x0 < $1.box.x0 }.flatMap(\.words) }
    }

    private static func blocks(of lines: [TextLine]) -> [TextBlock] {
        guard !lines.isEmpty else { return [] }
        let heights = lines.map(\.bbox.height).sorted()
        let typical = heights[heights.count / 2]
        var blocks: [TextBlock] = []
        var start = 0
        for i in 1...lines.count {
            let gap = i < lines.count ? lines[i].bbox.y0 - lines[i - 1].bbox.y1 : .infinity
            if gap > typical * 1.1 {
                let bbox = BoundingBox.union(lines[start..<i].map(\.bbox))!
                blocks.append(TextBlock(bbox: bbox, lines: start..<i))
                start = i
            }
        }
        return blocks
    }
}
