import CLeptonica
import CTesseract
import ChartModel
import Foundation

/// What to do about page orientation.
public enum OrientationMode: String, Sendable, CaseIterable {
    /// Read the page as it is; when the result is poor (low confidence or few words) or read
    /// sideways (most words taller than wide: a turned page read as vertical text, often at a
    /// high confidence), ask Tesseract's OSD model, on a background-normalised copy, whether
    /// the page is turned 90/180/270° and read it again turned as OSD proposes (both quarter
    /// turns when OSD is unsure about a sideways page; OSD's weak guess, else 180°, when it is
    /// unsure about a poor reading), keeping the reading that says most. Upright pages that
    /// read well pay nothing.
    case auto
    /// Run orientation detection on every page before reading it.
    case always
    /// Assume every page is upright.
    case off
}

/// Clean-up of a page image before recognition.
public enum CleanUp: String, Sendable, CaseIterable {
    /// The page as rendered; Tesseract thresholds it itself (Otsu over the whole page).
    case off
    /// Background normalisation: the paper is flattened to one level everywhere (grey,
    /// yellowed or unevenly lit paper, lid shadows), the ink kept; then marks much lighter than
    /// the print (bleed-through, pale stamps, haze) are turned to paper.
    case normalize
    /// Normalisation, then Otsu's threshold on the flattened page: a 1-bit image, without
    /// marks much lighter than the print (bleed-through, pale stamps).
    case binarize
    /// Sauvola's local threshold on a contrast-normalised page.
    case sauvola
}

/// Options for one OCR pass.
public struct OCROptions: Sendable, Hashable {
    public var orientation: OrientationMode = .auto
    public var deskew = true
    /// Clean-up before recognition.
    public var cleanUp: CleanUp = .normalize
    /// Replace streaks (lines at most 1/50 inch wide running more than half the page, from a
    /// dirty scanner or fax head, or a transmission dropout) with the pixels beside them.
    public var removeStreaks = true
    /// Remove specks (marks smaller than a full stop) after a clean-up that binarises.
    public var despeckle = false
    /// Erase straight lines longer than 3/4 inch after deskew: table rules, underlines, fax
    /// streaks and dropout lines, which Tesseract otherwise reads into the letters they cross.
    public var eraseLines = false
    /// Erase rules that scanning broke into rows of dots and short dashes (a thin table rule on a
    /// fax), which Tesseract otherwise reads as marks along the table's row (see `eraseBrokenRules`).
    public var eraseBrokenRules = true
    /// OSD must be at least this confident (Tesseract's orientation confidence) to turn a page.
    public var minimumOrientationConfidence: Double = 2.0
    /// In `.auto` mode, look at the letters' ascenders and descenders before the first reading
    /// and read a page that clearly looks turned turned (the reading still decides: a poor or
    /// sideways reading falls back to OSD and the other turns).
    public var orientationFirst = true
    /// Skip OCR on pages with no marks the size of a character.
    public var skipBlankPages = true
    /// In `.auto` mode, readings with a mean word confidence below this, or with fewer than
    /// `orientationCheckWords` words, are checked for a turned page.
    public var orientationCheckConfidence: Double = 80
    public var orientationCheckWords = 10
    /// Recognition of one page stops after this many seconds and the page fails.
    public var timeLimit: Double = 120

    public init() {}
}

/// What OCR read from one page image.
public struct OCRResult: Sendable {
    /// Line segments as Tesseract found them, words in page coordinates (points).
    public var segments: [[Word]]
    /// Degrees clockwise the image was turned to make it upright.
    public var rotation: Int
    /// Degrees the upright image was rotated to straighten it.
    public var skew: Double
    /// Page size in points after turning.
    public var width: Double
    public var height: Double
    public var timings: PageTimings
    /// Why the page holds no words: the blank check's evidence when it skipped OCR, or that
    /// OCR found none. Nil when there are words.
    public var blankReason: String? = nil

    /// Mean word confidence, or nil without words.
    public var meanConfidence: Double? {
        let words = segments.joined()
        return words.isEmpty ? nil : words.reduce(0) { $0 + $1.conf } / Double(words.count)
    }
}

/// What the blank check saw on a page, at 75 dpi after background normalisation.
struct BlankCheck: CustomStringConvertible {
    /// Character-sized marks a page needs to count as holding text.
    static let marksForText = 4
    var blank: Bool
    /// Connected marks 3–150 px tall (-1: not measured).
    var marks: Int
    /// Share of the page darker than the paper.
    var ink: Double

    var description: String {
        guard marks >= 0 else { return "the blank check could not run" }
        return "\(marks) character-sized mark\(marks == 1 ? "" : "s") (\(Self.marksForText) make text), "
            + String(format: "ink %.2f %% of the page", ink * 100)
    }
}

/// One Tesseract engine (plus an orientation engine) for one thread.
///
/// Owns its `TessBaseAPI*` handles and ends them in `deinit`. Not `Sendable`: a Tesseract
/// handle must only be used by the thread that uses the engine; create one per worker thread
/// and reuse it for every page (initialisation costs 0.15–0.25 s).
public final class TesseractEngine {
    private let api: OpaquePointer
    private var osd: OpaquePointer?
    private var osdFailed = false
    private let tessdata: String?
    public let language: String

    /// Loads `language` from `tessdata` (default: Tesseract's own folder) with the LSTM engine.
    public init(language: String = "eng", tessdata: String? = nil) throws(OCRError) {
        Self.quietLeptonica
        guard let api = TessBaseAPICreate() else { throw .initFailed(language: language, tessdata: tessdata) }
        guard TessBaseAPIInit2(api, tessdata, language, OEM_LSTM_ONLY) == 0 else {
            TessBaseAPIDelete(api)
            throw .initFailed(language: language, tessdata: tessdata)
        }
        TessBaseAPISetVariable(api, "debug_file", "/dev/null")
        TessBaseAPISetPageSegMode(api, PSM_AUTO)
        self.api = api
        self.tessdata = tessdata
        self.language = language
    }

