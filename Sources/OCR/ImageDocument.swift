import CLeptonica
import ChartModel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The image formats read besides PDF, recognised by their first bytes (never by the name).
public enum ImageFormat: String, Sendable {
    case tiff, png, jpeg

    /// The format of a file starting with `header`, or nil when it is none of them.
    public init?(header: some Collection<UInt8>) {
        let b = Array(header.prefix(8))
        if b.count >= 4 && (b[0...3] == [0x49, 0x49, 0x2A, 0x00] || b[0...3] == [0x4D, 0x4D, 0x00, 0x2A]) {
            self = .tiff
        } else if b.count >= 8 && b == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else if b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF {
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// A scan delivered as an image: a multi-page TIFF (fax G3/G4, LZW, …), a PNG or a JPEG.
///
/// Pages are decoded one at a time by Leptonica from the file's bytes, converted to 8-bit
/// grey and resampled to square pixels at the reading resolution, so a 200×100 dpi fax comes
/// out at the same 300 dpi a PDF page is rendered at. A JPEG's EXIF orientation is applied
/// (a phone held sideways stores the picture turned and says so in EXIF). Not `Sendable`:
/// use it on one thread, like `PDFDocument`.
public final class ImageDocument {
    public let name: String
    public let format: ImageFormat
    public let pageCount: Int
    private let bytes: [UInt8]
    /// EXIF orientation (1–8; 1 is upright) of a JPEG.
    public let exifOrientation: Int

    /// Resolution assumed when an image carries none (or an implausible one, as phone photos
    /// do with 72 dpi): the page is taken to be a letter-size sheet filling the picture.
    static let assumedPageInches = 11.0

    /// Reads the image at `path`. Throws when the file cannot be read or is not a readable image.
    public convenience init(path: RawPath, name: String? = nil, maxBytes: Int = 1 << 30) throws(ImageInputError) {
        let name = name ?? path.display
        let fd = path.withCString { open($0, O_RDONLY) }
        guard fd >= 0 else { throw ImageInputError(file: name, page: nil, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw ImageInputError(file: name, page: nil, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= maxBytes else {
                throw ImageInputError(file: name, page: nil, reason: "the image is over \(maxBytes >> 20) MB")
            }
        }
        try self.init(bytes: bytes, name: name)
    }

    /// Reads an image held in memory; `name` is used in messages.
    public init(bytes: [UInt8], name: String) throws(ImageInputError) {
        guard let format = ImageFormat(header: bytes) else {
            throw ImageInputError(file: name, page: nil, reason: "not a TIFF, PNG or JPEG image")
        }
        self.name = name
        self.format = format
        self.bytes = bytes
        switch format {
        case .tiff:
            guard let count = TIFFDirectory.pageCount(bytes), count > 0 else {
                throw ImageInputError(file: name, page: nil, reason: "the TIFF is damaged (no readable page directory)")
            }
            pageCount = count
            exifOrientation = 1
        case .png:
            pageCount = 1
            exifOrientation = 1
        case .jpeg:
            pageCount = 1
            exifOrientation = EXIF.orientation(ofJPEG: bytes) ?? 1
        }
    }

    /// Page `number` (1-based) as 8-bit grey with square pixels at `dpi`, or at the highest
    /// resolution that keeps it within `maxMegapixels` (then `warning` says so).
    public func page(_ number: Int, dpi: Double, maxMegapixels: Double) throws(ImageInputError)
        -> (image: PageImage, warning: String?)
    {
        guard (1...pageCount).contains(number) else {
            throw ImageInputError(file: name, page: number, reason: "no such page (the image has \(pageCount))")
        }
        let decoded: UnsafeMutablePointer<PIX>? = bytes.withUnsafeBufferPointer { buffer in
            switch format {
            case .tiff: pixReadMemTiff(buffer.baseAddress, buffer.count, Int32(number - 1))
            case .png, .jpeg: pixReadMem(buffer.baseAddress, buffer.count)
            }
        }
        guard let decoded else {
            throw ImageInputError(file: name, page: number, reason: "Leptonica could not decode the \(format.rawValue.uppercased()) page")
        }
        var pix = Pix(owning: decoded)
        let width = Double(pix.width), height = Double(pix.height)
        var xres = Double(pixGetXRes(pix.pointer)), yres = Double(pixGetYRes(pix.pointer))
        if xres < 50 || yres < 50 || xres > 2400 || yres > 2400 {
            let assumed = max(width, height) / Self.assumedPageInches
            (xres, yres) = (assumed, assumed)
        }
        guard let grey = Self.grey(pix) else {
            throw ImageInputError(file: name, page: number, reason: "Leptonica could not convert the page to grey")
        }
        pix = grey
        // Apply the EXIF orientation before scaling (it may swap the axes, and the resolutions).
        if exifOrientation != 1 {
            Self.orient(pix, exif: exifOrientation)
            if [5, 6, 7, 8].contains(exifOrientation) { (xres, yres) = (yres, xres) }
        }
        let inchesWide = Double(pix.width) / xres, inchesHigh = Double(pix.height) / yres
        var target = dpi
        var warning: String?
        let megapixels = inchesWide * dpi * inchesHigh * dpi / 1_000_000
        if megapixels > maxMegapixels {
            target = (dpi * (maxMegapixels / megapixels).squareRoot()).rounded(.down)
            warning = String(format: "the page is %.1f x %.1f in, %.0f megapixels at %.0f dpi, over the limit of %.0f: read at %.0f dpi",
                             inchesWide, inchesHigh, megapixels, dpi, maxMegapixels, target)
            guard target >= 30 else {
                throw ImageInputError(file: name, page: number, reason: warning! + ", too low to read")
            }
        }
        let sx = Float(target / xres), sy = Float(target / yres)
        if abs(sx - 1) > 0.001 || abs(sy - 1) > 0.001 {
            pix.replace { pixScale($0, sx, sy) }
        }
        return (pix.pageImage(dpi: target), warning)
    }

    /// An 8-bit grey copy of `pix` (colour through luminance, 1-bit and colour-mapped expanded).
    private static func grey(_ pix: Pix) -> Pix? {
        let converted: UnsafeMutablePointer<PIX>? = switch pix.depth {
        case 8 where pixGetColormap(pix.pointer) == nil: pixCopy(nil, pix.pointer)
        case 32: pixConvertRGBToLuminance(pix.pointer)
        case 16: pixConvert16To8(pix.pointer, Int32(L_MS_BYTE))
        default: pixConvertTo8(pix.pointer, 0)
        }
        guard let converted else { return nil }
        let result = Pix(owning: converted)
        if result.depth == 32 {  // a colour map converted to RGB
            result.replace { pixConvertRGBToLuminance($0) }
        }
        return result.depth == 8 ? result : nil
    }

    /// Turns and flips `pix` as EXIF orientation `exif` asks (to show the picture upright).
    static func orient(_ pix: Pix, exif: Int) {
        switch exif {
        case 2: pix.replace { pixFlipLR(nil, $0) }
        case 3: pix.replace { pixRotateOrth($0, 2) }
        case 4: pix.replace { pixFlipTB(nil, $0) }
        case 5: pix.replace { pixFlipLR(nil, $0) }; pix.replace { pixRotateOrth($0, 3) }
        case 6: pix.replace { pixRotateOrth($0, 1) }
        case 7: pix.replace { pixFlipLR(nil, $0) }; pix.replace { pixRotateOrth($0, 1) }
        case 8: pix.replace { pixRotateOrth($0, 3) }
        default: break
        }
    }

    /// Page `number` as an 8-bit grey PNG whose longer side is at most `maxPixels`.
    public func pngData(_ number: Int, maxPixels: Int) throws(ImageInputError) -> Data {
        let (image, _) = try page(number, dpi: 100, maxMegapixels: 1_000)
        let pix = try Pix(image, file: name, page: number)
        let scale = Float(Double(maxPixels) / Double(max(pix.width, pix.height)))
        if scale < 1 { pix.replace { pixScale($0, scale, scale) } }
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        guard pixWriteMemPng(&data, &size, pix.pointer, 0) == 0, let data else {
            throw ImageInputError(file: name, page: number, reason: "Leptonica could not write a PNG")
        }
        defer { free(data) }
        return Data(bytes: data, count: size)
    }
}

/// An image that cannot be read, with the file and page.
public struct ImageInputError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var page: Int?
    public var reason: String

    public var description: String {
        if let page { return "\(file): page \(page): \(reason)" }
        return "\(file): \(reason)"
    }
}

extension Pix {
    /// Copies `image` (an 8-bit page image) into a PIX, naming the file and page on failure.
    convenience init(_ image: PageImage, file: String, page: Int) throws(ImageInputError) {
        do {
            try self.init(image)
        } catch {
            throw ImageInputError(file: file, page: page, reason: "\(error)")
        }
    }

    /// The 8-bit PIX as a page image at `dpi`.
    func pageImage(dpi: Double) -> PageImage {
        let width = self.width, height = self.height
        let wordsPerLine = Int(pixGetWpl(pointer))
        let data = UnsafeRawPointer(pixGetData(pointer)!)
        var pixels = [UInt8](repeating: 255, count: width * height)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let line = data + y * wordsPerLine * 4
                let row = y * width
                // Byte x of a row lives at address x ^ 3 (32-bit words, most significant first).
                for x in 0..<width { out[row + x] = line.load(fromByteOffset: x ^ 3, as: UInt8.self) }
            }
        }
        return PageImage(width: width, height: height, dpi: dpi, pixels: pixels)
    }
}

/// The directory chain of a TIFF file, read without decoding any image.
enum TIFFDirectory {
    /// The number of pages (image file directories), or nil when the chain is damaged.
    static func pageCount(_ b: [UInt8]) -> Int? {
        guard b.count >= 8 else { return nil }
        let little = b[0] == 0x49
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= b.count else { return nil }
            return little ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let c = u16(o + 2) else { return nil }
            return little ? a | c << 16 : a << 16 | c
        }
        guard var offset = u32(4) else { return nil }
        var seen = Set<Int>()
        var count = 0
        while offset != 0 {
            guard seen.insert(offset).inserted, count < 100_000, let entries = u16(offset),
                  let next = u32(offset + 2 + entries * 12) else { return count > 0 ? count : nil }
            count += 1
            offset = next
        }
        return count
    }
}

/// The one EXIF field a scan needs: the orientation of a JPEG.
enum EXIF {
    /// Tag 0x0112 of the first APP1 "Exif" segment of a JPEG (1–8), or nil without one.
    static func orientation(ofJPEG b: [UInt8]) -> Int? {
        var o = 2
        while o + 4 <= b.count, b[o] == 0xFF {
            let marker = b[o + 1]
            if marker == 0xDA || marker == 0xD9 { return nil }  // image data: no EXIF before it
            let length = Int(b[o + 2]) << 8 | Int(b[o + 3])
            let start = o + 4
            if marker == 0xE1, length >= 16, start + 6 <= b.count,
               Array(b[start..<start + 6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
                return tiffOrientation(Array(b[(start + 6)..<min(b.count, o + 2 + length)]))
            }
            o += 2 + length
        }
        return nil
    }

    private static func tiffOrientation(_ t: [UInt8]) -> Int? {
        guard t.count >= 8 else { return nil }
        let little = t[0] == 0x49
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let c = u16(o + 2) else { return nil }
            return little ? a | c << 16 : a << 16 | c
        }
        guard let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for index in 0..<min(entries, 512) {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, let value = u16(entry + 8), (1...8).contains(value) { return value }
        }
        return nil
    }
}
