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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // System-library shims: a module map and one header each, nothing else.
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib",
                       providers: [.apt(["libpoppler-glib-dev", "libcairo2-dev"])]),
        .systemLibrary(name: "CTesseract", pkgConfig: "tesseract",
                       providers: [.apt(["libtesseract-dev"])]),
        .systemLibrary(name: "CLeptonica", pkgConfig: "lept",
                       providers: [.apt(["libleptonica-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Plain value types shared by every stage: boxes, words, lines, page readings.
        .target(name: "ChartModel", swiftSettings: swiftSettings),
        // The only importer of CPoppler.
        .target(name: "PDFRendering", dependencies: ["CPoppler", "ChartModel"],
                swiftSettings: swiftSettings),
        // The only importer of CTesseract, CLeptonica and CMalloc.
        .target(name: "OCR", dependencies: ["CTesseract", "CLeptonica", "CMalloc", "ChartModel"],
                swiftSettings: swiftSettings),
        // Reads whole charts: text layer or OCR per page, on N joined threads, in page order.
        .target(name: "ChartReading", dependencies: ["PDFRendering", "OCR", "ChartModel"],
                swiftSettings: swiftSettings),
        // JSON Schema (draft 2020-12) validation with JSON Pointer errors.
        .target(name: "Validation", swiftSettings: swiftSettings),
        // Normalisers and parsers for extraction: dates, units, flags, ranges, sigs.
        .target(name: "Layout", dependencies: ["ChartModel"], swiftSettings: swiftSettings),
        .target(name: "Extraction", dependencies: ["ChartModel", "Layout", "Validation"],
                resources: [.copy("../../Schemas"), .copy("Vocabulary")],
                swiftSettings: swiftSettings),
        // The model client: OpenAI-compatible / Ollama chat completions, constrained JSON,
        // retries, vision detection, and the local llama-server it can start.
        .target(name: "ModelClient", dependencies: [
            "Validation",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        // Schema-guided extraction with a model: per-section prompts, grounding, hybrid merge.
        .target(name: "ModelExtraction", dependencies: ["Extraction", "ModelClient", "ChartModel", "Validation"],
                swiftSettings: swiftSettings),
        // The sentence-embedding model (all-MiniLM-L6-v2) on OpenBLAS; the only importer of COpenBLAS.
        // Optimised in debug builds too: its loops (layer norms, GELU, softmax) run per token.
        .target(name: "Embedding", dependencies: ["COpenBLAS"],
                swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The semantic index over the store: lines embedded at ingest, searched by cosine.
        .target(name: "SemanticIndex", dependencies: ["Embedding", "Extraction", "Storage"], swiftSettings: swiftSettings),
        // Question answering over a chart's facts and text, with citations.
        .target(name: "Answering", dependencies: ["ChartModel", "Extraction", "ModelClient", "Validation"], swiftSettings: swiftSettings),
        // The store: GRDB over one SQLite file (the only importer of GRDBSQLite), or PostgreSQL
        // through postgres-nio (the only importer of PostgresNIO), behind the same protocols.
        .target(name: "Storage", dependencies: [
            "ChartModel",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("../../Migrations")], swiftSettings: swiftSettings),
        // Intake and the durable-queue worker: reads documents and commits them page by page.
        .target(name: "Worker", dependencies: ["ChartReading", "ChartModel", "Storage", "Extraction", "Validation",
                                              "ModelClient", "ModelExtraction", "PDFRendering"],
                swiftSettings: swiftSettings),
        // FHIR R4 bundles from the export, with every value's evidence as Provenance.
        .target(name: "FHIRExport", dependencies: ["Storage", "Extraction", "ChartModel"],
                resources: [.copy("Vocabulary")], swiftSettings: swiftSettings),
        // The operations the CLI and the server both call (status, documents, pages, facts,
        // review, ask, search, export, intake), on the store protocols; no SQL, no GRDB.
        .target(name: "ChartService", dependencies: ["Storage", "ChartModel", "ChartReading", "Extraction", "Answering", "FHIRExport",
                                                    "Embedding", "SemanticIndex", "ModelClient", "Validation", "Worker"],
                swiftSettings: swiftSettings),
        // `chartex serve`: the JSON API, the review page and its assets, on Hummingbird.
        .target(name: "ChartServer", dependencies: [
            "ChartService", "Storage", "ChartModel", "Answering", "ModelClient", "FHIRExport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], resources: [.copy("Assets")], swiftSettings: swiftSettings),
        // The executable: argument parsing and output only.
        .executableTarget(name: "chartex", dependencies: [
            "ChartReading", "ChartModel", "OCR", "Storage", "Worker", "Extraction", "Answering", "ModelClient", "Embedding", "SemanticIndex",
            "ModelExtraction", "Validation", "PDFRendering", "ChartService", "ChartServer", "FHIRExport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "ChartModelTests", dependencies: ["ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PDFRenderingTests", dependencies: ["PDFRendering", "ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "OCRTests", dependencies: ["OCR", "PDFRendering", "ChartModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ExtractionTests", dependencies: ["Extraction", "Layout", "ChartModel", "Validation"], swiftSettings: swiftSettings),
        .testTarget(name: "AnsweringTests", dependencies: ["Answering", "ChartModel"], swiftSettings: swiftSettings),
        .testTarget(name: "EmbeddingTests", dependencies: ["Embedding"], swiftSettings: swiftSettings),
        // Helpers shared by the test targets: the chartex runner and the fault-injecting model server.
        .target(name: "TestSupport", dependencies: ["ModelClient", "Validation"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "ModelClientTests", dependencies: ["ModelClient", "ModelExtraction", "Extraction", "ChartModel",
                                                             "Validation", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ValidationTests", dependencies: ["Validation"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "ChartModel", "TestSupport",
                                                         .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ChartReadingTests", dependencies: ["ChartReading", "ChartModel", "OCR"],
                    swiftSettings: swiftSettings),
        // Runs Samples/ through real Poppler and Tesseract, and the built `chartex` binary.
        .testTarget(name: "EndToEndTests", dependencies: ["ChartReading", "ChartModel", "Storage", "TestSupport", "ModelClient",
                                                          "Validation", "PDFRendering",
                                                          .product(name: "GRDB", package: "GRDB.swift"),
                                                          .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                          .product(name: "NIOCore", package: "swift-nio"),
                                                          .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
    ]
)
