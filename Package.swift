// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Chartex",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chartex", targets: ["chartex"]),
        .library(name: "ChartReading", targets: ["ChartReading"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System-library shims: a module map and one header each, nothing else.
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib",
                       providers: [.apt(["libpoppler-glib-dev", "libcairo2-dev"])]),
        .systemLibrary(name: "CTesseract", pkgConfig: "tesseract",
                       providers: [.apt(["libtesseract-dev"])]),
        .systemLibrary(name: "CLeptonica", pkgConfig: "lept",
                       providers: [.apt(["libleptonica-dev"])]),

        // Plain value types shared by every stage: boxes, words, lines, page readings.
        .target(name: "ChartModel", swiftSettings: swiftSettings),
        // The only importer of CPoppler.
        .target(name: "PDFRendering", dependencies: ["CPoppler", "ChartModel"],
                swiftSettings: swiftSettings),
        // The only importer of CTesseract and CLeptonica.
        .target(name: "OCR", dependencies: ["CTesseract", "CLeptonica", "ChartModel"],
                swiftSettings: swiftSettings),
        // Reads whole charts: text layer or OCR per page, on N joined threads, in page order.
        .target(name: "ChartReading", dependencies: ["PDFRendering", "OCR", "ChartModel"],
                swiftSettings: swiftSettings),
        // The executable: argument parsing and output only.
        .executableTarget(name: "chartex", dependencies: [
            "ChartReading", "ChartModel", "OCR",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "ChartModelTests", dependencies: ["ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PDFRenderingTests", dependencies: ["PDFRendering", "ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "OCRTests", dependencies: ["OCR", "PDFRendering", "ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ChartReadingTests", dependencies: ["ChartReading", "ChartModel", "OCR"],
                    swiftSettings: swiftSettings),
        // Runs Samples/ through real Poppler and Tesseract, and the built `chartex` binary.
        .testTarget(name: "EndToEndTests", dependencies: ["ChartReading", "ChartModel"],
                    swiftSettings: swiftSettings),
    ]
)
