/// One recognised word: its text, its box on the page and the engine's confidence (0–100;
/// 100 for words taken from a born-digital text layer).
public struct Word: Sendable, Hashable, Codable {
    public var text: String
    public var bbox: BoundingBox
    public var conf: Double

    public init(text: String, bbox: BoundingBox, conf: Double) {
        self.text = text
        self.bbox = bbox
        self.conf = conf
    }
}

/// A line of words in reading order. `words` holds indices into the page's `words`.
public struct TextLine: Sendable, Hashable, Codable {
    public var text: String
    public var bbox: BoundingBox
    public var conf: Double
    public var words: Range<Int>

    public init(text: String, bbox: BoundingBox, conf: Double, words: Range<Int>) {
        self.text = text
        self.bbox = bbox
        self.conf = conf
        self.words = words
    }

    enum CodingKeys: String, CodingKey { case text, bbox, conf, firstWord, wordCount }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decode(String.self, forKey: .text)
        bbox = try c.decode(BoundingBox.self, forKey: .bbox)
        conf = try c.decode(Double.self, forKey: .conf)
        let first = try c.decode(Int.self, forKey: .firstWord)
        words = first..<(first + (try c.decode(Int.self, forKey: .wordCount)))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(bbox, forKey: .bbox)
        try c.encode(conf.rounded2, forKey: .conf)
        try c.encode(words.lowerBound, forKey: .firstWord)
        try c.encode(words.count, forKey: .wordCount)
    }
}

/// A block of consecutive lines (a paragraph, a table region, a header). `lines` holds
/// indices into the page's `lines`.
public struct TextBlock: Sendable, Hashable, Codable {
    public var bbox: BoundingBox
    public var lines: Range<Int>

    public init(bbox: BoundingBox, lines: Range<Int>) {
        self.bbox = bbox
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey { case bbox, firstLine, lineCount }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bbox = try c.decode(BoundingBox.self, forKey: .bbox)
        let first = try c.decode(Int.self, forKey: .firstLine)
        lines = first..<(first + (try c.decode(Int.self, forKey: .lineCount)))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bbox, forKey: .bbox)
        try c.encode(lines.lowerBound, forKey: .firstLine)
        try c.encode(lines.count, forKey: .lineCount)
    }
}

/// Where a page's text came from.
public enum TextSource: String, Sendable, Codable {
    /// The PDF's own text layer (a born-digital page): no OCR was run.
    case textLayer
    /// Tesseract OCR of the rendered page.
    case ocr
}

/// How long each step of reading one page took, in milliseconds.
public struct PageTimings: Sendable, Hashable, Codable {
    public var render: Double = 0
    public var orientation: Double = 0
    /// Clean-up before recognition (background normalisation, binarisation).
    public var cleanUp: Double = 0
    public var deskew: Double = 0
    public var recognize: Double = 0
    public var total: Double = 0

    public init() {}

    /// Readings stored before `cleanUp` existed decode with 0 for it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        render = try c.decode(Double.self, forKey: .render)
        orientation = try c.decode(Double.self, forKey: .orientation)
        cleanUp = try c.decodeIfPresent(Double.self, forKey: .cleanUp) ?? 0
        deskew = try c.decode(Double.self, forKey: .deskew)
        recognize = try c.decode(Double.self, forKey: .recognize)
        total = try c.decode(Double.self, forKey: .total)
    }
}

/// Everything Chartex read from one page. Documented in `docs/ocr-json.md`;
/// JSON Schema in `Schemas/ocr-page.schema.json`.
public struct PageReading: Sendable, Hashable, Codable {
    /// 1-based page number in the PDF.
    public var number: Int
    /// Upright page width and height in points.
    public var width: Double
    public var height: Double
    /// The page's /Rotate entry, in degrees.
    public var pdfRotation: Int
    public var source: TextSource
    /// Degrees clockwise the rendered page was turned to make its text upright (0, 90, 180, 270).
    public var rotation: Int
    /// Degrees the page was rotated (counter-clockwise positive) to straighten its lines.
    public var skew: Double
    /// The resolution the page was rendered at for OCR (nil for text-layer pages).
    public var dpi: Double?
    /// Mean word confidence, 0–100 (nil when the page has no words).
    public var meanConfidence: Double?
    /// The page text in reading order: lines separated by "\n".
    public var text: String
    public var words: [Word]
    public var lines: [TextLine]
    public var blocks: [TextBlock]
    public var timings: PageTimings
    /// True when the page holds no text (a blank page or the back of a sheet).
    public var isBlank: Bool { words.isEmpty }
    /// Why a page without words has none (the blank check's evidence, or that OCR found none).
    public var blankReason: String?
    /// Something the reader did that the user should know, e.g. a page over the size limit
    /// read at a lower resolution. Not stored; printed by the commands.
    public var warning: String?

