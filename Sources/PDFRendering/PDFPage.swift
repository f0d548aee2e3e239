import CPoppler
import ChartModel
import Foundation

/// One page of a `PDFDocument`.
///
/// Owns one `PopplerPage*` (released in `deinit`) and keeps its document alive. Not `Sendable`:
/// use it on the thread that opened the document.
public final class PDFPage {
    private let handle: OpaquePointer
    private let document: PDFDocument
    /// 1-based page number.
    public let number: Int
    /// Page width and height in points, as displayed (after the page's /Rotate).
    public let width: Double
    public let height: Double

    init(handle: OpaquePointer, document: PDFDocument, number: Int) {
        self.handle = handle
        self.document = document
        self.number = number
        var width = 0.0, height = 0.0
        poppler_page_get_size(handle, &width, &height)
        self.width = width
        self.height = height
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// A quarter turn (90) when the page's /Rotate swaps its width and height, else 0.
    /// poppler-glib renders with /Rotate applied but does not expose the value itself, so a
    /// half turn cannot be told from none here; OCR orientation detection handles both.
    public var quarterTurn: Int {
        var crop = PopplerRectangle()
        poppler_page_get_crop_box(handle, &crop)
        let cropWidth = abs(crop.x2 - crop.x1)
        return abs(cropWidth - width) > 0.5 && abs(cropWidth - height) < 0.5 ? 90 : 0
    }

    /// Renders the page to 8-bit grey on a white background at `dpi` (square pixels, so a
    /// 200x100 dpi fax image is resampled to square pixels here).
    /// - Throws: `.pageTooLarge` when the raster would exceed `maxMegapixels`.
    public func render(dpi: Double, maxMegapixels: Double) throws(PDFRenderingError) -> PageImage {
        let pixelWidth = Int((width * dpi / 72).rounded())
        let pixelHeight = Int((height * dpi / 72).rounded())
        let megapixels = Double(pixelWidth) * Double(pixelHeight) / 1_000_000
        guard megapixels <= maxMegapixels, pixelWidth < 32_767, pixelHeight < 32_767 else {
            throw .pageTooLarge(file: document.name, page: number, widthPoints: width,
                                heightPoints: height, megapixels: megapixels, limit: maxMegapixels)
        }
        guard pixelWidth > 0, pixelHeight > 0 else {
            throw .renderFailed(file: document.name, page: number, reason: "the page has no area")
        }
        // RGB16_565 halves the raster Cairo needs (2 bytes a pixel instead of 4): 17 MB rather
        // than 34 MB for a letter page at 300 dpi, per thread. 5-6 bits a channel is plenty
        // for OCR, which thresholds the grey image anyway.
        let surface = try draw(CAIRO_FORMAT_RGB16_565, width: pixelWidth, height: pixelHeight, scale: dpi / 72)
        defer { cairo_surface_destroy(surface) }
        guard let data = cairo_image_surface_get_data(surface) else {
            throw .renderFailed(file: document.name, page: number, reason: "cairo returned no pixels")
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var grey = [UInt8](repeating: 255, count: pixelWidth * pixelHeight)
        grey.withUnsafeMutableBufferPointer { out in
            for y in 0..<pixelHeight {
                let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt16.self)
                let base = y * pixelWidth
                for x in 0..<pixelWidth {
                    // RRRRRGGG GGGBBBBB in a native-endian 16-bit word; widen each channel to 8 bits.
                    let p = UInt32(row[x])
                    let r = (p >> 11) & 0x1F, g = (p >> 5) & 0x3F, b = p & 0x1F
                    let r8 = (r << 3) | (r >> 2), g8 = (g << 2) | (g >> 4), b8 = (b << 3) | (b >> 2)
                    out[base + x] = UInt8(truncatingIfNeeded: (r8 &* 77 &+ g8 &* 150 &+ b8 &* 29) >> 8)
                }
            }
        }
        return PageImage(width: pixelWidth, height: pixelHeight, dpi: dpi, pixels: grey)
    }

    /// The page as an 8-bit grey PNG whose longer side is at most `maxPixels` (for a vision
    /// model: MedGemma resizes every image to 896×896, so more than ~1.5k pixels buys nothing).
    public func pngData(maxPixels: Int) throws(PDFRenderingError) -> Data {
        let scale = Double(maxPixels) / max(width, height)
        let pixelWidth = max(1, Int((width * scale).rounded())), pixelHeight = max(1, Int((height * scale).rounded()))
        let surface = try draw(CAIRO_FORMAT_RGB24, width: pixelWidth, height: pixelHeight, scale: scale)
        defer { cairo_surface_destroy(surface) }
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw .renderFailed(file: document.name, page: number, reason: "cairo could not write a PNG")
        }
        return sink.data
    }

