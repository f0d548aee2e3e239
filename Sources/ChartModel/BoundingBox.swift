/// A rectangle on a page, in PDF points (1/72 inch), origin at the top-left corner of the
/// upright page, y growing downwards.
///
/// For OCR'd pages "upright" means after orientation correction and deskew; the page's
/// `rotation` and `skew` say how to map a box back onto the scanned image.
/// Encoded in JSON as `[x0, y0, x1, y1]`, rounded to 0.01 pt.
public struct BoundingBox: Sendable, Hashable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = min(x0, x1)
        self.y0 = min(y0, y1)
        self.x1 = max(x0, x1)
        self.y1 = max(y0, y1)
    }

    public var width: Double { x1 - x0 }
    public var height: Double { y1 - y0 }
    public var midY: Double { (y0 + y1) / 2 }
    public var midX: Double { (x0 + x1) / 2 }

    /// The smallest box that holds both.
    public func union(_ other: BoundingBox) -> BoundingBox {
        BoundingBox(x0: min(x0, other.x0), y0: min(y0, other.y0),
                    x1: max(x1, other.x1), y1: max(y1, other.y1))
    }

    /// The smallest box that holds all of `boxes`, or nil when there are none.
    public static func union<S: Sequence>(_ boxes: S) -> BoundingBox? where S.Element == BoundingBox {
        boxes.reduce(nil) { partial, box in partial.map { $0.union(box) } ?? box }
    }

    /// How much of the shorter vertical extent the two boxes share, from 0 to 1.
    public func verticalOverlap(with other: BoundingBox) -> Double {
        let shared = min(y1, other.y1) - max(y0, other.y0)
        let shorter = min(height, other.height)
        guard shorter > 0 else { return 0 }
        return max(0, shared) / shorter
    }
}

extension BoundingBox: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init(x0: try container.decode(Double.self), y0: try container.decode(Double.self),
                  x1: try container.decode(Double.self), y1: try container.decode(Double.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for value in [x0, y0, x1, y1] {
            try container.encode((value * 100).rounded() / 100)
        }
    }
}
