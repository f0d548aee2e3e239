#!/usr/bin/env python3
"""Questions about the layout-family chart corpus (make_chart_corpus.py), with gold answers taken
from each document's expected facts, for scoring `chartex ask` on charts and wordings it was not
written for.

Every question has a kind of answer (date, yes/no, list, number, text) and a gold answer:
  date    the ISO date the answer must give first;
  yes/no  "yes" or "no", which the answer must start with;
  number  the number the answer must give first;
  text    words the answer must contain (whole words, case-insensitive);
  list    items the answer must all name, and `exclude`, items it must not name;
  "not stated" (any kind) when the document does not say.

Two wording pools: documents of the dev layout families (1-4) are asked with the dev templates,
documents of the held-out families (5-6) with the held-out templates, which share no phrasing with
the dev ones (other verbs, word orders, everyday names). Tune `ask` on dev only; held-out is only
reported.

A third pool, FRESH, was written later in one sitting before the ask changes of that day, and is
asked of every document with --wordings fresh: measured before and after those changes, never
tuned on (its figures are the least fitted ones).

Usage: make_questions.py --corpus DIR [--out DIR/questions.jsonl] [--per-document N] [--wordings split|fresh]
"""
import argparse
import glob
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# Everyday names of the corpus's tests (the first is the dev wording, the second the held-out one).
LAB_SPOKEN = {
    "glucose": ("fasting glucose", "blood sugar"), "bun": ("BUN", "blood urea nitrogen"),
    "creatinine": ("creatinine", "serum creatinine"), "sodium": ("sodium", "sodium level"),
    "potassium": ("potassium", "potassium level"), "chloride": ("chloride", "chloride level"),
    "co2": ("CO2", "bicarbonate"), "calcium": ("calcium", "serum calcium"), "albumin": ("albumin", "albumin level"),
    "bilirubin": ("total bilirubin", "bilirubin"), "alkaline phosphatase": ("alkaline phosphatase", "alk phos"),
    "ast": ("AST", "SGOT"), "alt": ("ALT", "SGPT"), "a1c": ("hemoglobin A1c", "HbA1c"),
    "cholesterol": ("total cholesterol", "cholesterol"), "triglycerides": ("triglycerides", "triglyceride level"),
    "hdl": ("HDL", "HDL cholesterol"), "ldl": ("LDL", "LDL cholesterol"), "tsh": ("TSH", "thyroid stimulating hormone"),
    "free t4": ("free T4", "FT4"), "wbc": ("white blood cell count", "WBC"), "rbc": ("red blood cell count", "RBC"),
    "hemoglobin": ("hemoglobin", "Hgb"), "hematocrit": ("hematocrit", "Hct"), "mcv": ("MCV", "mean corpuscular volume"),
    "platelets": ("platelet count", "platelets"), "ferritin": ("ferritin", "ferritin level"),
    "b12": ("vitamin B12", "B12 level"), "vitamin d": ("vitamin D", "25-hydroxy vitamin D"),
    "magnesium": ("magnesium", "Mg level"), "phosphorus": ("phosphorus", "phosphate"), "uric acid": ("uric acid", "urate"),
    "psa": ("PSA", "prostate specific antigen"), "crp": ("CRP", "C-reactive protein"),
    "pt": ("prothrombin time", "PT"), "inr": ("INR", "international normalized ratio"),
    "uacr": ("urine albumin/creatinine ratio", "microalbumin"), "egfr": ("eGFR", "estimated GFR"),
    "lipase": ("lipase", "lipase level"), "bnp": ("BNP", "B-type natriuretic peptide"),
}
# The printed names (full and short, as make_chart_corpus.py prints them) of each test above.
LAB_PRINTED = {
    "glucose": ["Glucose, fasting", "Glucose"], "bun": ["Urea nitrogen (BUN)", "BUN"],
    "creatinine": ["Creatinine", "Creat"], "sodium": ["Sodium", "Na"], "potassium": ["Potassium", "K"],
    "chloride": ["Chloride", "Cl"], "co2": ["Carbon dioxide, total", "CO2"], "calcium": ["Calcium", "Ca"],
    "albumin": ["Albumin", "Alb"], "bilirubin": ["Bilirubin, total", "T. Bili"],
    "alkaline phosphatase": ["Alkaline phosphatase", "ALP"], "ast": ["AST (SGOT)", "AST"], "alt": ["ALT (SGPT)", "ALT"],
    "a1c": ["Hemoglobin A1c", "HbA1c"], "cholesterol": ["Cholesterol, total", "Total Chol"],
    "triglycerides": ["Triglycerides", "Trig"], "hdl": ["HDL cholesterol", "HDL"],
    "ldl": ["LDL cholesterol, calculated", "LDL-C"], "tsh": ["Thyroid stimulating hormone", "TSH"],
    "free t4": ["Free T4", "FT4"], "wbc": ["White blood cell count", "WBC"], "rbc": ["Red blood cell count", "RBC"],
    "hemoglobin": ["Hemoglobin", "Hgb"], "hematocrit": ["Hematocrit", "Hct"], "mcv": ["Mean corpuscular volume", "MCV"],
    "platelets": ["Platelet count", "PLT"], "ferritin": ["Ferritin"], "b12": ["Vitamin B12", "B12"],
    "vitamin d": ["Vitamin D, 25-hydroxy", "Vit D 25-OH"], "magnesium": ["Magnesium", "Mg"],
    "phosphorus": ["Phosphorus", "Phos"], "uric acid": ["Uric acid", "Uric Acid"],
    "psa": ["Prostate specific antigen", "PSA"], "crp": ["C-reactive protein", "CRP"], "pt": ["Prothrombin time", "PT"],
    "inr": ["INR"], "uacr": ["Microalbumin/creatinine ratio", "UACR"], "egfr": ["Estimated GFR", "eGFR"],
    "lipase": ["Lipase"], "bnp": ["B-type natriuretic peptide", "BNP"],
}
PRINTED_TO_KEY = {p.lower(): k for k, ps in LAB_PRINTED.items() for p in ps}

