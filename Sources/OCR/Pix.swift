import CLeptonica
import ChartModel

/// Owns one Leptonica `PIX*` and destroys it in `deinit`. Not `Sendable`: use it on one thread.
final class Pix {
    private(set) var pointer: UnsafeMutablePointer<PIX>

    /// Takes ownership of `pointer`.
    init(owning pointer: UnsafeMutablePointer<PIX>) { self.pointer = pointer }

    /// Copies an 8-bit grey page image into a new PIX.
    init(_ image: PageImage) throws(OCRError) {
        guard let pix = pixCreate(Int32(image.width), Int32(image.height), 8) else {
            throw .imageFailed(reason: "Leptonica could not allocate \(image.width)x\(image.height)")
        }
        let dpi = Int32(image.dpi.rounded())
        pixSetResolution(pix, dpi, dpi)
        let wordsPerLine = Int(pixGetWpl(pix))
        let data = UnsafeMutableRawPointer(pixGetData(pix)!)
        image.pixels.withUnsafeBufferPointer { source in
            for y in 0..<image.height {
                let line = data + y * wordsPerLine * 4
                let row = y * image.width
                // Leptonica keeps pixels in 32-bit words, most significant byte first: on a
                // little-endian machine byte x of a row lives at address x ^ 3.
                for x in 0..<image.width {
                    line.storeBytes(of: source[row + x], toByteOffset: x ^ 3, as: UInt8.self)
                }
            }
        }
        self.pointer = pix
    }

    deinit {
        var p: UnsafeMutablePointer<PIX>? = pointer
        pixDestroy(&p)
    }

    var width: Int { Int(pointer.pointee.w) }
    var height: Int { Int(pointer.pointee.h) }
    /// Bits per pixel: 8 for grey, 1 for a binarised page.
    var depth: Int { Int(pointer.pointee.d) }

    /// One pixel's value (0-255 on a grey image, 0/1 on a binary one).
    func value(x: Int, y: Int) -> UInt32 {
        var value: UInt32 = 0
        pixGetPixel(pointer, Int32(x), Int32(y), &value)
        return value
    }

    /// Replaces the image with `transform`'s result when it returns one.
    ///
    /// Leptonica functions such as `pixFindSkewAndDeskew` return a *clone* of their input (the
    /// same PIX with its reference count raised) when they have nothing to do: that reference
    /// is released here too, or the page image would leak.
    func replace(_ transform: (UnsafeMutablePointer<PIX>) -> UnsafeMutablePointer<PIX>?) {
        guard let new = transform(pointer) else { return }
        var old: UnsafeMutablePointer<PIX>? = pointer
        pixDestroy(&old)  // drops one reference; frees the image only when it was a new one
        pointer = new
    }
}
