import ModelClient
import Testing

/// The one place that splits the cores between OCR and a local llama-server.
@Suite struct CoreBudgetTests {
    @Test func withoutALocalModelOCRGetsEveryCore() {
        let budget = CoreBudget.decide(cores: 8, localModel: false, ocrJobs: nil, modelThreads: nil)
        #expect(budget.ocrThreads == 8 && budget.modelThreads == 0)
    }

    @Test func aLocalModelGetsHalfAndOCRTheRest() {
        for cores in 1...16 {
            let budget = CoreBudget.decide(cores: cores, localModel: true, ocrJobs: nil, modelThreads: nil)
            #expect(budget.modelThreads >= 1 && budget.ocrThreads >= 1)
            #expect(cores == 1 || budget.ocrThreads + budget.modelThreads <= cores, "\(cores): \(budget)")
        }
        let two = CoreBudget.decide(cores: 2, localModel: true, ocrJobs: nil, modelThreads: nil)
        #expect(two.ocrThreads == 1 && two.modelThreads == 1 && !two.oversubscribed)
    }

    @Test func theUserCanOverrideEitherSide() {
        let model = CoreBudget.decide(cores: 8, localModel: true, ocrJobs: nil, modelThreads: 6)
        #expect(model.ocrThreads == 2 && model.modelThreads == 6)
        let ocr = CoreBudget.decide(cores: 8, localModel: true, ocrJobs: 3, modelThreads: nil)
        #expect(ocr.ocrThreads == 3 && ocr.modelThreads == 5)
        let both = CoreBudget.decide(cores: 2, localModel: true, ocrJobs: 2, modelThreads: 2)
        #expect(both.oversubscribed && both.description.contains("more threads than cores"))
    }

    @Test func aRunningServerKeepsItsThreadsAndOCRTakesTheRest() {
        let budget = CoreBudget.decide(cores: 4, localModel: true, ocrJobs: nil, modelThreads: 1, runningServerThreads: 3)
        #expect(budget.modelThreads == 3 && budget.ocrThreads == 1 && budget.source == "running server")
    }

    @Test func aRemoteEndpointIsNotCounted() {
        let budget = CoreBudget.decide(for: ModelConfiguration(endpoint: "http://gpu-box.invalid:8000"), usesModel: true,
                                       ocrJobs: nil, cores: 2)
        #expect(budget.ocrThreads == 2 && budget.modelThreads == 0)
    }
}