# Everyday names of the corpus's vaccines (dev wording, held-out wording), by a word of the CVX description.
VACCINE_SPOKEN = [
    ("influenza", "flu", ("influenza vaccine", "flu shot")), ("tdap", "tdap", ("Tdap", "whooping cough booster")),
    ("td (adult)", "td", ("Td booster", "tetanus-diphtheria shot")),
    ("pneumococcal", "pneumococcal", ("pneumococcal vaccine", "pneumonia shot")),
    ("zoster", "zoster", ("zoster vaccine", "shingles shot")), ("hepatitis b", "hepb", ("hepatitis B vaccine", "hep B shot")),
    ("hepatitis a", "hepa", ("hepatitis A vaccine", "hep A shot")), ("covid", "covid", ("COVID-19 vaccine", "coronavirus shot")),
    ("mmr", "mmr", ("MMR vaccine", "measles mumps rubella shot")), ("varicella", "varicella", ("varicella vaccine", "chickenpox shot")),
    ("hpv", "hpv", ("HPV vaccine", "human papillomavirus shot")), ("meningococcal", "mening", ("meningococcal vaccine", "meningitis shot")),
    ("rsv", "rsv", ("RSV vaccine", "respiratory syncytial virus shot")),
]
# Everyday names of the corpus's problems (dev wording, held-out wording).
PROBLEM_SPOKEN = {
    "Essential hypertension": ("hypertension", "high blood pressure"), "Type 2 diabetes mellitus": ("type 2 diabetes", "diabetes"),
    "Mixed hyperlipidemia": ("hyperlipidemia", "high cholesterol"), "Hypothyroidism": ("hypothyroidism", "an underactive thyroid"),
    "Chronic kidney disease stage 3b": ("chronic kidney disease", "CKD"), "Generalized anxiety disorder": ("anxiety disorder", "anxiety"),
    "Iron deficiency anemia": ("iron deficiency anemia", "anemia"), "Obesity": ("obesity", "obesity"),
    "Osteoporosis": ("osteoporosis", "thin bones (osteoporosis)"), "Migraine without aura": ("migraine", "migraines"),
    "Persistent asthma": ("asthma", "asthma"), "Peripheral neuropathy": ("peripheral neuropathy", "neuropathy"),
    "Coronary artery disease": ("coronary artery disease", "CAD"),
    "Heart failure with reduced ejection fraction": ("heart failure", "HFrEF"), "Psoriasis": ("psoriasis", "psoriasis"),
    "Vitamin D deficiency": ("vitamin D deficiency", "low vitamin D"), "Benign essential tremor": ("essential tremor", "a tremor"),
    "Chronic low back pain": ("chronic low back pain", "back pain"),
}
OTHER_PROBLEMS = ["gout", "COPD", "atrial fibrillation", "glaucoma", "epilepsy", "multiple sclerosis", "lupus"]
OTHER_DRUGS = ["warfarin", "insulin lispro", "digoxin", "lithium", "methotrexate", "tramadol", "hydroxychloroquine",
               "amiodarone", "phenytoin", "prednisolone"]