    deinit {
        TessBaseAPIEnd(api)
        TessBaseAPIDelete(api)
        if let osd {
            TessBaseAPIEnd(osd)
            TessBaseAPIDelete(osd)
        }
    }

    private static let quietLeptonica: Void = { _ = setMsgSeverity(Int32(L_SEVERITY_NONE)) }()

    /// Reads `image`: turns it upright, straightens it, recognises it.
    public func recognize(_ image: PageImage, options: OCROptions = OCROptions()) throws(OCRError) -> OCRResult {
        var check: BlankCheck?
        if options.skipBlankPages {
            let found = Self.blankCheck(try Pix(image), dpi: image.dpi)
            if found.blank {
                let scale = 72 / image.dpi
                return OCRResult(segments: [], rotation: 0, skew: 0, width: Double(image.width) * scale,
                                 height: Double(image.height) * scale, timings: PageTimings(),
                                 blankReason: "skipped OCR: \(found)")
            }
            check = found
        }
        var orientationTime = 0.0
        var rotation = 0
        if options.orientation == .always {
            let start = DispatchTime.now()
            if let osd = detectRotation(try Pix(image), dpi: image.dpi),
               osd.confidence >= options.minimumOrientationConfidence { rotation = osd.turn }
            orientationTime = start.millisecondsSince
        }
        // With `orientationFirst`, the first pass takes a cheap look at the cleaned page
        // (ascenders and descenders) and reads a page that clearly looks turned turned, so it
        // is usually read once. The reading still decides: a poor or sideways reading falls
        // back below.
        let lookFirst = options.orientation == .auto && options.orientationFirst
        var result = try pass(image, rotation: rotation, options: options, lookFirst: lookFirst)
        orientationTime += result.timings.orientation
        rotation = result.rotation
        if options.orientation == .auto {
            let words = result.segments.reduce(0) { $0 + $1.count }
            // A page turned 90° is often read as vertical text at a high confidence, so the
            // confidence cannot be trusted there: the shape of the words decides (words on an
            // upright page are wider than tall).
            let sideways = Self.readsSideways(result.segments)
            if sideways || words < options.orientationCheckWords
                || (result.meanConfidence ?? 0) < options.orientationCheckConfidence {
                let start = DispatchTime.now()
                let found = detectRotation(try Pix(image), dpi: image.dpi)
                let turn = found?.turn ?? 0
                let sure = (found?.confidence ?? 0) >= options.minimumOrientationConfidence
                // OSD proposes, reading decides: each candidate turn is read and the reading that
                // says most is kept, so a wrong guess costs time, never text.
                var candidates: [Int]
                if sideways {
                    // One of the two quarter turns from this reading is right; OSD says which
                    // when it can.
                    candidates = rotation == 0 && (turn == 90 || turn == 270) ? [turn]
                        : [(rotation + 90) % 360, (rotation + 270) % 360]
                } else if rotation != 0 {
                    // Turned as the first look said, and still poor: a poor page, or the look
                    // was wrong; the page as it lies is the other candidate.
                    candidates = [0]
                } else if sure {
                    candidates = turn != 0 ? [turn] : []
                } else {
                    // OSD unsure on a poor reading (a grey photocopy upside down reads at
                    // confidence 30-40 and OSD's confidence is low): its guess, else upside down.
                    candidates = turn != 0 ? [turn] : [180]
                }
                candidates.removeAll { $0 == rotation }
                var best = result
                var bestScore = Self.readingScore(result.segments)
                for candidate in candidates {
                    let turned = try pass(image, rotation: candidate, options: options)
                    let score = Self.readingScore(turned.segments)
                    if score > bestScore {
                        best = turned
                        bestScore = score
                    }
                }
                // Time spent on readings that were not kept counts as orientation time.
                orientationTime += start.millisecondsSince + result.timings.total - best.timings.total
                result = best
            }
        }
        result.timings.orientation = orientationTime
        result.timings.total = result.timings.cleanUp + result.timings.deskew + result.timings.recognize
            + orientationTime
        if result.segments.allSatisfy(\.isEmpty) {
            result.blankReason = "OCR found no words" + (check.map { " (\($0))" } ?? "")
        }
        return result
    }

    /// True when most words of the reading are taller than wide: the lines run down the page,
    /// which happens when a page turned 90° is read as vertical text. Only words of four or
    /// more characters count (a short word can be square); five such words are needed.
    static func readsSideways(_ segments: [[Word]]) -> Bool {
        let long = segments.joined().filter { $0.text.count >= 4 }
        guard long.count >= 5 else { return false }
        let tall = long.filter { $0.bbox.height > $0.bbox.width }.count
        return tall * 2 > long.count
    }

    /// How much a reading says: characters of letters and digits weighted by word confidence,
    /// counting only words laid out along the line (a sideways reading of a turned page scores
    /// nothing for its vertical words). Used to choose between readings at different turns;
    /// mean confidence alone prefers a confident sideways reading.
    static func readingScore(_ segments: [[Word]]) -> Double {
        segments.joined().reduce(0) { total, word in
            let characters = word.text.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.count
            if word.text.count >= 4 && word.bbox.height > word.bbox.width { return total }
            return total + Double(characters) * word.conf / 100
        }
    }

