import ChartModel
import Foundation

/// Two-column bodies: runs of lines that a blank vertical gutter splits into a left and a right
/// column, read left column first, then right column.
///
/// Reading order is row order (`PageLayout`): a label and its value, or a table row's cells, sit
/// on one baseline and belong together. A page set in two columns breaks that: its rows join
/// unrelated text ("Principal Dx: Acute kidney injury    Discharge Medications:"). A band of
/// rows is read as two columns when all of these hold:
/// - a gutter at least two line heights wide that no word of the band's rows crosses, centred in
///   the middle third of the text's width (a column layout halves the page; label grids and
///   tables put their gaps anywhere);
/// - at least four consecutive rows, without a wide vertical gap, and text on both sides in at
///   least three of them;
/// - the right column's rows start at one left edge (a column, not ragged cells);
/// - the right side does not hold values: fewer than half of its rows start with a digit (a
///   two-column table of names and results is read by rows);
/// - each side has at least two words in most of its rows (a column of single words is a table
///   column), set with ordinary spaces: where more than a quarter of a side's rows hold gaps wider
///   than 1.2 line heights, the band is a table, whose rows stay rows.
/// Rows outside such a band keep their order.
public enum ColumnBands {
    /// The page with every two-column band reordered: left lines, then right lines. The words
    /// are the same words (same boxes and confidences), reordered to follow the lines.
    public static func reordered(_ page: PageReading) -> PageReading {
        let lineWords = page.lines.map { Array(page.words[$0.words]) }
        let bands = find(lineWords, pageWidth: page.width)
        guard !bands.isEmpty else { return page }
        var order: [[Word]] = []
        var index = 0
        for band in bands {
            order += lineWords[index..<band.lines.lowerBound]
            var left: [[Word]] = []
            var right: [[Word]] = []
            for line in lineWords[band.lines] {
                let l = line.filter { $0.bbox.x1 <= band.gutter.lowerBound }
                let r = line.filter { $0.bbox.x0 >= band.gutter.upperBound }
                if !l.isEmpty { left.append(l) }
                if !r.isEmpty { right.append(r) }
            }
            order += left + right
            index = band.lines.upperBound
        }
        order += lineWords[index...]
        var words: [Word] = []
        var lines: [TextLine] = []
        for row in order where !row.isEmpty {
            let first = words.count
            words += row
            lines.append(TextLine(text: row.map(\.text).joined(separator: " "), bbox: BoundingBox.union(row.map(\.bbox))!,
                                  conf: row.map(\.conf).reduce(0, +) / Double(row.count), words: first..<words.count))
        }
        var result = page
        result.words = words
        result.lines = lines
        result.text = lines.map(\.text).joined(separator: "\n")
        return result
    }

    /// A band of lines (indices) and its gutter (x from … to, in points).
    public struct Band: Sendable, Hashable {
        public var lines: Range<Int>
        public var gutter: ClosedRange<Double>
    }