    /// The page drawn on a white cairo image surface of `format` (the caller destroys it).
    private func draw(_ format: cairo_format_t, width: Int, height: Int,
                      scale: Double) throws(PDFRenderingError) -> OpaquePointer {
        guard let surface = cairo_image_surface_create(format, Int32(width), Int32(height)),
              cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw .renderFailed(file: document.name, page: number, reason: "cairo could not allocate the page")
        }
        guard let cr = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw .renderFailed(file: document.name, page: number, reason: "cairo could not draw")
        }
        // Without a white background born-digital pages render on black.
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_scale(cr, scale, scale)
        poppler_page_render(handle, cr)
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        return surface
    }

    /// Reads the page's own text layer: words with boxes rebuilt from character boxes, the
    /// fonts used, and how much of the page images cover.
    public func textLayer() -> TextLayer {
        guard let cText = poppler_page_get_text(handle) else {
            return TextLayer(segments: [], fontNames: [], imageCoverage: imageCoverage())
        }
        defer { g_free(cText) }
        let text = String(cString: cText)
        var rectangles: UnsafeMutablePointer<PopplerRectangle>?
        var count: guint = 0
        guard poppler_page_get_text_layout(handle, &rectangles, &count) != 0, let rectangles else {
            return TextLayer(segments: [], fontNames: fontNames(), imageCoverage: imageCoverage())
        }
        defer { g_free(rectangles) }
        let boxes = UnsafeBufferPointer(start: rectangles, count: Int(count))
        return TextLayer(segments: Self.segments(text: text, boxes: boxes), fontNames: fontNames(),
                         imageCoverage: imageCoverage())
    }

    /// Rebuilds words and lines from per-character boxes: a gap wider than a quarter of the
    /// line height starts a new word, a change of baseline a new line. (poppler_page_get_text
    /// alone glues table cells together.)
    static func segments(text: String, boxes: UnsafeBufferPointer<PopplerRectangle>) -> [[Word]] {
        var segments: [[Word]] = []
        var line: [Word] = []
        var word = ""
        var wordBox: BoundingBox?
        var previous: BoundingBox?

        func endWord() {
            if let box = wordBox, !word.isEmpty {
                line.append(Word(text: word, bbox: box, conf: 100))
            }
            word = ""
            wordBox = nil
        }
        func endLine() {
            endWord()
            if !line.isEmpty { segments.append(line) }
            line = []
            previous = nil
        }

        for (index, scalar) in text.unicodeScalars.enumerated() {
            guard index < boxes.count else { break }
            if scalar == "\n" || scalar == "\r" {
                endLine()
                continue
            }
            if scalar.properties.isWhitespace {
                endWord()
                continue
            }
            let r = boxes[index]
            let box = BoundingBox(x0: r.x1, y0: r.y1, x1: r.x2, y1: r.y2)
            if let previous {
                let height = max(previous.height, box.height, 1)
                if abs(box.y1 - previous.y1) > height * 0.5 || box.x0 < previous.x0 - height {
                    endLine()
                } else if box.x0 - previous.x1 > height * 0.25 {
                    endWord()
                }
            }
            word.unicodeScalars.append(scalar)
            wordBox = wordBox.map { $0.union(box) } ?? box
            previous = box
        }
        endLine()
        return segments
    }

    private func fontNames() -> Set<String> {
        var names = Set<String>()
        guard let list = poppler_page_get_text_attributes(handle) else { return names }
        defer { poppler_page_free_text_attributes(list) }
        var node: UnsafeMutablePointer<GList>? = list
        while let current = node {
            if let attributes = current.pointee.data?.assumingMemoryBound(to: PopplerTextAttributes.self),
               let font = attributes.pointee.font_name {
                names.insert(String(cString: font))
            }
            node = current.pointee.next
        }
        return names
    }

    private func imageCoverage() -> Double {
        guard let list = poppler_page_get_image_mapping(handle) else { return 0 }
        defer { poppler_page_free_image_mapping(list) }
        var covered = 0.0
        var node: UnsafeMutablePointer<GList>? = list
        while let current = node {
            if let mapping = current.pointee.data?.assumingMemoryBound(to: PopplerImageMapping.self) {
                let a = mapping.pointee.area
                let w = max(0, min(a.x2, width) - max(a.x1, 0))
                let h = max(0, min(a.y2, height) - max(a.y1, 0))
                covered += w * h
            }
            node = current.pointee.next
        }
        return min(1, covered / max(width * height, 1))
    }
}

/// What a page's own text layer holds.
public struct TextLayer: Sendable {
    /// Runs of words on one baseline, in the order Poppler reads them.
    public var segments: [[Word]]
    /// Names of the fonts the text uses.
    public var fontNames: Set<String>
    /// The fraction of the page that images cover (0–1).
    public var imageCoverage: Double

    /// The number of non-space characters in the layer.
    public var characterCount: Int { segments.reduce(0) { $0 + $1.reduce(0) { $0 + $1.text.count } } }

    /// True when the text is an OCR layer, not the document's own text: Tesseract and
    /// OCRmyPDF write invisible `GlyphLessFont` text.
    public var isOCRLayer: Bool { fontNames.contains { $0.localizedCaseInsensitiveContains("GlyphLess") } }

    /// True when the page is born-digital: real text that is not an OCR layer laid over a
    /// page-sized scan. Such pages keep their text and skip OCR.
    public func isBornDigital(minimumCharacters: Int = 20) -> Bool {
        characterCount >= minimumCharacters && !isOCRLayer && imageCoverage < 0.85
    }
}
