import ChartModel
import Foundation

/// Running headers and footers: the lines a document prints on every page ("SMITH, JOHN MRN
/// 123 Progress Note", "Riverside Clinic Confidential Page 2 of 3"), found by repetition across
/// pages, not by fixed margins, plus the lines that number pages ("Page 1 of 2", "2/3", "- 2 -")
/// at a page's top or bottom, which a one-page document prints too.
///
/// A line is running when it is among the first or last three lines of its page, in its top or
/// bottom eighth, and a line sharing most
/// of its words (digits masked) sits at about the same height (within 3 % of the page) on at
/// least two pages and on at least half of the pages; or when it is a page's last line, in the
/// bottom eighth, set apart from the text above by more than three line heights (a footer).
public enum RunningLines {
    /// For each page (in order), the indices of its running lines.
    public static func find(in pages: [(height: Double, lines: [TextLine])]) -> [Set<Int>] {
        let margins = pages.map { page in
            // Headers and footers are a page's first or last lines.
            page.lines.indices.filter { inMargin(page.lines[$0], height: page.height) && ($0 < 3 || $0 >= page.lines.count - 3) }
                .map { (index: $0, y: page.lines[$0].bbox.midY / max(page.height, 1), words: words(page.lines[$0].text)) }
        }
        return pages.enumerated().map { p, page in
            var running = Set<Int>()
            for line in margins[p] {
                let text = page.lines[line.index].text
                if isPageNumber(text) { running.insert(line.index); continue }
                // The same line, give or take a page number or a document's name, at the same
                // height on other pages.
                let pagesWithIt = margins.indices.filter { q in
                    q == p || margins[q].contains { abs($0.y - line.y) < 0.03 && similar($0.words, line.words) }
                }
                if pages.count >= 2, pagesWithIt.count >= 2, pagesWithIt.count * 2 >= pages.count, line.words.count >= 2 {
                    running.insert(line.index)
                    continue
                }
                // A footer stands apart: the page's last line, in its bottom eighth, far below the text.
                if line.index == page.lines.count - 1, line.index > 0, line.y > 0.875 {
                    let above = page.lines[line.index - 1].bbox, box = page.lines[line.index].bbox
                    if box.y0 - above.y1 > max(box.height, 1) * 3 { running.insert(line.index) }
                }
            }
            return running
        }
    }

    /// The lines among the first or last three of `page`, in its top or bottom eighth, that a line of `previous`
    /// repeats at about the same height (most words shared, digits masked): the running header or footer of a
    /// document inside a packet, which the packet's other documents do not print, so `find` (half the pages) does not
    /// take it for one. For rows a table continues on the next page under that header.
    public static func repeated(on page: (height: Double, lines: [TextLine]), from previous: (height: Double, lines: [TextLine]))
        -> Set<Int> {
        func margin(_ page: (height: Double, lines: [TextLine])) -> [(index: Int, y: Double, words: Set<String>)] {
            page.lines.indices.filter { inMargin(page.lines[$0], height: page.height) && ($0 < 3 || $0 >= page.lines.count - 3) }
                .map { (index: $0, y: page.lines[$0].bbox.midY / max(page.height, 1), words: words(page.lines[$0].text)) }
        }
        let before = margin(previous)
        return Set(margin(page).filter { line in
            line.words.count >= 2 && before.contains { abs($0.y - line.y) < 0.03 && similar($0.words, line.words) }
        }.map(\.index))
    }

    /// A line's words, lower case, each digit masked ("Page 2 of 3": page, #, of, #).
    static func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            .map { String($0.map { $0.isNumber ? "#" : $0 }) })
    }

    /// Two lines sharing most of their words (Dice coefficient at least 0.6).
    static func similar(_ a: Set<String>, _ b: Set<String>) -> Bool {
        !a.isEmpty && !b.isEmpty && Double(2 * a.intersection(b).count) / Double(a.count + b.count) >= 0.6
    }

    /// Where headers and footers are looked for (not cut): the top and bottom eighth.
    static func inMargin(_ line: TextLine, height: Double) -> Bool {
        line.bbox.y1 < height * 0.125 || line.bbox.y0 > height * 0.875
    }

    /// "Page 2 of 3", "Page 2", "2 of 3", "2/3", "- 2 -", alone or ending a line.
    public static func isPageNumber(_ text: String) -> Bool {
        text.range(of: #"(?i)(\bpage\s*\d+(\s*(of|/)\s*\d+)?|^\s*\d+\s*(of|/)\s*\d+|^\s*[-–]\s*\d+\s*[-–])\s*$"#,
                   options: .regularExpression) != nil
    }
}