    /// True when the page holds nothing the size of a character: only paper, specks and dust.
    /// Tesseract spends seconds on the noise of a blank scan, so such pages skip OCR.
    ///
    /// Ink is judged against the page's own paper, not against white: the background is first
    /// normalised (Leptonica's background normalisation maps the local paper level to 200
    /// everywhere), so grey, yellowed or unevenly lit paper and lid shadows do not turn the
    /// whole page into one dark blob with no character-sized mark in it (a fixed threshold did
    /// that, and whole grey-paper pages were stored as blank).
    static func isBlank(_ pix: Pix, dpi: Double) -> Bool { blankCheck(pix, dpi: dpi).blank }

    /// The blank check with its evidence (see `isBlank`). Unsure (an image Leptonica cannot
    /// process) counts as not blank: the page is read.
    static func blankCheck(_ pix: Pix, dpi: Double) -> BlankCheck {
        let unsure = BlankCheck(blank: false, marks: -1, ink: 0)
        // At 75 dpi specks average away into the paper while 6 pt type keeps a few pixels.
        let factor = Float(min(1, 75 / dpi))
        guard let small = pixScale(pix.pointer, factor, factor) else { return unsure }
        let grey = Pix(owning: small)
        guard let normalised = pixBackgroundNormSimple(grey.pointer, nil, nil) else { return unsure }
        let flat = Pix(owning: normalised)
        // 165 on paper at 200 is the contrast 210 had on white (18 % darker than the paper):
        // faint print (a pale photocopy or fax) stays ink; specks stay too small to count.
        // Erring this way only costs an OCR pass on a page that is blank.
        guard let binary = pixThresholdToBinary(flat.pointer, 165) else { return unsure }
        let ink = Pix(owning: binary)
        var dark: Int32 = 0
        pixCountPixels(ink.pointer, &dark, nil)
        let coverage = Double(dark) / Double(max(1, ink.width * ink.height))
        guard let boxes = pixConnComp(ink.pointer, nil, 8) else { return unsure }
        var list: UnsafeMutablePointer<BOXA>? = boxes
        defer { boxaDestroy(&list) }
        var marks = 0
        for index in 0..<boxaGetCount(boxes) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            boxaGetBoxGeometry(boxes, index, &x, &y, &w, &h)
            if h >= 3 && h <= 150 && w >= 1 { marks += 1 }
        }
        return BlankCheck(blank: marks < BlankCheck.marksForText, marks: marks, ink: coverage)
    }

    /// One reading of `image` turned `rotation` degrees clockwise, deskewed when asked. Each
    /// pass builds its own PIX from the page image, so at most two page-sized PIX (before and
    /// after deskew) live at once.
    /// With `lookFirst`, the cleaned page is checked by `textOrientation` and turned when it
    /// clearly looks turned (the result's `rotation` says so; the look's time is its
    /// `timings.orientation`). Looking at the cleaned copy costs no page-sized buffer of its own.
    private func pass(_ image: PageImage, rotation: Int, options: OCROptions,
                      lookFirst: Bool = false) throws(OCRError) -> OCRResult {
        let pix = try Pix(image)
        let dpi = image.dpi
        var rotation = rotation
        if rotation != 0 {
            pix.replace { pixRotateOrth($0, Int32(rotation / 90)) }
        }
        var timings = PageTimings()
        if options.cleanUp != .off {
            let start = DispatchTime.now()
            Self.clean(pix, mode: options.cleanUp, despeckle: options.despeckle, dpi: dpi)
            timings.cleanUp = start.millisecondsSince
        }
        if lookFirst {
            let start = DispatchTime.now()
            if let turn = Self.textOrientation(pix, dpi: dpi, normalised: options.cleanUp != .off), turn != 0 {
                pix.replace { pixRotateOrth($0, Int32(turn / 90)) }
                rotation = (rotation + turn) % 360
            }
            timings.orientation = start.millisecondsSince
        }
        if options.removeStreaks {
            let start = DispatchTime.now()
            Self.removeStreaks(pix, dpi: dpi)
            timings.cleanUp += start.millisecondsSince
        }
        var skew = 0.0
        if options.deskew {
            let start = DispatchTime.now()
            var angle: Float = 0, confidence: Float = 0
            pix.replace { pixFindSkewAndDeskew($0, 2, &angle, &confidence) }
            skew = confidence > 0 ? Double(angle) : 0
            timings.deskew = start.millisecondsSince
        }
        if options.eraseBrokenRules {
            let start = DispatchTime.now()
            Self.eraseBrokenRules(pix, dpi: dpi)
            timings.cleanUp += start.millisecondsSince
        }
        if options.eraseLines {
            let start = DispatchTime.now()
            Self.eraseLines(pix, dpi: dpi)
            timings.cleanUp += start.millisecondsSince
        }
        let start = DispatchTime.now()
        let scale = 72 / dpi
        let segments = try read(pix, dpi: dpi, scale: scale, timeLimit: options.timeLimit)
        timings.recognize = start.millisecondsSince
        timings.total = timings.cleanUp + timings.deskew + timings.recognize
        return OCRResult(segments: segments, rotation: rotation, skew: skew,
                         width: Double(pix.width) * scale, height: Double(pix.height) * scale,
                         timings: timings)
    }

    /// Applies `mode` to the page image in place (an image Leptonica cannot process is left
    /// as it is).
    static func clean(_ pix: Pix, mode: CleanUp, despeckle: Bool, dpi: Double) {
        guard pix.depth == 8 else { return }  // a 1-bit page is already clean of paper tone
        switch mode {
        case .off:
            return
        case .normalize:
            pix.replace { pixBackgroundNormSimple($0, nil, nil) }
            whitenFaintMarks(pix)
        case .binarize:
            // Tiles of about 1/6 inch hold paper around any stroke; the background is brought to
            // 255, then one Otsu threshold over the flattened page.
            let tile = Int32(max(10, dpi / 6))
            pix.replace { pixOtsuThreshOnBackgroundNorm($0, nil, tile, tile, 100, 50, 255, 2, 2, 0.1, nil) }
        case .sauvola:
            pix.replace { pixSauvolaOnContrastNorm($0, 130, nil, nil) }
        }
        if despeckle && pix.depth == 1 {
            // Marks under a quarter of a full stop's size (about 0.25 pt) in both directions.
            let size = Int32(max(2, dpi / 150))
            pix.replace { pixSelectBySize($0, size + 1, size + 1, 8, Int32(L_SELECT_IF_EITHER), Int32(L_SELECT_IF_GTE), nil) }
        }
    }

    /// The level background normalisation brings the paper to (Leptonica's default).
    static let normalisedPaper: Int32 = 200

    /// After background normalisation: every mark lighter than three quarters of the paper
    /// level becomes paper, and the darker ones are stretched to the full range. Print is
    /// dark; what is light on a scan is not print: the back of the sheet showing through,
    /// pale stamps, JPEG haze and toner dust. When the page's own print is that faint (its
    /// typical ink within 15 % of the cut), the cut moves up with it so that no print is lost.
    static func whitenFaintMarks(_ pix: Pix) {
        guard pix.depth == 8, let histogram = pixGetGrayHistogram(pix.pointer, 1) else { return }
        var numa: UnsafeMutablePointer<NUMA>? = histogram
        defer { numaDestroy(&numa) }
        // The typical ink: the median of the pixels clearly darker than the paper.
        var counts = [Float](repeating: 0, count: 256)
        for value in 0..<256 { numaGetFValue(histogram, Int32(value), &counts[value]) }
        let cut = Int(normalisedPaper) * 4 / 5
        let dark = counts[0..<cut].reduce(0, +)
        let total = counts.reduce(0, +)
        var ink = 0
        if dark > total / 1000 {
            var seen: Float = 0
            for value in 0..<cut {
                seen += counts[value]
                if seen * 2 >= dark { ink = value; break }
            }
        }
        // Three quarters of the paper level; on a page whose typical ink is itself that light,
        // 15 % of the paper level above the ink (never closer to the paper than 92 %).
        let paper = Int(normalisedPaper)
        let whitest = max(paper * 3 / 4, min(paper * 92 / 100, ink + paper * 15 / 100))
        pixGammaTRC(pix.pointer, pix.pointer, 1.0, 0, Int32(whitest))
    }

    /// Replaces streaks with the pixels beside them: dark lines at most 1/50 inch wide that run
    /// more than half the page's height (or width) in one straight column (or row). A dirty
    /// scanner or fax head draws them down the whole sheet, a transmission dropout across it;
    /// Tesseract reads them as a column gap or into the letters they cross ("Patie Nt"). No
    /// text is a line that thin and that long; a thin rule across more than half the page goes
    /// too, and holds no text. Only the copy Tesseract reads is changed. Run before deskew,
    /// while the streaks are straight.
    static func removeStreaks(_ pix: Pix, dpi: Double) {
        guard pix.depth == 8 || pix.depth == 1 else { return }
        guard let binary = pix.depth == 8 ? pixThresholdToBinary(pix.pointer, 128) : pixCopy(nil, pix.pointer)
        else { return }
        let ink = Pix(owning: binary)
        let widest = Int32(max(3, dpi / 50))
        /// Runs of consecutive positions whose dark count is over half `length`, at most `widest` wide.
        func streaks(_ counts: UnsafeMutablePointer<NUMA>?, length: Int) -> [ClosedRange<Int32>] {
            guard let counts else { return [] }
            var owned: UnsafeMutablePointer<NUMA>? = counts
            defer { numaDestroy(&owned) }
            var found: [ClosedRange<Int32>] = []
            var start: Int32 = -1
            let n = numaGetCount(counts)
            for i in 0...n {
                var value: Float = 0
                if i < n { numaGetFValue(counts, i, &value) }
                let dark = i < n && Double(value) > 0.5 * Double(length)
                if dark && start < 0 { start = i }
                if !dark && start >= 0 {
                    if i - start <= widest { found.append(start...(i - 1)) }
                    start = -1
                }
            }
            return found
        }
        let width = Int32(pix.width), height = Int32(pix.height)
        /// The neighbour a position inside `run` copies: the nearer side, or the only one.
        func source(_ position: Int32, in run: ClosedRange<Int32>, limit: Int32) -> Int32? {
            let before = run.lowerBound - 1, after = run.upperBound + 1
            let nearer = position - before <= after - position ? before : after
            let chosen = nearer < 0 ? after : nearer >= limit ? before : nearer
            return chosen >= 0 && chosen < limit ? chosen : nil
        }
        for run in streaks(pixCountPixelsByColumn(ink.pointer), length: pix.height) {
            for x in run {
                guard let from = source(x, in: run, limit: width) else { continue }
                pixRasterop(pix.pointer, x, 0, 1, height, PIX_SRC, pix.pointer, from, 0)
            }
        }
        for run in streaks(pixCountPixelsByRow(ink.pointer, nil), length: pix.width) {
            for y in run {
                guard let from = source(y, in: run, limit: height) else { continue }
                pixRasterop(pix.pointer, 0, y, width, 1, PIX_SRC, pix.pointer, 0, from)
            }
        }
    }

    /// Erases rules that scanning broke into dots and dashes. A thin rule on a fax or a pale
    /// photocopy survives the threshold as a row of specks and short dashes with paper between
    /// them; Tesseract takes such a row for a line of text and reads it, with the row of the
    /// table it runs along, as marks ("Magnesium ss-s*SdS mya"). Such a row is told from text
    /// by its shape: marks no taller than 1/40 inch (no letter of any print size is that
    /// flat), at most 1/8 inch apart, along one straight row for at least half an inch and
    /// five marks, each with paper for 1/75 inch above and below it (the detached bar of a
    /// broken letter touches the rest of the letter). Every such mark is painted paper. Run
    /// after deskew, so that the rows are level.
    static func eraseBrokenRules(_ pix: Pix, dpi: Double) {
        guard pix.depth == 8 || pix.depth == 1,
              let binary = pix.depth == 8 ? pixThresholdToBinary(pix.pointer, inkThreshold(pix)) : pixCopy(nil, pix.pointer)
        else { return }
        let ink = Pix(owning: binary)
        var components: UnsafeMutablePointer<PIXA>?
        guard let boxes = pixConnComp(ink.pointer, &components, 8), let components else { return }
        var ownedBoxes: UnsafeMutablePointer<BOXA>? = boxes
        var ownedComponents: UnsafeMutablePointer<PIXA>? = components
        defer {
            boxaDestroy(&ownedBoxes)
            pixaDestroy(&ownedComponents)
        }
        let flattest = Int32(max(2, dpi / 40)), gap = Int32(max(2, dpi / 75)), reach = Int32(max(4, dpi / 8))
        let width = Int32(ink.width), height = Int32(ink.height)
        struct Mark { var index: Int32; var x: Int32; var y: Int32; var w: Int32; var h: Int32 }
        /// Ink in the strip `gap` tall above or below a mark (the mark's own pixels are not in it).
        func paperAround(_ mark: Mark) -> Bool {
            for top in [mark.y - gap, mark.y + mark.h] where top >= 0 && top + gap <= height {
                guard let strip = boxCreate(mark.x, top, mark.w, gap) else { return false }
                var owned: UnsafeMutablePointer<BOX>? = strip
                defer { boxDestroy(&owned) }
                var count: Int32 = 0
                pixCountPixelsInRect(ink.pointer, strip, &count, nil)
                if count > 0 { return false }
            }
            return true
        }
        var flat: [Mark] = []
        for index in 0..<boxaGetCount(boxes) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            boxaGetBoxGeometry(boxes, index, &x, &y, &w, &h)
            guard h <= flattest, x >= 0, y >= 0, x + w <= width, y + h <= height else { continue }
            let mark = Mark(index: index, x: x, y: y, w: w, h: h)
            if paperAround(mark) { flat.append(mark) }
        }
        guard flat.count >= 5 else { return }
        // Rows: marks whose middles lie within a mark's height of each other, then chains along
        // each row of marks at most `reach` apart.
        flat.sort { ($0.y * 2 + $0.h, $0.x) < ($1.y * 2 + $1.h, $1.x) }
        var erase: [Mark] = []
        var start = 0
        while start < flat.count {
            let middle = flat[start].y * 2 + flat[start].h
            var end = start
            while end + 1 < flat.count && flat[end + 1].y * 2 + flat[end + 1].h - middle <= flattest * 2 { end += 1 }
            let row = flat[start...end].sorted { $0.x < $1.x }
            var chain: [Mark] = []
            func close() {
                // Dots and short dashes: a rule that only broke here and there (long pieces with a few
                // gaps) is left to Tesseract, which reads past an unbroken rule.
                let widths = chain.map(\.w).sorted()
                if chain.count >= 5, let last = chain.last, last.x + last.w - chain[0].x >= Int32(dpi / 2),
                   widths[widths.count / 2] <= Int32(max(3, dpi / 60)) {
                    erase += chain
                }
                chain = []
            }
            for mark in row {
                if let last = chain.last, mark.x - (last.x + last.w) > reach { close() }
                chain.append(mark)
            }
            close()
            start = end + 1
        }
        guard !erase.isEmpty, let blank = pixCreate(width, height, 1), let inkData = pixGetData(ink.pointer),
              let maskData = pixGetData(blank) else { return }
        let mask = Pix(owning: blank)
        // The rows such marks lie along. In each, the rule is the stretch of the row where ink no
        // taller than the row runs with gaps of at most `reach` and has paper above and below it
        // for the most part: the rule's unbroken pieces (joined to the table's column rules) go
        // with its broken ones, while a column rule or a letter crossing it keeps its stroke, and
        // a line of text whose letters broke at the baseline (a serif font on a fax) is no rule:
        // its letters stand right above what broke off.
        var bands: [ClosedRange<Int32>] = []
        for mark in erase.sorted(by: { $0.y < $1.y }) {
            let band = max(0, mark.y - 1)...min(height - 1, mark.y + mark.h)
            if let last = bands.last, band.lowerBound <= last.upperBound + 1 {
                bands[bands.count - 1] = last.lowerBound...max(last.upperBound, band.upperBound)
            } else {
                bands.append(band)
            }
        }
        let inkWords = Int(pixGetWpl(ink.pointer)), maskWords = Int(pixGetWpl(blank))
        func inkAt(_ x: Int32, _ y: Int32) -> Bool {
            inkData[Int(y) * inkWords + Int(x >> 5)] >> (31 - UInt32(x & 31)) & 1 == 1
        }
        let slack: Int32 = 1
        for band in bands {
            // Per column: the runs of ink that stay inside the band, and whether ink lies near
            // above or below the band.
            var flatRuns = [[ClosedRange<Int32>]](repeating: [], count: Int(width))
            var near = [Bool](repeating: false, count: Int(width))
            let above = max(0, band.lowerBound - slack - 2 * gap)..<max(0, band.lowerBound - slack)
            let below = min(height, band.upperBound + slack + 1)..<min(height, band.upperBound + slack + 1 + 2 * gap)
            for x in 0..<width {
                var y = band.lowerBound
                var crossing = false
                while y <= band.upperBound {
                    guard inkAt(x, y) else { y += 1; continue }
                    var top = y, bottom = y
                    while top > 0 && inkAt(x, top - 1) { top -= 1 }
                    while bottom < height - 1 && inkAt(x, bottom + 1) { bottom += 1 }
                    if top >= band.lowerBound - slack && bottom <= band.upperBound + slack {
                        flatRuns[Int(x)].append(top...bottom)
                    } else {
                        crossing = true
                    }
                    y = bottom + 1
                }
                // A stroke crossing the band (a column rule) is not ink beside the rule.
                near[Int(x)] = !crossing && (above.contains { inkAt(x, $0) } || below.contains { inkAt(x, $0) })
            }
            var x: Int32 = 0
            while x < width {
                guard !flatRuns[Int(x)].isEmpty else { x += 1; continue }
                // One stretch: flat ink with gaps of at most `reach`.
                var end = x, gapStart: Int32? = nil
                var inked = 0, beside = 0
                var probe = x
                while probe < width {
                    if flatRuns[Int(probe)].isEmpty {
                        if gapStart == nil { gapStart = probe }
                        if probe - gapStart! > reach { break }
                    } else {
                        gapStart = nil
                        end = probe
                        inked += 1
                        if near[Int(probe)] { beside += 1 }
                    }
                    probe += 1
                }
                if end - x >= Int32(dpi / 2), beside * 10 <= inked {
                    for column in x...end {
                        for run in flatRuns[Int(column)] {
                            for row in run { maskData[Int(row) * maskWords + Int(column >> 5)] |= 1 << (31 - UInt32(column & 31)) }
                        }
                    }
                }
                x = end + 1
            }
        }
        // The grey edge of each mark goes with it.
        mask.replace { pixDilateBrick(nil, $0, 3, 3) }
        pixPaintThroughMask(pix.pointer, mask.pointer, 0, 0, pix.depth == 8 ? 255 : 0)
    }

    /// Paints white over every dark horizontal or vertical run at least 3/4 inch long (and the
    /// pixel around it, for the grey edge of the line). No letter is that long; rules, streaks
    /// and dropout lines are.
    static func eraseLines(_ pix: Pix, dpi: Double) {
        guard pix.depth == 8 || pix.depth == 1 else { return }
        let length = Int32(max(20, dpi * 0.75))
        guard let binary = pix.depth == 8 ? pixThresholdToBinary(pix.pointer, 150) : pixCopy(nil, pix.pointer) else { return }
        let ink = Pix(owning: binary)
        guard let horizontal = pixOpenBrick(nil, ink.pointer, length, 1),
              let vertical = pixOpenBrick(nil, ink.pointer, 1, length) else { return }
        let lines = Pix(owning: horizontal)
        let columns = Pix(owning: vertical)
        pixOr(lines.pointer, lines.pointer, columns.pointer)
        lines.replace { pixDilateBrick(nil, $0, 3, 3) }
        pixPaintThroughMask(pix.pointer, lines.pointer, 0, 0, pix.depth == 8 ? 255 : 0)
    }

    /// The turn (degrees clockwise) that makes the page upright by Leptonica's count of
    /// ascenders and descenders along each axis, when the count clearly says so: one axis and
    /// direction at least 6 and at least twice as strong as the other axis; nil otherwise.
    /// Run on the cleaned (background-normalised) page, thresholded, at up to 300 dpi (grey
    /// paper would hide the letters' shapes; at 150 dpi the letters of photocopies run together
    /// and the count is unsure on most of them). `normalised`: false when the clean-up is off,
    /// and the look normalises its own copy.
    static func textOrientation(_ pix: Pix, dpi: Double, normalised: Bool) -> Int? {
        // Only a 1-bit copy (and a scaled one over 300 dpi) is made: memory stays flat with two
        // threads on long scans.
        let factor = Float(min(1, 300 / dpi))
        let scaled = factor < 0.99 ? pixScale(pix.pointer, factor, factor).map(Pix.init(owning:)) : nil
        let source = scaled ?? pix
        let ink: Pix? = if source.depth == 1 {
            source
        } else if normalised {
            pixThresholdToBinary(source.pointer, 128).map(Pix.init(owning:))
        } else {
            pixBackgroundNormSimple(source.pointer, nil, nil).map(Pix.init(owning:))
                .flatMap { pixThresholdToBinary($0.pointer, 150).map(Pix.init(owning:)) }
        }
        guard let ink else { return nil }
        // up > 0: upright, < 0: upside down; left > 0: turned so that it needs 90° clockwise,
        // < 0: 270° (measured on pages of known turn).
        var up: Float = 0, left: Float = 0
        guard pixOrientDetect(ink.pointer, &up, &left, 0, 0) == 0 else { return nil }
        let strong = max(abs(up), abs(left)), weak = min(abs(up), abs(left))
        guard strong >= 6, strong >= 2 * weak else { return nil }
        if abs(up) >= abs(left) { return up > 0 ? 0 : 180 }
        return left > 0 ? 90 : 270
    }

    /// Degrees clockwise that turn the image upright by OSD, with OSD's confidence (nil when
    /// OSD fails or is missing).
    private func detectRotation(_ pix: Pix, dpi: Double) -> (turn: Int, confidence: Double)? {
        guard let osd = osdEngine() else { return nil }
        // OSD needs only the shapes of characters: a 150 dpi copy is enough and much faster.
        let factor = Float(min(1, 150 / dpi))
        let small = factor < 0.99 ? pixScale(pix.pointer, factor, factor) : nil
        defer {
            var p = small
            if p != nil { pixDestroy(&p) }
        }
        // Grey, yellowed or unevenly lit paper and lid shadows confuse OSD's own threshold:
        // it sees the page's own paper level flattened to one value.
        let flat = pixBackgroundNormSimple(small ?? pix.pointer, nil, nil)
        defer {
            var p = flat
            if p != nil { pixDestroy(&p) }
        }
        let target = flat ?? small ?? pix.pointer
        pixSetResolution(target, Int32(dpi * Double(factor)), Int32(dpi * Double(factor)))
        TessBaseAPISetImage2(osd, target)
        TessBaseAPISetSourceResolution(osd, Int32(dpi * Double(factor)))
        var degrees: Int32 = 0
        var confidence: Float = 0
        var script: UnsafePointer<CChar>?
        var scriptConfidence: Float = 0
        let ok = TessBaseAPIDetectOrientationScript(osd, &degrees, &confidence, &script, &scriptConfidence)
        TessBaseAPIClear(osd)
        guard ok != 0 else { return nil }
        // Tesseract reports the counter-clockwise turn that makes the page upright (a page
        // scanned turned 90° counter-clockwise reads 270); return the clockwise equivalent.
        return ((360 - (Int(degrees) % 360 + 360) % 360) % 360, Double(confidence))
    }

    private func osdEngine() -> OpaquePointer? {
        if let osd { return osd }
        guard !osdFailed, let handle = TessBaseAPICreate() else { return nil }
        guard TessBaseAPIInit2(handle, tessdata, "osd", OEM_TESSERACT_ONLY) == 0 else {
            TessBaseAPIDelete(handle)
            osdFailed = true
            return nil
        }
        TessBaseAPISetVariable(handle, "debug_file", "/dev/null")
        TessBaseAPISetPageSegMode(handle, PSM_OSD_ONLY)
        osd = handle
        return handle
    }

    /// Recognises `pix` and reads words, boxes and confidences from the result iterator; then
    /// reads again whatever text-like ink the page layout left out (`unreadRegions`).
    private func read(_ pix: Pix, dpi: Double, scale: Double, timeLimit: Double) throws(OCRError) -> [[Word]] {
        TessBaseAPISetImage2(api, pix.pointer)
        TessBaseAPISetSourceResolution(api, Int32(dpi.rounded()))
        defer { TessBaseAPIClear(api) }
        let deadline = DispatchTime.now() + timeLimit
        let first = try recognizeAndCollect(scale: scale, timeLimit: timeLimit)
        var segments = first.segments
        let regions = Self.unreadRegions(pix, wordBoxes: first.boxes)
        guard !regions.isEmpty else { return segments }
        // A table column Tesseract's automatic layout made no block for (seen on faxed lab
        // reports: the whole value column): each region read again as one block of text.
        TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK)
        defer { TessBaseAPISetPageSegMode(api, PSM_AUTO) }
        for region in regions {
            let left = deadline.uptimeNanoseconds > DispatchTime.now().uptimeNanoseconds
                ? Double(deadline.uptimeNanoseconds - DispatchTime.now().uptimeNanoseconds) / 1e9 : 0
            guard left > 0.5 else { break }
            TessBaseAPISetRectangle(api, region.x, region.y, region.width, region.height)
            let (more, _) = try recognizeAndCollect(scale: scale, timeLimit: left)
            segments += more
        }
        return segments
    }

    /// One recognition of the image (or rectangle) set on the engine: the lines of words, and
    /// every word's box in pixels.
    private func recognizeAndCollect(scale: Double, timeLimit: Double) throws(OCRError)
        -> (segments: [[Word]], boxes: [(x: Int32, y: Int32, width: Int32, height: Int32)]) {
        guard let monitor = TessMonitorCreate() else { throw .recognitionFailed }
        defer { TessMonitorDelete(monitor) }
        let milliseconds = Int32(clamping: Int((timeLimit * 1000).rounded()))
        TessMonitorSetDeadlineMSecs(monitor, milliseconds)
        let start = DispatchTime.now()
        guard TessBaseAPIRecognize(api, monitor) == 0 else {
            if start.millisecondsSince >= Double(milliseconds) { throw .timeLimitExceeded(seconds: timeLimit) }
            throw .recognitionFailed
        }
        guard let iterator = TessBaseAPIGetIterator(api) else { return ([], []) }
        defer { TessResultIteratorDelete(iterator) }
        let pageIterator = TessResultIteratorGetPageIterator(iterator)
        var segments: [[Word]] = []
        var boxes: [(x: Int32, y: Int32, width: Int32, height: Int32)] = []
        var current: [Word] = []
        repeat {
            if TessPageIteratorIsAtBeginningOf(pageIterator, RIL_TEXTLINE) != 0, !current.isEmpty {
                segments.append(current)
                current = []
            }
            guard let cText = TessResultIteratorGetUTF8Text(iterator, RIL_WORD) else { continue }
            let text = String(cString: cText).trimmingCharacters(in: .whitespacesAndNewlines)
            TessDeleteText(cText)
            var left: Int32 = 0, top: Int32 = 0, right: Int32 = 0, bottom: Int32 = 0
            guard !text.isEmpty,
                  TessPageIteratorBoundingBox(pageIterator, RIL_WORD, &left, &top, &right, &bottom) != 0
            else { continue }
            boxes.append((left, top, right - left, bottom - top))
            let confidence = Double(TessResultIteratorConfidence(iterator, RIL_WORD))
            let box = BoundingBox(x0: Double(left) * scale, y0: Double(top) * scale,
                                  x1: Double(right) * scale, y1: Double(bottom) * scale)
            if Self.isNoise(text, confidence: confidence) { continue }
            current.append(Word(text: text, bbox: box, conf: (confidence * 100).rounded() / 100))
        } while TessResultIteratorNext(iterator, RIL_WORD) != 0
        if !current.isEmpty { segments.append(current) }
        return (segments, boxes)
    }

    /// Regions of text-like ink that no recognised word covers: the page's ink with every word's
    /// box cleared, its connected components kept when they are the size of letters (height
    /// between 0.5 and 1.6 times the median word height, narrower than three of it: rules, fax
    /// streaks, specks and pictures are not), joined into blocks by closing gaps of a word height
    /// across and half of one down, and kept when a block holds two letters or more (a two-digit result) and spans
    /// at least one word height across. Nothing is returned for a page without words.
    static func unreadRegions(_ pix: Pix, wordBoxes: [(x: Int32, y: Int32, width: Int32, height: Int32)])
        -> [(x: Int32, y: Int32, width: Int32, height: Int32)] {
        guard wordBoxes.count >= 10, pix.depth == 8 || pix.depth == 1 else { return [] }
        let heights = wordBoxes.map(\.height).sorted()
        let wordHeight = heights[heights.count / 2]
        guard wordHeight >= 6,
              let binary = pix.depth == 8 ? pixThresholdToBinary(pix.pointer, inkThreshold(pix)) : pixCopy(nil, pix.pointer)
        else { return [] }
        let ink = Pix(owning: binary)
        for word in wordBoxes {
            guard let box = boxCreate(word.x - 2, word.y - 2, word.width + 4, word.height + 4) else { continue }
            var owned: UnsafeMutablePointer<BOX>? = box
            pixClearInRect(ink.pointer, box)
            boxDestroy(&owned)
        }
        guard let components = pixConnComp(ink.pointer, nil, 8) else { return [] }
        var ownedComponents: UnsafeMutablePointer<BOXA>? = components
        defer { boxaDestroy(&ownedComponents) }
        guard let letters = pixCreate(Int32(ink.width), Int32(ink.height), 1) else { return [] }
        let mask = Pix(owning: letters)
        var letterBoxes: [(x: Int32, y: Int32, width: Int32, height: Int32)] = []
        for index in 0..<boxaGetCount(components) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            boxaGetBoxGeometry(components, index, &x, &y, &w, &h)
            guard Double(h) >= 0.5 * Double(wordHeight), Double(h) <= 1.6 * Double(wordHeight), w <= 3 * wordHeight
            else { continue }
            letterBoxes.append((x, y, w, h))
            if let box = boxCreate(x, y, w, h) {
                var owned: UnsafeMutablePointer<BOX>? = box
                pixSetInRect(mask.pointer, box)
                boxDestroy(&owned)
            }
        }
        guard letterBoxes.count >= 2,
              let closed = pixCloseBrick(nil, mask.pointer, wordHeight, max(1, wordHeight / 2)) else { return [] }
        let blocks = Pix(owning: closed)
        guard let regions = pixConnComp(blocks.pointer, nil, 8) else { return [] }
        var ownedRegions: UnsafeMutablePointer<BOXA>? = regions
        defer { boxaDestroy(&ownedRegions) }
        var result: [(x: Int32, y: Int32, width: Int32, height: Int32)] = []
        for index in 0..<boxaGetCount(regions) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            boxaGetBoxGeometry(regions, index, &x, &y, &w, &h)
            let inside = letterBoxes.filter { $0.x >= x && $0.y >= y && $0.x + $0.width <= x + w && $0.y + $0.height <= y + h }.count
            guard inside >= 2, w >= wordHeight else { continue }
            let pad = wordHeight / 3
            let left = max(0, x - pad), top = max(0, y - pad)
            result.append((left, top, min(Int32(ink.width) - left, w + 2 * pad), min(Int32(ink.height) - top, h + 2 * pad)))
        }
        return result
    }

    /// The grey level that separates ink from paper on an 8-bit page: Otsu's threshold over the page's histogram,
    /// kept between 96 and 224. A fixed 128 misses print that the clean-up left light (thin strokes of a phone photo
    /// after the paper is flattened lie around 160-200), and with it the text Tesseract's layout left out.
    static func inkThreshold(_ pix: Pix) -> Int32 {
        guard pix.depth == 8, let histogram = pixGetGrayHistogram(pix.pointer, 1) else { return 128 }
        var numa: UnsafeMutablePointer<NUMA>? = histogram
        defer { numaDestroy(&numa) }
        var counts = [Double](repeating: 0, count: 256)
        for value in 0..<256 {
            var count: Float = 0
            numaGetFValue(histogram, Int32(value), &count)
            counts[value] = Double(count)
        }
        let total = counts.reduce(0, +)
        let weighted = counts.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
        guard total > 0 else { return 128 }
        var below = 0.0, belowWeighted = 0.0, best = 0.0, threshold = 128
        for value in 0..<255 {
            below += counts[value]
            belowWeighted += Double(value) * counts[value]
            let above = total - below
            guard below > 0, above > 0 else { continue }
            let difference = belowWeighted / below - (weighted - belowWeighted) / above
            let between = below * above * difference * difference
            if between > best { best = between; threshold = value + 1 }
        }
        return Int32(min(224, max(96, threshold)))
    }

    /// Specks, dust and table rules that Tesseract reads as low-confidence punctuation.
    static func isNoise(_ text: String, confidence: Double) -> Bool {
        let meaningful = text.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) }
        if !meaningful && confidence < 60 { return true }
        return confidence < 20 && text.count <= 2
    }
}

extension DispatchTime {
    var millisecondsSince: Double {
        Double(DispatchTime.now().uptimeNanoseconds - uptimeNanoseconds) / 1_000_000
    }
}