OTHER_ALLERGENS = ["aspirin", "morphine", "eggs", "bee stings", "tetracycline", "soy", "adhesive tape", "nickel"]
FREQ_WORDS = {"daily": ("once a day", "every day"), "BID": ("twice a day", "two times daily"),
              "TID": ("three times a day", "thrice daily"), "QHS": ("at bedtime", "at night")}
FREQ_GOLD = {"daily": "daily", "BID": "BID", "TID": "TID", "QHS": "QHS"}

# MARK: - Templates: (dev wordings, held-out wordings). {x} is the entity.

T = {
    "dob": (["What is the patient's date of birth?", "When was the patient born?", "DOB?", "what's the birth date", "Patient DOB please", "When is the patient's birthday?", "How old is the patient, what's the DOB?"],
            ["Give me the birthdate on file.", "On what day was this person born?", "Birth date of the patient, please."]),
    "mrn": (["What is the medical record number?", "What's the MRN?", "MRN", "What is the patient's chart number?", "Which medical record number is on this document?"],
            ["Which patient ID does this chart carry?", "Record number on the chart?"]),
    "sex": (["What is the patient's sex?", "Is the patient male or female?", "Sex of the patient?", "Is this a man or a woman?"],
            ["Gender of the patient?", "Which gender is recorded for this person?"]),
    "visit-date": (["When was this visit?", "What was the date of service?", "What day was the appointment?", "When did this encounter take place?", "Visit date?", "When was the patient last seen?"],
                   ["On what date was the patient seen?", "Date of the encounter?"]),
    "provider": (["Who was the provider?", "Which clinician saw the patient?", "Which physician signed this?", "Who is the attending clinician?", "Provider name?"],
                 ["Name the clinician responsible for this record.", "Who is the rendering clinician?"]),
    "facility": (["Which clinic is this from?", "What facility produced this record?", "What is the name of the clinic?", "Which practice is this record from?", "Facility?"],
                 ["Where was this document issued?", "Name of the practice on the record?"]),
    "lab-value": (["What was the {x}?", "What is the latest {x} result?", "Latest {x} value?", "{x} level?", "What did the {x} show?", "Tell me the {x}.", "What was the most recent {x} value?", "{x} result"],
                  ["Give me the {x} number.", "How much was the {x}?", "{x}: what did it come back as?"]),
    "lab-flag": (["Was the {x} high, low, or normal?", "Is the {x} abnormal?", "Is the {x} elevated?", "Was the {x} normal?", "Is the {x} within normal limits or abnormal?", "{x} high or low?"],
                 ["Did the {x} come back in range?", "Was the {x} out of range, and which way?"]),
    "lab-date": (["When was the {x} measured?", "What date was the {x} drawn?", "When was the {x} checked?", "Date of the latest {x}?", "What day was the {x} result from?"],
                 ["On which day was the {x} collected?", "Date of the {x} test?"]),
    "lab-done": (["Was a {x} test done?", "Is there a {x} result?", "Has the {x} been measured?", "Do we have a {x}?", "Was {x} tested?"],
                 ["Did they check the {x}?", "Any {x} on file?"]),
    "lab-absent": (["What was the {x}?", "What is the latest {x} result?", "What did the {x} show?", "{x} level?"],
                   ["Give me the {x} number.", "How much was the {x}?"]),
    "labs-abnormal": (["Which lab results were abnormal?", "List the abnormal labs.", "Which labs were flagged?", "Were any results out of range? Which ones?", "Abnormal results?"],
                      ["Which tests came back out of range?", "What results were flagged?"]),
    "meds-active": (["What medications is the patient taking?", "List the current medications.", "What meds is the patient on?", "Current medication list?", "Which medicines does the patient take?", "What drugs are prescribed?"],
                    ["Which drugs is the patient on right now?", "Name every medicine currently prescribed."]),
    "meds-count": (["How many active medications are listed?", "How many medications is the patient on?", "Total number of meds?", "How many drugs does the patient take?", "Number of active medications?", "How many current prescriptions are there?"],
                   ["Count of current drugs?", "What number of medicines does the patient take now?"]),
    "med-dose": (["What dose of {x} is the patient on?", "What is the {x} dose?", "What strength of {x} does the patient take?", "Dose of {x}?", "How much {x} is prescribed?"],
                 ["How many milligrams of {x} are prescribed?", "{x} strength?"]),
    "med-frequency": (["How often does the patient take {x}?", "What is the frequency of {x}?", "How frequently is {x} taken?", "What schedule is {x} on?", "{x} frequency?"],
                      ["When is the {x} taken?", "Dosing schedule for {x}?"]),
    "med-route": (["What is the route of {x}?", "How is {x} given?", "Route of {x}?", "How does the patient take {x}?"],
                  ["By what route does the patient take {x}?", "{x}: oral, injected or inhaled?"]),
    "med-taking": (["Is the patient taking {x}?", "Is {x} a current medication?", "Is the patient on {x}?", "Does the patient take {x}?", "Is {x} still active?"],
                   ["Does the patient still use {x}?", "Currently on {x}?"]),
    "meds-stopped": (["Which medications were discontinued?", "What drugs were stopped?", "Which medications were stopped?", "What meds are discontinued?", "Any discontinued drugs?"],
                     ["Name the medicines that are no longer taken.", "Which prescriptions were ended?"]),
    "meds-by-frequency": (["Which medications are taken {x}?", "What does the patient take {x}?", "Which drugs are dosed {x}?", "What medications does the patient take {x}?"],
                          ["Name the drugs dosed {x}.", "Anything the patient takes {x}?"]),
    "allergy-yes": (["Is the patient allergic to {x}?", "Does the patient have a {x} allergy?", "Any allergy to {x}?", "Allergic to {x}?", "Does the patient react to {x}?"],
                    ["Can the patient safely receive {x}, or is there an allergy?", "Any reaction to {x} on record?"]),
    "allergy-no": (["Is the patient allergic to {x}?", "Does the patient have a {x} allergy?", "Allergic to {x}?", "Does the patient have an allergy to {x}?"],
                   ["Any reaction to {x} on record?", "Is {x} listed as an allergen?"]),
    "allergy-reaction": (["What reaction does the patient have to {x}?", "What happens when the patient takes {x}?", "What is the reaction to {x}?", "What kind of reaction does {x} cause?", "{x} reaction?"],
                         ["Describe the {x} reaction.", "{x} allergy: what kind of reaction?"]),
    "allergies": (["What is the patient allergic to?", "List the allergies.", "Allergies?", "Which allergies are documented?", "Does the patient have any allergies?"],
                  ["Which allergens are on file?", "Name the patient's drug and other allergies."]),
    "problem-yes": (["Does the patient have {x}?", "Is {x} on the problem list?", "Is there a history of {x}?", "Does the patient suffer from {x}?", "Is {x} a diagnosis?"],
                    ["Has the patient been diagnosed with {x}?", "Any history of {x}?"]),
    "problem-no": (["Does the patient have {x}?", "Is {x} on the problem list?", "Is there a history of {x}?", "Does the patient suffer from {x}?"],
                   ["Has the patient been diagnosed with {x}?", "Any history of {x}?"]),
    "problems": (["What are the patient's problems?", "List the diagnoses.", "What conditions does the patient have?", "Problem list?", "What diagnoses are documented?"],
                 ["Which conditions does the patient carry?", "Summarize the medical conditions on file."]),
    "problems-count": (["How many problems are on the problem list?", "What is the total number of diagnoses?", "Count the problems.", "How many diagnoses are listed?", "How many active problems does the patient have?"], ["Number of active conditions?"]),
    "vital-bp": (["What was the blood pressure?", "What was the BP?", "BP?", "What was the patient's blood pressure reading?"], ["How high was the pressure reading?", "Blood pressure reading, please."]),
    "vital-hr": (["What was the heart rate?", "What was the pulse?", "Pulse?", "What was the heart rate at the visit?"], ["How fast was the pulse?", "Beats per minute at the visit?"]),
    "vital-weight": (["What is the patient's weight?", "How much does the patient weigh?", "Weight?", "How heavy is the patient?"], ["Body weight recorded?", "Weight at the visit?"]),
    "vital-temp": (["What was the temperature?", "Temp?", "What temperature was recorded?"], ["Did the patient have a fever, what was the temp?"]),
    "vital-spo2": (["What was the oxygen saturation?", "What was the SpO2?", "What was the O2 saturation?", "Oxygen saturation?"], ["O2 sat at the visit?", "Pulse oximetry reading?"]),
    "vaccine-date": (["When did the patient get the {x}?", "What date was the {x} given?", "Date of the {x}?", "When was the last {x}?", "When was the {x} administered?"],
                     ["On which day was the {x} administered?", "{x}: when?"]),
    "vaccine-yes": (["Has the patient had the {x}?", "Did the patient receive the {x}?", "Was the {x} given?", "Has the {x} been administered?"],
                    ["Is the {x} documented?", "Any record of the {x}?"]),
    "vaccine-no": (["Has the patient had the {x}?", "Did the patient receive the {x}?", "Was the {x} given?", "Has the {x} been administered?"],
                   ["Is the {x} documented?", "Any record of the {x}?"]),
    "vaccine-count": (["How many doses of the {x} are recorded?", "How many {x} doses has the patient had?", "Number of {x} shots?"], ["Number of {x} doses given?"]),
    "vaccines": (["Which vaccines has the patient received?", "List the immunizations.", "What vaccines are on the record?", "Immunization history?"],
                 ["Name every shot on the record.", "What immunizations are documented?"]),
    "specialty": (["To which specialty is the patient being referred?", "What specialty is the referral to?", "Which specialist is the patient referred to?", "Referral specialty?"],
                  ["Which kind of specialist should see the patient?", "The letter sends the patient to what service?"]),
    "reason": (["What is the reason for the referral?", "Why is the patient being referred?", "Reason for referral?", "What is the referral for?"],
               ["What concern prompted the letter?", "For what problem is a consult requested?"]),
    "admit-date": (["When was the patient admitted?", "What was the admission date?", "Admission date?", "On what date was the patient admitted to the hospital?"],
                   ["Which day did the hospital stay begin?", "Date of hospital admission?"]),
    "discharge-date": (["When was the patient discharged?", "What was the discharge date?", "Discharge date?", "On what date was the patient discharged?"],
                       ["Which day did the hospital stay end?", "Date the patient left the hospital?"]),
    "principal-dx": (["What was the principal diagnosis?", "What was the primary diagnosis for the admission?", "Principal diagnosis?", "What was the main diagnosis of the hospital stay?"],
                     ["What was the principal diagnosis for the hospital admission?", "Which diagnosis led to the hospital stay?"]),
    "disposition": (["Where was the patient discharged to?", "What was the discharge disposition?", "Disposition?", "Where did the patient go after discharge?"],
                    ["Discharge destination?", "Where was the patient sent on leaving the hospital?"]),
    "referred-to": (["Who is the patient referred to?", "To whom is the referral addressed?", "Which doctor is the letter addressed to?", "Who will see the patient on referral?"],
                    ["Which doctor receives this letter?", "Name the consultant the letter is for."]),
}


