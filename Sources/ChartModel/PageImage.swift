/// An 8-bit greyscale raster of a page (0 = black, 255 = white), one byte per pixel,
/// rows top to bottom with no padding.
public struct PageImage: Sendable {
    public var width: Int
    public var height: Int
    /// Pixels per inch, horizontally and vertically (always square after rendering).
    public var dpi: Double
    public var pixels: [UInt8]

    public init(width: Int, height: Int, dpi: Double, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "pixel buffer does not match the size")
        self.width = width
        self.height = height
        self.dpi = dpi
        self.pixels = pixels
    }
}
