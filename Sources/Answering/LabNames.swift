/// Common names of common lab tests, so a question can name a test the way people do.
enum LabNames {
    static let synonyms: [(canonical: String, names: [String])] = [
        ("a1c", ["a1c", "hba1c", "hemoglobin a1c", "haemoglobin a1c", "glycated hemoglobin", "glycohemoglobin", "hgb a1c", "aic"]),
        ("egfr", ["egfr", "gfr", "glomerular filtration"]),
        ("ldl", ["ldl", "ldl cholesterol", "bad cholesterol"]),
        ("hdl", ["hdl", "hdl cholesterol", "good cholesterol"]),
        ("total cholesterol", ["total cholesterol", "cholesterol"]),
        ("triglycerides", ["triglycerides", "triglyceride", "trigs"]),
        ("creatinine", ["creatinine", "creat", "cr"]),
        ("glucose", ["glucose", "blood sugar", "sugar"]),
        ("potassium", ["potassium", "k"]),
        ("sodium", ["sodium", "na"]),
        ("chloride", ["chloride"]),
        ("co2", ["co2", "bicarbonate", "bicarb"]),
        ("bun", ["bun", "urea nitrogen"]),
        ("calcium", ["calcium"]),
        ("tsh", ["tsh", "thyroid stimulating hormone", "thyrotropin"]),
        ("free t4", ["free t4", "ft4", "thyroxine"]),
        ("wbc", ["wbc", "white blood cell", "white blood cells", "white count", "leukocytes"]),
        ("hemoglobin", ["hemoglobin", "haemoglobin", "hgb", "hb"]),
        ("platelets", ["platelets", "platelet", "plt"]),
        ("eosinophils", ["eosinophils", "eos"]),
        ("crp", ["crp", "c reactive protein", "c-reactive protein"]),
        ("troponin", ["troponin", "troponin i", "tni"]),
    ]

    /// The canonical test named in a lowercased, space-padded text, longest names first.
    static func canonical(in text: String) -> String? {
        var best: (String, Int)?
        for (canonical, names) in synonyms {
            for name in names where text.contains(" \(name) ") || text.contains(" \(name)s ") {
                if best == nil || name.count > best!.1 { best = (canonical, name.count) }
            }
        }
        // "hemoglobin a1c" must not read as hemoglobin.
        return best?.0
    }
}

/// Everyday names of common conditions.
enum ProblemNames {
    static let synonyms: [String: [String]] = [
        "diabetes": ["diabetes", "diabetic"], "sugar": ["diabetes"], "hypertension": ["hypertension"],
        "pressure": ["hypertension"], "cholesterol": ["hyperlipidemia", "cholesterol"], "thyroid": ["thyroid"],
        "asthma": ["asthma"], "copd": ["copd", "obstructive pulmonary"], "afib": ["atrial fibrillation"],
        "fibrillation": ["atrial fibrillation"], "pneumonia": ["pneumonia"], "smoker": ["smoker"], "smoke": ["smoker"],
    ]
}