    public init(number: Int, width: Double, height: Double, pdfRotation: Int, source: TextSource,
                rotation: Int, skew: Double, dpi: Double?, meanConfidence: Double?, text: String,
                words: [Word], lines: [TextLine], blocks: [TextBlock], timings: PageTimings, blankReason: String? = nil) {
        self.number = number
        self.width = width
        self.height = height
        self.pdfRotation = pdfRotation
        self.source = source
        self.rotation = rotation
        self.skew = skew
        self.dpi = dpi
        self.meanConfidence = meanConfidence
        self.text = text
        self.words = words
        self.lines = lines
        self.blocks = blocks
        self.timings = timings
        self.blankReason = blankReason
    }
}

extension PageReading {
    enum CodingKeys: String, CodingKey {
        case number, width, height, pdfRotation, source, rotation, skew, dpi, meanConfidence, blank, blankReason, warning
        case text, words, lines, blocks, timings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(number: try c.decode(Int.self, forKey: .number), width: try c.decode(Double.self, forKey: .width),
                  height: try c.decode(Double.self, forKey: .height),
                  pdfRotation: try c.decode(Int.self, forKey: .pdfRotation),
                  source: try c.decode(TextSource.self, forKey: .source), rotation: try c.decode(Int.self, forKey: .rotation),
                  skew: try c.decode(Double.self, forKey: .skew), dpi: try c.decodeIfPresent(Double.self, forKey: .dpi),
                  meanConfidence: try c.decodeIfPresent(Double.self, forKey: .meanConfidence),
                  text: try c.decode(String.self, forKey: .text), words: try c.decode([Word].self, forKey: .words),
                  lines: try c.decode([TextLine].self, forKey: .lines), blocks: try c.decode([TextBlock].self, forKey: .blocks),
                  timings: try c.decode(PageTimings.self, forKey: .timings),
                  blankReason: try c.decodeIfPresent(String.self, forKey: .blankReason))
        warning = try c.decodeIfPresent(String.self, forKey: .warning)
    }

    /// Encodes every key, with `null` for a missing dpi or confidence, plus `blank`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(number, forKey: .number)
        try c.encode(width.rounded2, forKey: .width)
        try c.encode(height.rounded2, forKey: .height)
        try c.encode(pdfRotation, forKey: .pdfRotation)
        try c.encode(source, forKey: .source)
        try c.encode(rotation, forKey: .rotation)
        try c.encode(skew.rounded2, forKey: .skew)
        try c.encode(dpi, forKey: .dpi)
        try c.encode(meanConfidence.map(\.rounded2), forKey: .meanConfidence)
        try c.encode(isBlank, forKey: .blank)
        if isBlank { try c.encode(blankReason, forKey: .blankReason) }
        try c.encodeIfPresent(warning, forKey: .warning)
        try c.encode(text, forKey: .text)
        try c.encode(words, forKey: .words)
        try c.encode(lines, forKey: .lines)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(timings, forKey: .timings)
    }
}

extension PageTimings {
    enum CodingKeys: String, CodingKey { case render, orientation, cleanUp, deskew, recognize, total }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(render.rounded2, forKey: .render)
        try c.encode(orientation.rounded2, forKey: .orientation)
        try c.encode(cleanUp.rounded2, forKey: .cleanUp)
        try c.encode(deskew.rounded2, forKey: .deskew)
        try c.encode(recognize.rounded2, forKey: .recognize)
        try c.encode(total.rounded2, forKey: .total)
    }
}

extension Double {
    var rounded2: Double { (self * 100).rounded() / 100 }
}
