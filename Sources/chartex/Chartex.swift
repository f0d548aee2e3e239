import ArgumentParser
import ChartService
import Foundation
import Storage

/// The `chartex` command line.
struct Chartex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartex",
        abstract: "Turn scanned medical charts (PDF) into validated, queryable facts.",
        discussion: """
            Exit codes: 0 all well; 64 usage error; 65 one or more input files or pages could \
            not be read (the rest were); 66 no such database or document; 69 no model available for the request; 70 internal error.
            """,
        version: "0.1.0",
        subcommands: [Ocr.self, Extract.self, Ingest.self, RunWorker.self, Status.self, Documents.self, Show.self, Search.self, Facts.self, Ask.self,
                      Sql.self, Export.self, Review.self, Serve.self, Model.self, Embed.self])

    /// Runs a command, turning failures into a message on stderr and the right exit code.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("chartex: \(failure.message)\n".utf8))
            throw failure.exitCode
        } catch let error as ServiceError {
            FileHandle.standardError.write(Data("chartex: \(error.message)\n".utf8))
            throw ExitCode(error.kind.exitCode)
        } catch let error as StorageError {
            FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
            switch error {
            case .documentNotFound, .ambiguousDocument, .factNotFound: throw ExitStatus.notFound
            case .readOnlyViolation, .sqlFailed: throw ExitStatus.inputFailed
            default: throw ExitStatus.internalError
            }
        }
    }
}

/// Exit codes shared by every command (sysexits.h values).
enum ExitStatus {
    static let usage = ExitCode(64)
    static let inputFailed = ExitCode(65)
    static let notFound = ExitCode(66)
    static let internalError = ExitCode(70)
}