# MARK: - A third wording pool, "fresh": written in one sitting (2026-12-07) before the ask changes
# of that day and measured before and after them, never tuned on. Asked of every document (dev and
# held-out families) with --wordings fresh.

FRESH = {
    "dob": ["Patient's DOB is?", "What birthday is listed for the patient?", "Date this patient was born?"],
    "mrn": ["What's the MRN on this chart?", "Find the medical record #.", "Which MRN does this record carry?"],
    "sex": ["Patient sex?", "Is the patient recorded as female or male?", "What gender is on the chart?"],
    "visit-date": ["What day was the patient seen?", "Date of this visit?", "When did the patient come in?"],
    "provider": ["Who saw the patient?", "Which doctor wrote this note?", "Name of the treating physician?"],
    "facility": ["What clinic is on the letterhead?", "Which facility is this record from?", "Name of the clinic?"],
    "lab-value": ["What did the {x} come back at?", "Most recent {x}?", "What was the patient's {x}?"],
    "lab-flag": ["Is the {x} normal?", "Was the {x} flagged abnormal?", "Was the {x} high?"],
    "lab-date": ["What date is the {x} from?", "When was the {x} done?", "When did they draw the {x}?"],
    "lab-done": ["Do we have a {x} on the chart?", "Has a {x} been done?", "Was the {x} checked?"],
    "lab-absent": ["What did the {x} come back at?", "Most recent {x}?", "What was the patient's {x}?"],
    "labs-abnormal": ["Any abnormal lab values?", "Which results are outside the reference range?", "List flagged labs."],
    "meds-active": ["What is the patient currently taking?", "Active meds?", "Which medications are active?"],
    "meds-count": ["How many meds are active?", "How many medicines are on the list?", "Number of current medications?"],
    "med-dose": ["What is the patient's {x} dosage?", "What dose is the {x}?", "{x}: how many mg?"],
    "med-frequency": ["How many times a day is {x} taken?", "{x} is taken how often?", "What is the dosing frequency for {x}?"],
    "med-route": ["Is {x} taken by mouth?", "What route is {x}?", "How is {x} administered?"],
    "med-taking": ["Is {x} on the current med list?", "Is the patient currently on {x}?", "Still taking {x}?"],
    "meds-stopped": ["Were any medications stopped?", "Which meds were discontinued?", "List the discontinued medications."],
    "meds-by-frequency": ["List the meds taken {x}.", "Which medicines are {x}?", "What is dosed {x}?"],
    "allergy-yes": ["Any {x} allergy?", "Is there a documented allergy to {x}?", "Is {x} an allergy for this patient?"],
    "allergy-no": ["Any {x} allergy?", "Is there a documented allergy to {x}?", "Is {x} an allergy for this patient?"],
    "allergy-reaction": ["How does the patient react to {x}?", "What was the reaction to {x}?", "What does {x} do to the patient?"],
    "allergies": ["Known allergies?", "What allergies does the patient have?", "List all allergies."],
    "problem-yes": ["Is {x} listed as a problem?", "Does the chart mention {x}?", "Is the patient known to have {x}?"],
    "problem-no": ["Is {x} listed as a problem?", "Does the chart mention {x}?", "Is the patient known to have {x}?"],
    "problems": ["What is on the problem list?", "Active problems?", "List the patient's conditions."],
    "problems-count": ["How many conditions are listed?", "Number of problems on the list?", "How many diagnoses does the patient have?"],
    "vital-bp": ["BP reading?", "What was the patient's BP?", "Blood pressure at the visit?"],
    "vital-hr": ["HR?", "What was the pulse rate?", "Heart rate recorded?"],
    "vital-weight": ["What did the patient weigh?", "Recorded weight?", "Patient's weight at the visit?"],
    "vital-temp": ["Body temperature?", "What was the patient's temp?", "Temperature at the visit?"],
    "vital-spo2": ["Sat?", "What was the pulse ox?", "Oxygen sat recorded?"],
    "vaccine-date": ["When was the {x} given?", "Date the {x} was administered?", "What day did the patient receive the {x}?"],
    "vaccine-yes": ["Did the patient get the {x}?", "Is the {x} on the immunization record?", "Has the {x} been given?"],
    "vaccine-no": ["Did the patient get the {x}?", "Is the {x} on the immunization record?", "Has the {x} been given?"],
    "vaccine-count": ["How many {x} shots has the patient received?", "How many {x} doses are documented?", "Count the {x} doses."],
    "vaccines": ["What shots has the patient had?", "List the vaccines given.", "Which immunizations are recorded?"],
    "specialty": ["What kind of specialist is the referral for?", "Referred to which specialty?", "Which department is the patient sent to?"],
    "reason": ["Why was the referral made?", "What is the patient being referred for?", "What's the referral reason?"],
    "admit-date": ["When did the patient come into the hospital?", "What date was the patient hospitalized?", "When was the admission?"],
    "discharge-date": ["When did the patient go home from the hospital?", "What day was discharge?", "When was the patient released from the hospital?"],
    "principal-dx": ["Why was the patient hospitalized?", "What was the admitting diagnosis?", "What was the patient admitted for?"],
    "disposition": ["Where did the patient go when discharged?", "Was the patient discharged home?", "Discharge disposition?"],
    "referred-to": ["Which physician is the referral addressed to?", "Who is the letter to?", "Who should see the patient for the referral?"],
}