    /// The two-column bands of a page's lines (each line's words left to right).
    public static func find(_ lines: [[Word]], pageWidth: Double) -> [Band] {
        let boxes = lines.map { BoundingBox.union($0.map(\.bbox)) }
        let heights = boxes.compactMap { $0?.height }.sorted()
        guard lines.count >= 4, !heights.isEmpty else { return [] }
        let lineHeight = heights[heights.count / 2]
        let textLeft = boxes.compactMap { $0?.x0 }.min() ?? 0
        let textRight = boxes.compactMap { $0?.x1 }.max() ?? pageWidth
        let width = textRight - textLeft
        guard width > 0 else { return [] }
        let middle = (textLeft + width / 3)...(textRight - width / 3)
        let minimumGutter = 2 * lineHeight

        /// The blank x-intervals of a line inside the middle third (between two of its words, or
        /// beside all of them).
        func gaps(_ line: [Word]) -> [ClosedRange<Double>] {
            let xs = line.map { ($0.bbox.x0, $0.bbox.x1) }.sorted { $0.0 < $1.0 }
            var result: [ClosedRange<Double>] = []
            var edge = textLeft
            for (x0, x1) in xs {
                if x0 > edge { result.append(edge...x0) }
                edge = max(edge, x1)
            }
            if textRight > edge { result.append(edge...textRight) }
            return result
        }

        var bands: [Band] = []
        var start = 0
        while start < lines.count {
            // Grow a band from `start` while the common gutter stays wide enough.
            var common: [ClosedRange<Double>] = gaps(lines[start])
            var end = start + 1
            while end < lines.count, let box = boxes[end], let above = boxes[end - 1],
                  box.y0 - above.y1 <= 2.5 * lineHeight {
                let next = intersect(common, gaps(lines[end]))
                guard next.contains(where: { wide($0, minimumGutter, middle) }) else { break }
                common = next
                end += 1
            }
            if end - start >= 4, let gutter = common.filter({ wide($0, minimumGutter, middle) })
                .max(by: { ($0.upperBound - $0.lowerBound) < ($1.upperBound - $1.lowerBound) }),
               isColumnBand(lines[start..<end], gutter: gutter, tolerance: lineHeight / 2) {
                bands.append(Band(lines: start..<end, gutter: gutter))
                start = end
            } else {
                start += 1
            }
        }
        return bands
    }

    private static func wide(_ gap: ClosedRange<Double>, _ minimum: Double, _ middle: ClosedRange<Double>) -> Bool {
        gap.upperBound - gap.lowerBound >= minimum && middle.contains((gap.lowerBound + gap.upperBound) / 2)
    }

    private static func intersect(_ a: [ClosedRange<Double>], _ b: [ClosedRange<Double>]) -> [ClosedRange<Double>] {
        var result: [ClosedRange<Double>] = []
        for x in a {
            for y in b {
                let low = max(x.lowerBound, y.lowerBound)
                let high = min(x.upperBound, y.upperBound)
                if low < high { result.append(low...high) }
            }
        }
        return result
    }

    private static func isColumnBand(_ band: ArraySlice<[Word]>, gutter: ClosedRange<Double>, tolerance: Double) -> Bool {
        let sides = band.map { line in
            (left: line.filter { $0.bbox.x1 <= gutter.lowerBound }, right: line.filter { $0.bbox.x0 >= gutter.upperBound })
        }
        let both = sides.filter { !$0.left.isEmpty && !$0.right.isEmpty }.count
        guard both >= 3 else { return false }
        let rights = sides.map(\.right).filter { !$0.isEmpty }
        let lefts = sides.map(\.left).filter { !$0.isEmpty }
        // The right column starts at one edge.
        let starts = rights.map { $0.map(\.bbox.x0).min()! }.sorted()
        let edge = starts[starts.count / 2]
        guard starts.filter({ abs($0 - edge) <= tolerance }).count * 4 >= rights.count * 3 else { return false }
        // Values on the right: a table of names and results, not a column of text.
        let valueRows = rights.filter { $0.first?.text.first?.isNumber == true }.count
        guard valueRows * 2 < rights.count else { return false }
        // Columns of prose or lists: most rows hold two or more words on each side, set with
        // ordinary spaces; a side whose rows hold wide gaps is made of table cells.
        let multi = { (rows: [[Word]]) in rows.filter { $0.count >= 2 }.count * 3 >= rows.count * 2 }
        let tabular = { (rows: [[Word]]) in
            rows.filter { row in
                let xs = row.map { ($0.bbox.x0, $0.bbox.x1) }.sorted { $0.0 < $1.0 }
                return zip(xs, xs.dropFirst()).contains { $1.0 - $0.1 > 2.4 * tolerance }
            }.count * 4 > rows.count
        }
        return multi(lefts) && multi(rights) && !tabular(lefts) && !tabular(rights)
    }
}