def lab_key(name):
    return PRINTED_TO_KEY.get(name.lower())


def vaccine_group(description):
    d = description.lower()
    for word, group, spoken in VACCINE_SPOKEN:
        if word in d:
            return group, spoken
    return None, None


def number_text(v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def questions_for(doc, rng):
    """(template key, entity, kind, gold, exclude) for one document's facts."""
    f = doc["facts"]
    held = doc["split"] == "heldout"
    w = 1 if held else 0
    out = []

    def add(key, kind, gold, x=None, exclude=None):
        out.append((key, x, kind, gold, exclude or []))

    p = f.get("patient", {})
    if p.get("birthDate"):
        add("dob", "date", p["birthDate"])
    if p.get("mrn"):
        add("mrn", "text", p["mrn"])
    if p.get("sex"):
        add("sex", "text", p["sex"])
    enc = (f.get("encounters") or [{}])[0]
    # A packet holds several encounters: "this visit" and "the facility" have no one answer there.
    if enc.get("date") and doc["type"] not in ("immunization-record", "packet", "discharge-summary"):
        add("visit-date", "date", enc["date"])
    if enc.get("provider") and doc["type"] in ("progress-note", "medication-list"):
        add("provider", "text", enc["provider"].split(",")[0])
    if enc.get("facility") and doc["type"] != "packet":
        add("facility", "text", enc["facility"])
    stays = [e for e in f.get("encounters", []) if e.get("endDate")]
    if len(stays) == 1:
        stay = stays[0]
        add("admit-date", "date", stay["date"])
        add("discharge-date", "date", stay["endDate"])
        if stay.get("diagnosis"):
            add("principal-dx", "text", stay["diagnosis"])
        if stay.get("disposition"):
            add("disposition", "text", stay["disposition"])
    if doc["type"] == "referral-letter":
        for field, key in (("specialty", "specialty"), ("reason", "reason"), ("referredTo", "referred-to")):
            if enc.get(field):
                gold = enc[field].replace("Dr. ", "") if field == "referredTo" else enc[field]
                add(key, "text", gold)

    labs = [l for l in f.get("labs", []) if lab_key(l["name"])]
    # A test measured more than once (a discharge summary's admission and discharge columns, a
    # packet's two reports): questions ask for the latest.
    labs = list({lab_key(l["name"]): l for l in sorted(labs, key=lambda l: l.get("date") or "")}.values())
    keys_here = {lab_key(l["name"]) for l in labs}
    for lab in rng.sample(labs, min(3, len(labs))):
        spoken = LAB_SPOKEN[lab_key(lab["name"])][w]
        add("lab-value", "number", number_text(lab["value"]), spoken)
    # High, low or normal only where the page says it: a flag or a printed range.
    judged = [l for l in labs if l.get("flag") or l.get("referenceRange")]
    for lab in rng.sample(judged, min(2, len(judged))):
        spoken = LAB_SPOKEN[lab_key(lab["name"])][w]
        flag = {"H": "high", "L": "low"}.get(lab.get("flag"), "normal")
        add("lab-flag", "text", flag, spoken)
    if labs:
        lab = rng.choice(labs)
        if lab.get("date"):
            add("lab-date", "date", lab["date"], LAB_SPOKEN[lab_key(lab["name"])][w])
        add("lab-done", "yes/no", "yes", LAB_SPOKEN[lab_key(rng.choice(labs)["name"])][w])
        absent = [k for k in LAB_SPOKEN if k not in keys_here and not ({k, *keys_here} >= {"hdl", "cholesterol"})]
        if absent:
            k = rng.choice(absent)
            add("lab-absent", "number", "not stated", LAB_SPOKEN[k][w])
            add("lab-done", "yes/no", "no", LAB_SPOKEN[rng.choice(absent)][w])
        latest = list({l["name"]: l for l in sorted(f["labs"], key=lambda l: l.get("date") or "")}.values())
        abnormal = [l["name"] for l in latest if l.get("flag")]
        if abnormal and len(latest) <= 12:
            normal = [l["name"] for l in latest if not l.get("flag")]
            add("labs-abnormal", "list", abnormal, exclude=normal)

    meds = f.get("medications", [])
    active = [m for m in meds if m.get("status", "active") in ("active", "new")]
    stopped = [m for m in meds if m.get("status") == "discontinued"]
    if meds:
        add("meds-active", "list", [m["name"] for m in active], exclude=[m["name"] for m in stopped])
        add("meds-count", "number", str(len(active)))
        m = rng.choice(meds)
        if m.get("dose") is not None:
            add("med-dose", "number", number_text(m["dose"]), m["name"].lower())
        m = rng.choice(meds)
        if m.get("frequency"):
            add("med-frequency", "text", FREQ_GOLD.get(m["frequency"], m["frequency"]), m["name"].lower())
        routed = [m for m in meds if m.get("route")]
        if routed:
            m = rng.choice(routed)
            add("med-route", "text", m["route"], m["name"].lower())
        m = rng.choice(meds)
        add("med-taking", "yes/no", "no" if m in stopped else "yes", m["name"].lower())
        add("med-taking", "yes/no", "no", rng.choice([d for d in OTHER_DRUGS if d not in {x["name"].lower() for x in meds}]))
        if stopped:
            add("meds-stopped", "list", [m["name"] for m in stopped], exclude=[m["name"] for m in active])
        freqs = sorted({m["frequency"] for m in active if m.get("frequency") in FREQ_WORDS})
        if freqs:
            fq = rng.choice(freqs)
            add("meds-by-frequency", "list", [m["name"] for m in active if m.get("frequency") == fq],
                FREQ_WORDS[fq][w], exclude=[m["name"] for m in meds if m.get("frequency") != fq or m in stopped])

    allergies = [x for x in f.get("allergies", []) if x["substance"].upper() not in ("NKDA", "NKA")]
    if allergies and doc["type"] in ("progress-note", "medication-list", "referral-letter", "discharge-summary", "packet"):
        a = rng.choice(allergies)
        add("allergy-yes", "yes/no", "yes", a["substance"].lower())
        if a.get("reaction"):
            add("allergy-reaction", "text", a["reaction"], a["substance"].lower())
        add("allergy-no", "yes/no", "no", rng.choice(OTHER_ALLERGENS))
        add("allergies", "list", [x["substance"] for x in allergies])

    problems = [x for x in f.get("problems", []) if x["name"] in PROBLEM_SPOKEN]
    if problems:
        pr = rng.choice(problems)
        add("problem-yes", "yes/no", "yes", PROBLEM_SPOKEN[pr["name"]][w])
        add("problem-no", "yes/no", "no", rng.choice(OTHER_PROBLEMS))
        add("problems", "list", [x["name"] for x in f["problems"]])
        add("problems-count", "number", str(len(f["problems"])))

    vitals = {v["name"]: v for v in sorted(f.get("vitals", []), key=lambda v: v.get("date") or "")}  # the latest
    for name, key, kind in (("blood pressure", "vital-bp", "text"), ("heart rate", "vital-hr", "number"),
                            ("weight", "vital-weight", "number"), ("temperature", "vital-temp", "number"),
                            ("oxygen saturation", "vital-spo2", "number")):
        if name in vitals and rng.random() < 0.7:
            add(key, kind, number_text(vitals[name]["value"]))

    shots = f.get("immunizations", [])
    if shots:
        groups = {}
        for s in shots:
            g, spoken = vaccine_group(s["vaccine"])
            if g:
                groups.setdefault(g, (spoken, []))[1].append(s)
        g = rng.choice(sorted(groups))
        spoken, given = groups[g]
        latest = max(given, key=lambda s: s.get("date", ""))
        if latest.get("date"):
            add("vaccine-date", "date", latest["date"], spoken[w])
        add("vaccine-yes", "yes/no", "yes", spoken[w])
        add("vaccine-count", "number", str(len(given)), spoken[w])
        missing = [sp for _, gg, sp in VACCINE_SPOKEN if gg not in groups]
        if missing:
            add("vaccine-no", "yes/no", "no", rng.choice(missing)[w])
        add("vaccines", "list", [s["vaccine"].split(",")[0] for s in shots])
    return out


def main():
    assert set(FRESH) == set(T), "every template has fresh wordings"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out")
    ap.add_argument("--per-document", type=int, default=8, help="questions drawn per document (at most)")
    ap.add_argument("--wordings", choices=["split", "fresh"], default="split",
                    help="split: dev templates for dev families, held-out templates for held-out ones; "
                         "fresh: the FRESH pool for every document (never tuned on)")
    a = ap.parse_args()
    out_path = a.out or os.path.join(a.corpus, "questions.jsonl")
    lines = []
    for path in sorted(glob.glob(os.path.join(a.corpus, "*.expected.json"))):
        doc = json.load(open(path))
        if "split" not in doc:
            continue
        rng = random.Random(doc["file"])
        held = doc["split"] == "heldout"
        candidates = questions_for(doc, rng)
        # One of each template key first, so that every kind of question is asked of each type.
        rng.shuffle(candidates)
        seen, first, rest = set(), [], []
        for c in candidates:
            (rest if c[0] in seen else first).append(c)
            seen.add(c[0])
        for key, x, kind, gold, exclude in (first + rest)[:a.per_document]:
            pool = FRESH[key] if a.wordings == "fresh" else T[key][1 if held else 0]
            wording = rng.choice(pool)
            question = wording.replace("{x}", x) if x else wording
            question = question[0].upper() + question[1:]
            lines.append({"document": doc["file"], "question": question, "kind": kind, "intent": key, "gold": gold,
                          "exclude": exclude, "split": doc["split"], "family": doc["family"], "type": doc["type"],
                          "scan": doc.get("scan", "born-digital")})
    with open(out_path, "w") as fh:
        for line in lines:
            fh.write(json.dumps(line) + "\n")
    by = {}
    for line in lines:
        by.setdefault((line["split"], line["kind"]), 0)
        by[(line["split"], line["kind"])] += 1
    print(f"{len(lines)} questions in {out_path}: " + ", ".join(f"{s}/{k} {n}" for (s, k), n in sorted(by.items())))


if __name__ == "__main__":
    main()
