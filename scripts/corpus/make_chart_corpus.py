#!/usr/bin/env python3
"""A deterministic corpus of invented charts in layout families, for measuring extraction on
layouts the rules were not written for (all patients, clinicians and facilities are invented).

Six document types (lab report, medication list, immunization record, progress note, referral
letter, discharge summary), six layout families each, and packets: several documents of one patient
(each in a family of its type, held-out packets from held-out families only), after a fax cover sheet or not. A family fixes how a clinic prints its documents: the header
labels and their spelling, a label grid of one to three columns, the date format, the letterhead,
the table's column order and header words, ruled, dashed or unruled tables, the section
headings, how a flag or a stopped drug is shown, and whether facts sit in tables, lists or prose.
Two-page lab reports go on without the header row on their second page (a dev family straight
after the running header, a held-out family after the patient named again).
Families 1-4 of each type are `dev`, families 5-6 are `heldout`: they use wordings, column orders
and formats that no dev family uses. Only dev is for tuning; held-out is only reported.

The content is drawn per document (seeded) from this file's own pools of names, facilities,
drugs, labs, vaccines and problems, which are not the samples' and not chartex's vocabulary.

Every document is a born-digital PDF (text layer). With --scan STYLE each page is also rasterised
and degraded with the scan corpus's styles (clean, photocopy, fax, phone; test-split parameters),
so extraction can be scored per scan style as well as per family.

Usage:
  make_chart_corpus.py --out DIR [--split dev|heldout|all] [--per-family N] [--scan none|clean|photocopy|fax|phone|mixed]
                       [--types discharge-summary,packet]

Writes DIR/<type>-f<family>-<n>.pdf and .expected.json (the Samples/ format, plus "family",
"split", "type" and "scan").
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
from reportlab.pdfbase import pdfmetrics

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Samples", "generator"))
sys.path.insert(0, HERE)
import make_samples as gen  # noqa: E402  (layout engine, rasteriser, image PDF writer)

# MARK: - Pools (invented people and places; common drugs, tests, vaccines and conditions)

FIRST_F = ["Adaeze", "Beatriz", "Colette", "Dagny", "Elif", "Fionnuala", "Gulnara", "Halima", "Isolde",
           "Junko", "Katarzyna", "Leilani", "Marisol", "Noor", "Ottilie", "Perpetua", "Rosalind", "Saoirse"]
FIRST_M = ["Anselm", "Bartholomew", "Cormac", "Desmond", "Emeka", "Fyodor", "Gideon", "Horatio", "Ignatius",
           "Jarrah", "Kazimierz", "Leopold", "Mihail", "Nnamdi", "Osvaldo", "Piotr", "Rafferty", "Sebastiano"]
LAST = ["Achterberg", "Baptiste", "Coulibaly", "Delacroix", "Esposito", "Fitzgerald", "Grzybowski", "Haddad",
        "Ibarra", "Jovanovic", "Kristiansen", "Lachance", "Mbeki", "Nakashima", "Oduya", "Pemberton", "Quinlan",
        "Rautio", "Sandoval", "Tremblay", "Uchenna", "Vukovic", "Wojcik", "Yilmaz", "Zabala"]
CLINICIANS = ["Aurelio Bianchi", "Bronwyn Hale", "Cyrus Farahani", "Delphine Aubert", "Eamon Gallagher",
              "Folasade Adeyemi", "Gwendolyn Marsh", "Hamid Rostami", "Ilse Vogel", "Jorge Castaneda",
              "Kirsten Dahl", "Lorcan Byrne", "Mei-Ling Chou", "Nikolai Orlov", "Oluwaseun Bello"]
TOWNS = ["Brambleton", "Cobalt Springs", "Dunmore", "Eastwick", "Foxhollow", "Glen Arbor", "Hartsville",
         "Ironwood", "Juniper Falls", "Kingsbridge", "Larkspur", "Millbrook", "Nettleton", "Oakhaven"]
KINDS = ["Primary Care", "Family Health", "Medical Group", "Internal Medicine Associates", "Health Partners",
         "Community Clinic", "Physicians", "Medical Center"]
LAB_KINDS = ["Diagnostics", "Reference Laboratory", "Clinical Laboratory", "Pathology Services", "Lab Services"]

# name variants (full, short), unit, (low, high) normal range, printed range, sampling range
LABS = [
    (("Glucose, fasting", "Glucose"), "mg/dL", (70, 99), "70-99", (68, 240)),
    (("Urea nitrogen (BUN)", "BUN"), "mg/dL", (6, 20), "6-20", (5, 45)),
    (("Creatinine", "Creat"), "mg/dL", (0.57, 1.0), "0.57-1.00", (0.5, 2.6)),
    (("Sodium", "Na"), "mmol/L", (134, 144), "134-144", (128, 148)),
    (("Potassium", "K"), "mmol/L", (3.5, 5.2), "3.5-5.2", (3.0, 5.9)),
    (("Chloride", "Cl"), "mmol/L", (96, 106), "96-106", (92, 110)),
    (("Carbon dioxide, total", "CO2"), "mmol/L", (20, 29), "20-29", (17, 32)),
    (("Calcium", "Ca"), "mg/dL", (8.7, 10.2), "8.7-10.2", (8.0, 11.0)),
    (("Albumin", "Alb"), "g/dL", (3.8, 4.9), "3.8-4.9", (2.9, 5.2)),
    (("Bilirubin, total", "T. Bili"), "mg/dL", (0.0, 1.2), "0.0-1.2", (0.2, 2.4)),
    (("Alkaline phosphatase", "ALP"), "IU/L", (44, 121), "44-121", (35, 190)),
    (("AST (SGOT)", "AST"), "IU/L", (0, 40), "0-40", (12, 110)),
    (("ALT (SGPT)", "ALT"), "IU/L", (0, 32), "0-32", (9, 120)),
    (("Hemoglobin A1c", "HbA1c"), "%", (4.8, 5.6), "4.8-5.6", (5.0, 11.5)),
    (("Cholesterol, total", "Total Chol"), "mg/dL", (100, 199), "100-199", (130, 290)),
    (("Triglycerides", "Trig"), "mg/dL", (0, 149), "0-149", (60, 420)),
    (("HDL cholesterol", "HDL"), "mg/dL", (39, 100), ">39", (25, 90)),
    (("LDL cholesterol, calculated", "LDL-C"), "mg/dL", (0, 99), "0-99", (50, 210)),
    (("Thyroid stimulating hormone", "TSH"), "uIU/mL", (0.45, 4.5), "0.450-4.500", (0.1, 9.0)),
    (("Free T4", "FT4"), "ng/dL", (0.82, 1.77), "0.82-1.77", (0.5, 2.4)),
    (("White blood cell count", "WBC"), "x10^3/uL", (3.4, 10.8), "3.4-10.8", (2.5, 16.0)),
    (("Red blood cell count", "RBC"), "x10^6/uL", (3.77, 5.28), "3.77-5.28", (3.2, 6.0)),
    (("Hemoglobin", "Hgb"), "g/dL", (11.1, 15.9), "11.1-15.9", (8.5, 17.0)),
    (("Hematocrit", "Hct"), "%", (34.0, 46.6), "34.0-46.6", (27.0, 52.0)),
    (("Mean corpuscular volume", "MCV"), "fL", (79, 97), "79-97", (70, 105)),
    (("Platelet count", "PLT"), "x10^3/uL", (150, 450), "150-450", (90, 520)),
    (("Ferritin", "Ferritin"), "ng/mL", (15, 150), "15-150", (6, 400)),
    (("Vitamin B12", "B12"), "pg/mL", (232, 1245), "232-1245", (150, 1500)),
    (("Vitamin D, 25-hydroxy", "Vit D 25-OH"), "ng/mL", (30, 100), "30.0-100.0", (9, 70)),
    (("Magnesium", "Mg"), "mg/dL", (1.6, 2.3), "1.6-2.3", (1.2, 2.8)),
    (("Phosphorus", "Phos"), "mg/dL", (2.8, 4.1), "2.8-4.1", (2.0, 5.5)),
    (("Uric acid", "Uric Acid"), "mg/dL", (2.5, 7.1), "2.5-7.1", (2.0, 10.5)),
    (("Prostate specific antigen", "PSA"), "ng/mL", (0.0, 4.0), "0.0-4.0", (0.2, 9.0)),
    (("C-reactive protein", "CRP"), "mg/L", (0, 10), "0-10", (0.5, 48)),
    (("Prothrombin time", "PT"), "sec", (9.1, 12.0), "9.1-12.0", (9.0, 24.0)),
    (("INR", "INR"), "", (0.9, 1.2), "0.9-1.2", (0.9, 3.4)),
    (("Microalbumin/creatinine ratio", "UACR"), "mg/g", (0, 29), "0-29", (3, 300)),
    (("Estimated GFR", "eGFR"), "mL/min/1.73m2", (60, 200), ">59", (22, 110)),
    (("Lipase", "Lipase"), "U/L", (13, 60), "13-60", (10, 180)),
    (("B-type natriuretic peptide", "BNP"), "pg/mL", (0, 100), "0-100", (10, 900)),
]

# generic name, strengths, unit, route printed -> canonical, usual frequencies
DRUGS = [
    ("Amlodipine", [2.5, 5, 10], "mg", "oral"), ("Lisinopril", [5, 10, 20, 40], "mg", "oral"),
    ("Losartan", [25, 50, 100], "mg", "oral"), ("Hydrochlorothiazide", [12.5, 25], "mg", "oral"),
    ("Metoprolol tartrate", [25, 50], "mg", "oral"), ("Carvedilol", [3.125, 6.25, 12.5], "mg", "oral"),
    ("Atorvastatin", [10, 20, 40, 80], "mg", "oral"), ("Rosuvastatin", [5, 10, 20], "mg", "oral"),
    ("Pravastatin", [20, 40], "mg", "oral"), ("Metformin", [500, 850, 1000], "mg", "oral"),
    ("Glipizide", [5, 10], "mg", "oral"), ("Sitagliptin", [50, 100], "mg", "oral"),
    ("Levothyroxine", [50, 75, 88, 112], "mcg", "oral"), ("Omeprazole", [20, 40], "mg", "oral"),
    ("Famotidine", [20, 40], "mg", "oral"), ("Sertraline", [50, 100], "mg", "oral"),
    ("Escitalopram", [10, 20], "mg", "oral"), ("Bupropion XL", [150, 300], "mg", "oral"),
    ("Trazodone", [50, 100], "mg", "oral"), ("Gabapentin", [100, 300, 600], "mg", "oral"),
    ("Tamsulosin", [0.4], "mg", "oral"), ("Finasteride", [5], "mg", "oral"),
    ("Allopurinol", [100, 300], "mg", "oral"), ("Clopidogrel", [75], "mg", "oral"),
    ("Apixaban", [2.5, 5], "mg", "oral"), ("Warfarin", [2, 5], "mg", "oral"),
    ("Spironolactone", [25, 50], "mg", "oral"), ("Furosemide", [20, 40], "mg", "oral"),
    ("Prednisone", [5, 10, 20], "mg", "oral"), ("Montelukast", [10], "mg", "oral"),
    ("Cetirizine", [10], "mg", "oral"), ("Meloxicam", [7.5, 15], "mg", "oral"),
    ("Insulin glargine", [10, 20, 30], "units", "subcutaneous"), ("Enoxaparin", [40], "mg", "subcutaneous"),
    ("Fluticasone nasal", [50], "mcg", "intranasal"), ("Tiotropium", [18], "mcg", "inhaled"),
]
FREQUENCIES = [("daily", "daily", "once daily"), ("BID", "BID", "twice daily"), ("TID", "TID", "three times daily"),
               ("QHS", "QHS", "at bedtime")]
ROUTES = {"oral": ("PO", "PO", "by mouth"), "subcutaneous": ("SC", "subcut", "subcutaneously"),
          "intranasal": ("intranasal", "nasal", "in each nostril"), "inhaled": ("inhaled", "inhaled", "inhaled")}

# CDC CVX short descriptions, as immunization records print them (public domain)
VACCINES = ["Influenza, injectable, quadrivalent", "Tdap", "Td (adult)", "Pneumococcal conjugate PCV 20",
            "Pneumococcal polysaccharide PPV23", "Zoster recombinant", "Hepatitis B, adult", "Hepatitis A, adult",
            "COVID-19, mRNA, LNP-S, PF", "MMR", "Varicella", "HPV9", "Meningococcal MCV4O", "RSV, bivalent, adjuvanted"]
SITES = ["L deltoid", "R deltoid", "L thigh", "R arm"]
MAKERS = ["Sanofi", "GSK", "Merck", "Pfizer", "Seqirus", "Moderna"]

PROBLEMS = ["Essential hypertension", "Type 2 diabetes mellitus", "Mixed hyperlipidemia", "Hypothyroidism",
            "Chronic kidney disease stage 3b", "Generalized anxiety disorder", "Iron deficiency anemia",
            "Obesity", "Osteoporosis", "Migraine without aura", "Persistent asthma", "Peripheral neuropathy",
            "Coronary artery disease", "Heart failure with reduced ejection fraction", "Psoriasis",
            "Vitamin D deficiency", "Benign essential tremor", "Chronic low back pain"]
ALLERGENS = [("Penicillin", "hives"), ("Sulfonamides", "rash"), ("Codeine", "nausea"), ("Latex", "itching"),
             ("Shellfish", "swelling"), ("Ibuprofen", "wheezing"), ("Cephalexin", "rash"), ("Peanuts", "anaphylaxis"),
             ("Erythromycin", "GI upset"), ("Iodinated contrast", "flushing")]
# conditions that put people in hospital (principal diagnoses of common admissions)
ADMISSION_DX = ["Community-acquired pneumonia", "Acute exacerbation of COPD", "Acute on chronic systolic heart failure",
                "Cellulitis of left lower leg", "Acute kidney injury", "Diabetic ketoacidosis", "Pyelonephritis",
                "Acute pancreatitis", "Upper gastrointestinal bleeding", "Syncope", "Pulmonary embolism",
                "Atrial fibrillation with rapid ventricular response", "Small bowel obstruction", "Sepsis due to urinary tract infection"]
INPATIENT_DRUGS = ["IV ceftriaxone", "IV piperacillin-tazobactam", "IV furosemide", "heparin infusion", "IV fluids",
                   "insulin infusion", "IV pantoprazole", "nebulized ipratropium"]
DISPOSITIONS = ["Home", "Home with home health services", "Skilled nursing facility", "Inpatient rehabilitation facility"]
HOSPITAL_KINDS = ["Regional Hospital", "General Hospital", "Memorial Hospital", "Medical Center", "Community Hospital"]
SPECIALTIES = ["cardiology", "endocrinology", "nephrology", "gastroenterology", "pulmonology", "rheumatology"]
REASONS = ["chest pain on exertion", "worsening kidney function", "poorly controlled diabetes", "a chronic cough",
           "joint pain and morning stiffness", "abnormal liver tests", "recurrent headaches", "iron deficiency"]

# MARK: - Families

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_LONG = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]


def fmt_date(iso, style):
    y, m, d = (int(x) for x in iso.split("-"))
    return {"us": f"{m:02d}/{d:02d}/{y}", "iso": iso, "dmy": f"{d:02d}-{MONTHS[m - 1].upper()}-{y}",
            "long": f"{MONTHS_LONG[m - 1]} {d}, {y}", "short": f"{m}/{d}/{y % 100:02d}",
            "dmon": f"{d} {MONTHS[m - 1]} {y}"}[style]


# label sets for the patient header: name, birth date, sex, record number, date, provider
LABELS = {
    "A": ["Patient Name:", "DOB:", "Sex:", "MRN:", "Date of Service:", "Provider:"],
    "B": ["Patient:", "Date of Birth:", "Gender:", "Medical Record #:", "Visit Date:", "Attending:"],
    "C": ["Name:", "Birth Date:", "Sex:", "Chart #:", "Encounter Date:", "Physician:"],
    "D": ["PATIENT:", "D.O.B.:", "SEX:", "MR#:", "DATE:", "PROVIDER:"],
    # held-out wordings
    "E": ["Pt Name:", "Birthdate:", "Gender:", "Patient ID:", "Date of Visit:", "Seen by:"],
    "F": ["Patient's Name:", "DOB:", "Sex/Gender:", "Record #:", "Service Date:", "Rendering Provider:"],
}
LAB_COLUMNS = {  # header words per field
    "A": {"name": "Test", "value": "Result", "flag": "Flag", "unit": "Units", "range": "Reference Range"},
    "B": {"name": "Test Name", "value": "Value", "flag": "Abnormal", "unit": "Unit", "range": "Normal Range"},
    "C": {"name": "Component", "value": "Your Value", "flag": "Flag", "unit": "Units", "range": "Standard Range"},
    "D": {"name": "Analyte", "value": "Result", "flag": "H/L", "unit": "Units", "range": "Ref Range"},
    "E": {"name": "Description", "value": "Results", "flag": "Indicator", "unit": "UOM", "range": "Reference Interval"},
    "F": {"name": "Lab Test", "value": "Observed", "flag": "Abn", "unit": "Measure", "range": "Expected"},
}

FAMILIES = {
    "lab-report": [
        dict(labels="A", grid=2, date="us", table="ruled", cols=["name", "value", "flag", "unit", "range"],
             words="A", names=0, font=("Arial", 10.0), letterhead="center"),
        dict(labels="B", grid=1, date="iso", table="unruled", cols=["name", "value", "unit", "range", "flag"],
             words="B", names=1, font=("Times", 10.5), letterhead="left"),
        dict(labels="C", grid=3, date="dmy", table="dashed", cols=["name", "value", "range", "unit"],
             words="C", names=0, font=("Sans", 9.0), letterhead="center", flag_in_value=True),
        dict(labels="D", grid=2, date="long", table="ruled", cols=["name", "range", "value", "flag", "unit"],
             words="D", names=1, font=("Mono", 8.5), letterhead="left", pages=2, continued="bare"),
        dict(labels="E", grid=3, date="short", table="dashed", cols=["name", "unit", "value", "flag", "range"],
             words="E", names=0, font=("Arial", 9.5), letterhead="right"),
        dict(labels="F", grid=1, date="dmon", table="unruled", cols=["name", "range", "unit", "value"],
             words="F", names=1, font=("Times", 10.0), letterhead="center", flag_in_value=True, pages=2,
             continued="patient"),
    ],
    "medication-list": [
        dict(labels="A", grid=2, date="us", layout="table", cols=["name", "dose", "route", "frequency", "status"],
             heads={"name": "Medication", "dose": "Strength", "route": "Route", "frequency": "Frequency",
                    "status": "Status"}, table="ruled", font=("Arial", 10.0), letterhead="center", stop="status"),
        dict(labels="B", grid=1, date="iso", layout="lines", font=("Times", 10.5), letterhead="left",
             stop="section", sig="abbrev"),
        dict(labels="C", grid=3, date="dmy", layout="table", cols=["name", "dose", "sig", "status"],
             heads={"name": "Drug", "dose": "Dose", "sig": "Directions", "status": "Status"}, table="dashed",
             font=("Sans", 9.0), letterhead="center", stop="status"),
        dict(labels="D", grid=2, date="long", layout="lines", font=("Mono", 9.0), letterhead="left",
             stop="inline", sig="words"),
        dict(labels="E", grid=3, date="short", layout="table", cols=["frequency", "name", "dose", "route", "status"],
             heads={"name": "Medication Name", "dose": "Dosage", "route": "How Taken", "frequency": "When",
                    "status": "Active?"}, table="unruled", font=("Arial", 9.5), letterhead="right", stop="status"),
        dict(labels="F", grid=1, date="dmon", layout="lines", font=("Times", 10.0), letterhead="center",
             stop="section", sig="words", bullets=True),
    ],
    "immunization-record": [
        dict(labels="A", grid=2, date="us", table="ruled", cols=["vaccine", "date", "dose", "lot"],
             heads={"vaccine": "Vaccine", "date": "Date Given", "dose": "Dose #", "lot": "Lot #"},
             font=("Arial", 10.0), letterhead="center"),
        dict(labels="B", grid=1, date="iso", table="unruled", cols=["date", "vaccine", "site", "maker"],
             heads={"vaccine": "Immunization", "date": "Date", "site": "Site", "maker": "Manufacturer"},
             font=("Times", 10.5), letterhead="left"),
        dict(labels="C", grid=3, date="dmy", table="dashed", cols=["vaccine", "maker", "lot", "date"],
             heads={"vaccine": "Vaccine Name", "date": "Administered", "maker": "Mfr", "lot": "Lot"},
             font=("Sans", 9.0), letterhead="center"),
        dict(labels="D", grid=2, date="long", table="lines", font=("Mono", 9.0), letterhead="left"),
        dict(labels="E", grid=3, date="short", table="dashed", cols=["date", "vaccine", "lot", "site"],
             heads={"vaccine": "Product", "date": "Admin Date", "lot": "Lot Number", "site": "Route/Site"},
             font=("Arial", 9.5), letterhead="right"),
        dict(labels="F", grid=1, date="dmon", table="ruled", cols=["vaccine", "date", "maker"],
             heads={"vaccine": "Vaccination", "date": "Date Administered", "maker": "Manufacturer"},
             font=("Times", 10.0), letterhead="center"),
    ],
    "progress-note": [
        dict(labels="A", grid=2, date="us", heads="colon", vitals="inline", meds="lines", font=("Arial", 10.0),
             letterhead="center", order=["cc", "vitals", "allergies", "meds", "problems", "plan"]),
        dict(labels="B", grid=1, date="iso", heads="caps", vitals="labelled", meds="lines", font=("Times", 10.5),
             letterhead="left", order=["cc", "meds", "allergies", "vitals", "problems", "plan"]),
        dict(labels="C", grid=3, date="dmy", heads="colon", vitals="table", meds="table", font=("Sans", 9.0),
             letterhead="center", order=["vitals", "problems", "meds", "allergies", "cc", "plan"]),
        dict(labels="D", grid=2, date="long", heads="caps", vitals="inline", meds="lines", font=("Mono", 9.0),
             letterhead="left", order=["cc", "problems", "allergies", "meds", "vitals", "plan"]),
        dict(labels="E", grid=3, date="short", heads="title", vitals="prose", meds="table", font=("Arial", 9.5),
             letterhead="right", order=["cc", "allergies", "meds", "vitals", "problems", "plan"]),
        dict(labels="F", grid=1, date="dmon", heads="caps", vitals="labelled", meds="lines", font=("Times", 10.0),
             letterhead="center", order=["problems", "meds", "allergies", "cc", "vitals", "plan"]),
    ],
    "discharge-summary": [
        dict(labels="A", grid=2, date="us", admit=("Admission Date:", "Discharge Date:"), attending="Attending:",
             heads="colon", principal="Principal Diagnosis:", dx="numbered", meds="tagged", vitals="inline",
             labs="table2", table="ruled", dispo="Discharge Disposition:", font=("Arial", 10.0), letterhead="center"),
        dict(labels="B", grid=1, date="iso", admit=("Date of Admission:", "Date of Discharge:"), attending="Attending Physician:",
             heads="caps", principal="Primary Diagnosis:", dx="plain", meds="groups",
             groups=("New Medications", "Continue Taking", "Stop Taking"), vitals="labelled", labs="prose",
             dispo="Disposition:", font=("Times", 10.5), letterhead="left", inpatient=True),
        dict(labels="C", grid=3, date="dmy", admit=("Admitted:", "Discharged:"), attending="Physician:",
             heads="colon", principal="Principal Dx:", dx="numbered", meds="tagged", vitals="inline", labs="table1",
             table="dashed", dispo="Disposition:", font=("Sans", 9.0), letterhead="center", body="two-column",
             dx_status=True),
        dict(labels="D", grid=2, date="long", admit=("Admit Date:", "Discharge Date:"), attending="PROVIDER:",
             heads="caps", principal="PRINCIPAL DIAGNOSIS:", dx="plain", meds="table",
             status_words=("New", "Continue", "Stopped"), vitals="table", labs="table2", table="unruled",
             dispo="Discharged to:", font=("Mono", 9.0), letterhead="left", pages=2, inpatient=True),
        # held-out: other label wordings, other status words, prose vitals, a two-column body with other sections
        dict(labels="E", grid=3, date="short", admit=("Date Admitted:", "Date Discharged:"), attending="Seen by:",
             heads="title", principal="Primary discharge diagnosis:", dx="numbered", meds="groups",
             groups=("START taking these medications", "KEEP taking these medications", "STOP taking these medications"),
             vitals="prose", labs="table1", table="ruled", dispo="Discharge to:", font=("Arial", 9.5),
             letterhead="right", body="two-column", inpatient=True),
        dict(labels="F", grid=1, date="dmon", admit=("Admission:", "Discharge:"), attending="Attending:",
             heads="caps", principal="Principal diagnosis:", dx="plain", meds="table",
             status_words=("Started", "Unchanged", "Discontinued"), change_head="Change", vitals="labelled",
             labs="table2", table="dashed", dispo="Disposition:", font=("Times", 10.0), letterhead="center", pages=2,
             dx_status=True),
    ],
    "packet": [
        # a packet is several documents of one patient, each laid out in a family of its own type;
        # dev packets use dev families only, held-out packets held-out families only
        dict(cover=True, docs=[("progress-note", 1), ("lab-report", 1), ("medication-list", 2), ("immunization-record", 3), ("progress-note", 4),
                               ("lab-report", 2), ("referral-letter", 3)]),
        dict(cover=False, docs=[("discharge-summary", 2), ("lab-report", 4), ("progress-note", 3), ("immunization-record", 1), ("medication-list", 1),
                                ("progress-note", 1), ("lab-report", 3)]),
        dict(cover=True, docs=[("referral-letter", 1), ("progress-note", 2), ("lab-report", 3), ("medication-list", 4), ("discharge-summary", 1),
                               ("lab-report", 1), ("progress-note", 4)]),
        dict(cover=False, docs=[("discharge-summary", 4), ("medication-list", 3), ("progress-note", 4), ("lab-report", 2), ("immunization-record", 2),
                                ("referral-letter", 2), ("lab-report", 4)]),
        dict(cover=True, docs=[("progress-note", 5), ("lab-report", 6), ("discharge-summary", 5), ("immunization-record", 6), ("medication-list", 6),
                               ("lab-report", 5), ("referral-letter", 5)]),
        dict(cover=False, docs=[("referral-letter", 6), ("medication-list", 5), ("discharge-summary", 6), ("lab-report", 5), ("progress-note", 6),
                                ("progress-note", 5), ("lab-report", 6)]),
    ],
    "referral-letter": [
        dict(re="RE:", date="long", font=("Times", 11.0), letterhead="center", tone=0),
        dict(re="Re:", date="us", font=("Arial", 10.5), letterhead="left", tone=1),
        dict(re="Regarding:", date="long", font=("Sans", 10.0), letterhead="center", tone=2),
        dict(re="Patient:", date="iso", font=("Times", 10.5), letterhead="left", tone=0),
        dict(re="Subject:", date="dmon", font=("Arial", 10.0), letterhead="right", tone=3),
        dict(re="In re:", date="long", font=("Times", 11.0), letterhead="center", tone=4),
    ],
}
HELD_OUT = {5, 6}
SECTION_TITLES = {  # heading wordings per style (dev styles use the first three)
    "colon": {"cc": "Chief Complaint:", "vitals": "Vital Signs:", "allergies": "Allergies:",
              "meds": "Current Medications:", "problems": "Problem List:", "plan": "Assessment and Plan:"},
    "caps": {"cc": "REASON FOR VISIT", "vitals": "VITALS", "allergies": "ALLERGIES",
             "meds": "MEDICATIONS", "problems": "ACTIVE PROBLEMS", "plan": "PLAN"},
    "title": {"cc": "Presenting Concern", "vitals": "Vitals Today", "allergies": "Allergies/Intolerances",
              "meds": "Medications Prior to Visit", "problems": "Diagnoses", "plan": "Plan of Care"},
}
DISCHARGE_TITLES = {  # discharge summary sections per heading style
    "colon": {"dx": "Discharge Diagnoses:", "allergies": "Allergies:", "course": "Hospital Course:",
              "vitals": "Vitals at Discharge:", "meds": "Discharge Medications:", "labs": "Laboratory Results:",
              "follow": "Follow-up:"},
    "caps": {"dx": "DISCHARGE DIAGNOSES", "allergies": "ALLERGIES", "course": "HOSPITAL COURSE",
             "vitals": "DISCHARGE VITAL SIGNS", "meds": "DISCHARGE MEDICATIONS", "labs": "PERTINENT LABS",
             "follow": "FOLLOW-UP"},
    "title": {"dx": "Diagnoses This Admission", "allergies": "Allergies/Intolerances", "course": "Summary of Stay",
              "vitals": "Vitals Before Discharge", "meds": "Medication Changes", "labs": "Results Reviewed",
              "follow": "Appointments"},
}

# MARK: - Layout helpers


class LPage(gen.Page):
    """The samples' page, with dashed rules and grids of one to three columns."""

    def dashed(self, x1, x2):
        self.y += 2
        self.ops.append(("dash", x1, self.y, x2, self.y, 0.6))
        self.y += 6

    def grid(self, pairs, columns):
        width = (self.width - 2 * self.margin) / columns
        for i in range(0, len(pairs), columns):
            row = pairs[i:i + columns]
            self.line([(self.margin + j * width, f"{label} {value}") for j, (label, value) in enumerate(row)])

    def cells(self, header, rows, widths, style, size=None):
        """A table of rows of cells; style ruled, dashed or unruled (one rule under the header)."""
        size = size or self.size - 0.5
        bare = not any(header)  # rows continued from the last page, without the header row
        if style == "ruled" and not bare:
            self.table(header, rows, widths, ruled=True, size=size)
            return
        xs = [self.margin]
        for w in widths:
            xs.append(xs[-1] + w)
        if style == "ruled":
            pad = 3.5
            row_h = size + 2 * pad + 2
            top = y = self.y
            for row in rows:
                self.ops.append(("rule", xs[0], y, xs[-1], y, 0.7))
                for c, cell in enumerate(row):
                    if cell:
                        self.ops.append(("text", xs[c] + pad, y + pad + size, cell, self.font, size))
                self.lines.append(" ".join(c for c in row if c))
                y += row_h
            self.ops.append(("rule", xs[0], y, xs[-1], y, 0.7))
            for x in xs:
                self.ops.append(("rule", x, top, x, y, 0.7))
            self.y = y + 8
            return
        if not bare:
            self.line([(xs[c] + 3, h) for c, h in enumerate(header) if h], font=self.bold(), size=size)
            if style == "dashed":
                self.dashed(self.margin, xs[-1])
            else:
                self.rule(0.6)
        for row in rows:
            self.line([(xs[c] + 3, cell) for c, cell in enumerate(row) if cell], size=size)
        if style == "dashed":
            self.dashed(self.margin, xs[-1])
        self.space(4)

    def two_columns(self, left, right, gap=18):
        """A body in two columns: left(page) and right(page) each lay out into half the width; the
        ground truth reads the left column, then the right."""
        top, margin, width = self.y, self.margin, self.width
        column = (width - 2 * margin - gap) / 2
        self.width = 2 * margin + column
        left(self)
        bottom = self.y
        self.y, self.margin = top, margin + column + gap
        self.width = 2 * self.margin + column
        right(self)
        bottom = max(bottom, self.y)
        self.y, self.margin, self.width = bottom, margin, width

    def draw(self, c):
        plain = [op for op in self.ops if op[0] != "dash"]
        dashes = [op for op in self.ops if op[0] == "dash"]
        saved, self.ops = self.ops, plain
        c.setPageSize((self.width, self.height))
        for _, x1, y1, x2, y2, t in dashes:
            c.setDash(3, 2)
            c.setLineWidth(t)
            c.line(x1, self.height - y1, x2, self.height - y2)
            c.setDash()
        super().draw(c)
        self.ops = saved


def pick(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


def sample(rng, seq, n):
    idx = rng.choice(len(seq), size=min(n, len(seq)), replace=False)
    return [seq[int(i)] for i in idx]


def a_date(rng, start=2025, end=2026):
    return f"{int(rng.integers(start, end + 1))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"


def num(value, like):
    """A value printed with the precision of its range."""
    decimals = max((len(str(x).split(".")[1]) if "." in str(x) else 0) for x in like)
    text = f"{value:.{decimals}f}"
    return text, (float(text) if decimals else int(round(value)))


PATIENT = None  # (first, middle, last, sex, birth, mrn) while a packet's documents are made


class Chart:
    """One document: its pages and its truth."""

    def __init__(self, rng, family):
        self.rng, self.f = rng, family
        female = bool(rng.integers(0, 2))
        self.first = pick(rng, FIRST_F if female else FIRST_M)
        self.middle = chr(ord("A") + int(rng.integers(0, 26)))
        self.last = pick(rng, LAST)
        self.sex = "female" if female else "male"
        self.birth = a_date(rng, 1938, 1990)
        self.mrn = pick(rng, [f"{int(rng.integers(10**7, 10**8))}", f"{pick(rng, 'ABCDEFGHK')}{pick(rng, 'MNPRTW')}-"
                                                                   f"{int(rng.integers(100000, 999999))}"])
        self.date = a_date(rng)
        if PATIENT is not None:  # a packet: every document is about the same patient
            self.first, self.middle, self.last, self.sex, self.birth, self.mrn = PATIENT
        self.clinician = pick(rng, CLINICIANS)
        self.credential = pick(rng, ["MD", "DO", "NP", "PA-C"])
        self.town = pick(rng, TOWNS)
        self.facility = f"{self.town} {pick(rng, KINDS)}"
        self.pages = []
        self.facts = {"patient": {"name": f"{self.first} {self.middle}. {self.last}", "birthDate": self.birth,
                                  "sex": self.sex, "mrn": self.mrn},
                      "encounters": [], "problems": [], "medications": [], "allergies": [], "vitals": [],
                      "labs": [], "immunizations": []}

    def d(self, iso):
        return fmt_date(iso, self.f.get("date", "us"))

    def page(self):
        font, size = self.f["font"]
        p = LPage(font=font, size=size)
        self.pages.append(p)
        return p

    def letterhead(self, p, name, title):
        where = self.f["letterhead"]
        street = f"{int(self.rng.integers(100, 9999))} {pick(self.rng, ['Main St', 'Oak Ave', 'Route 9', 'Harbor Blvd'])}"
        if where == "center":
            p.line([("center", name.upper())], font=p.bold(), size=p.size + 3)
            p.line([("center", f"{street}, {self.town}")], size=p.size - 1)
        elif where == "left":
            p.line([(p.margin, name)], font=p.bold(), size=p.size + 2)
            p.line([(p.margin, f"{street} {self.town}")], size=p.size - 1)
        else:
            p.line([(p.margin, name.upper()), ("right", f"{street}, {self.town}")], font=p.bold(), size=p.size + 1)
        p.rule()
        if title:
            p.title(title)

    def header_grid(self, p, with_date=True, with_provider=True):
        labels = LABELS[self.f["labels"]]
        name = f"{self.last.upper()}, {self.first.upper()} {self.middle}" if self.f["labels"] in "AD" \
            else f"{self.first} {self.middle}. {self.last}" if self.f["labels"] in "BE" else f"{self.last}, {self.first} {self.middle}."
        pairs = [(labels[0], name), (labels[1], self.d(self.birth)),
                 (labels[2], self.sex.capitalize() if self.f["labels"] != "D" else self.sex[0].upper()),
                 (labels[3], self.mrn)]
        if with_date:
            pairs.append((labels[4], self.d(self.date)))
        if with_provider:
            pairs.append((labels[5], f"{self.clinician}, {self.credential}"))
        p.grid(pairs, self.f["grid"])
        p.space(4)

    def encounter(self, kind, provider=True):
        e = {"date": self.date, "type": kind, "facility": self.facility}
        if provider:
            e["provider"] = f"{self.clinician}, {self.credential}"
        self.facts["encounters"].append(e)

    def footers(self, title):
        n = len(self.pages)
        for i, p in enumerate(self.pages):
            p.header(f"{self.last.upper()}, {self.first.upper()}  {self.mrn}", title)
            p.footer(f"{self.facility}  Confidential", f"Page {i + 1} of {n}")


# MARK: - Document types


def lab_report(rng, f):
    ch = Chart(rng, f)
    labs = sample(rng, LABS, int(rng.integers(8, 14)) if f.get("pages", 1) == 1 else int(rng.integers(20, 28)))
    words = LAB_COLUMNS[f["words"]]
    cols = f["cols"]
    rows = []
    for names, unit, (lo, hi), printed, (a, b) in labs:
        value = float(rng.uniform(a, b))
        text, truth_value = num(value, (lo, hi, a))
        flag = "H" if truth_value > hi else "L" if truth_value < lo else None
        name = names[f["names"]]
        fact = {"name": name, "value": truth_value, "referenceRange": printed, "date": ch.date}
        if unit:
            fact["unit"] = unit
        if flag:
            fact["flag"] = flag
        ch.facts["labs"].append(fact)
        cells = {"name": name, "value": text + (f" {flag}" if flag and f.get("flag_in_value") else ""),
                 "flag": flag or "", "unit": unit, "range": printed}
        rows.append([cells[c] for c in cols])
    widths = {"name": 170, "value": 70, "flag": 55, "unit": 85, "range": 110}
    per_page = len(rows) if f.get("pages", 1) == 1 else (len(rows) + 1) // 2
    lab_name = f"{ch.town} {pick(rng, LAB_KINDS)}"
    ch.facility = lab_name
    for start in range(0, len(rows), per_page):
        p = ch.page()
        if start == 0:
            ch.letterhead(p, lab_name, pick(rng, ["LABORATORY REPORT", "Lab Results Report", "Final Report"]))
            labels = LABELS[f["labels"]]
            ch.header_grid(p, with_date=False, with_provider=False)
            p.grid([("Collected:" if f["labels"] in "ABC" else "Specimen Collected:", ch.d(ch.date)),
                    ("Ordering Provider:" if f["labels"] in "ACE" else "Ordered By:",
                     f"{ch.clinician}, {ch.credential}")], f["grid"] if f["grid"] > 1 else 1)
            p.space(6)
        header = [words[c] for c in cols]
        if start > 0 and f.get("continued") == "patient":
            # the next page names the patient again, then the rows go on without the header row
            p.line([(p.margin, f"Patient: {ch.last}, {ch.first}"), (p.margin + 260, f"MRN: {ch.mrn}")])
            p.space(4)
        if start > 0 and f.get("continued"):
            header = ["" for _ in cols]
        p.cells(header, rows[start:start + per_page], [widths[c] for c in cols], f["table"])
        if start + per_page >= len(rows):
            p.paragraph("Results reviewed electronically. Values outside the reference range are flagged.")
    ch.footers("Laboratory Report")
    ch.facts["encounters"].append({"date": ch.date, "type": "laboratory", "provider": f"{ch.clinician}, {ch.credential}",
                                   "facility": lab_name})
    return ch


def med_row(rng, ch, f):
    name, strengths, unit, route = pick(rng, DRUGS)
    dose = pick(rng, strengths)
    freq = pick(rng, FREQUENCIES) if route != "inhaled" else FREQUENCIES[0]
    return name, dose, unit, route, freq


def dose_text(dose, unit):
    return f"{dose:g} {unit}"


def medication_list(rng, f):
    ch = Chart(rng, f)
    p = ch.page()
    ch.letterhead(p, ch.facility, pick(rng, ["MEDICATION LIST", "Medication Reconciliation", "Current Medications"]))
    ch.header_grid(p)
    ch.encounter("medication review")
    allergies = sample(rng, ALLERGENS, int(rng.integers(0, 3)))
    if allergies:
        p.line(f"Allergies: " + ", ".join(f"{s} ({r})" for s, r in allergies))
        ch.facts["allergies"] = [{"substance": s, "reaction": r} for s, r in allergies]
    else:
        p.line("Allergies: No known drug allergies")
        ch.facts["allergies"] = [{"substance": "NKDA", "noKnownAllergies": True}]
    p.space(6)
    seen, meds = set(), []
    while len(meds) < int(rng.integers(5, 10)):
        m = med_row(rng, ch, f)
        if m[0] not in seen:
            seen.add(m[0])
            meds.append(m)
    stopped = set(int(i) for i in rng.choice(len(meds), size=int(rng.integers(1, 3)), replace=False))
    for i, (name, dose, unit, route, freq) in enumerate(meds):
        fact = {"name": name, "dose": dose, "unit": unit, "route": ROUTES[route][0], "frequency": freq[0],
                "status": "discontinued" if i in stopped else "active"}
        ch.facts["medications"].append(fact)
    if f["layout"] == "table":
        heads = f["heads"]
        stop_word = pick(rng, ["Discontinued", "Stopped", "D/C"])
        rows = []
        for i, (name, dose, unit, route, freq) in enumerate(meds):
            cells = {"name": name, "dose": dose_text(dose, unit), "route": ROUTES[route][1], "frequency": freq[1],
                     "sig": f"{ROUTES[route][2]} {freq[2]}", "status": stop_word if i in stopped else "Active"}
            if f["cols"][0] == "frequency":
                cells["status"] = "No" if i in stopped else "Yes"
            rows.append([cells[c] for c in f["cols"]])
        widths = {"name": 150, "dose": 70, "route": 70, "frequency": 80, "sig": 170, "status": 80}
        p.heading(pick(rng, ["Medications", "Medication List"]) if f["table"] != "ruled" else "Active and Recent Medications")
        p.cells([heads[c] for c in f["cols"]], rows, [widths[c] for c in f["cols"]], f["table"])
    else:
        def text(name, dose, unit, route, freq):
            if f["sig"] == "abbrev":
                return f"{name} {dose_text(dose, unit)} {ROUTES[route][0]} {freq[0]}"
            return f"{name} {dose_text(dose, unit)} - take {ROUTES[route][2]} {freq[2]}"
        mark = (lambda n: "\u2022 ") if f.get("bullets") else (lambda n: f"{n}. ")
        active = [m for i, m in enumerate(meds) if i not in stopped]
        gone = [m for i, m in enumerate(meds) if i in stopped]
        if f["stop"] == "inline":
            p.heading("MEDICATIONS")
            for n, m in enumerate(meds, 1):
                tail = f" ({pick(rng, ['stopped', 'discontinued', 'D/C'])} {ch.d(ch.date)})" if meds.index(m) in stopped else ""
                p.line(mark(n) + text(*m) + tail)
        else:
            p.heading(pick(rng, ["Active Medications", "Current Medications"]))
            for n, m in enumerate(active, 1):
                p.line(mark(n) + text(*m))
            p.heading(pick(rng, ["Discontinued Medications", "Stopped Medications"]))
            for n, m in enumerate(gone, 1):
                p.line(mark(n) + text(*m))
    p.space(8)
    p.paragraph("Medication list reviewed with the patient. Bring all bottles to the next visit.")
    p.line(f"Reviewed by: {ch.clinician}, {ch.credential}")
    ch.footers("Medication List")
    return ch


def immunization_record(rng, f):
    ch = Chart(rng, f)
    p = ch.page()
    ch.letterhead(p, ch.facility, pick(rng, ["IMMUNIZATION RECORD", "Vaccination History", "Immunization History"]))
    ch.header_grid(p, with_provider=False)
    ch.facts["encounters"].append({"date": ch.date, "type": "immunization record", "facility": ch.facility})
    shots = sample(rng, VACCINES, int(rng.integers(4, 9)))
    rows = []
    for v in shots:
        date = a_date(rng, 2016, 2026)
        ch.facts["immunizations"].append({"vaccine": v, "date": date})
        cells = {"vaccine": v, "date": ch.d(date), "dose": str(int(rng.integers(1, 4))),
                 "lot": f"{pick(rng, 'ABCDEFHK')}{int(rng.integers(1000, 99999))}", "site": pick(rng, SITES),
                 "maker": pick(rng, MAKERS)}
        rows.append(cells)
    if f["table"] == "lines":
        p.heading("Vaccines Administered")
        for c in rows:
            p.line(f"{c['vaccine']} - given {c['date']} - lot {c['lot']}")
    else:
        widths = {"vaccine": 200, "date": 95, "dose": 50, "lot": 75, "site": 75, "maker": 85}
        p.cells([f["heads"][c] for c in f["cols"]], [[c[k] for k in f["cols"]] for c in rows],
                [widths[c] for c in f["cols"]], f["table"])
    p.space(6)
    p.paragraph("This record lists vaccines documented in this office and those reported by the patient.")
    ch.footers("Immunization Record")
    return ch


def progress_note(rng, f):
    ch = Chart(rng, f)
    p = ch.page()
    ch.letterhead(p, ch.facility, pick(rng, ["PROGRESS NOTE", "Office Visit", "Clinic Note"]))
    ch.header_grid(p)
    ch.encounter("office visit")
    titles = SECTION_TITLES[f["heads"]]
    problems = sample(rng, PROBLEMS, int(rng.integers(2, 5)))
    allergies = sample(rng, ALLERGENS, int(rng.integers(0, 3)))
    meds = []
    for m in sample(rng, DRUGS, int(rng.integers(3, 6))):
        name, strengths, unit, route = m
        meds.append((name, pick(rng, strengths), unit, route, pick(rng, FREQUENCIES)))
    vit = {"blood pressure": f"{int(rng.integers(104, 168))}/{int(rng.integers(60, 98))}",
           "heart rate": int(rng.integers(52, 104)), "temperature": round(float(rng.uniform(97.0, 99.6)), 1),
           "weight": round(float(rng.uniform(48, 125)), 1), "oxygen saturation": int(rng.integers(91, 100))}
    units = {"blood pressure": "mmHg", "heart rate": "bpm", "temperature": "F", "weight": "kg", "oxygen saturation": "%"}
    for k, v in vit.items():
        ch.facts["vitals"].append({"name": k, "value": v, "unit": units[k], "date": ch.date})
    ch.facts["problems"] = [{"name": x, "status": "active"} for x in problems]
    ch.facts["allergies"] = [{"substance": s, "reaction": r} for s, r in allergies] or \
        [{"substance": "NKDA", "noKnownAllergies": True}]
    for name, dose, unit, route, freq in meds:
        ch.facts["medications"].append({"name": name, "dose": dose, "unit": unit, "route": ROUTES[route][0],
                                        "frequency": freq[0], "status": "active"})

    for key in f["order"]:
        p.heading(titles[key])
        if key == "cc":
            p.paragraph(pick(rng, ["Follow-up of chronic conditions and medication review.",
                                   "Here for a routine visit; no new complaints today.",
                                   "Three-month follow-up. Reports good adherence and no side effects."]))
        elif key == "vitals":
            if f["vitals"] == "inline":
                p.line(f"BP {vit['blood pressure']}  HR {vit['heart rate']}  Temp {vit['temperature']} F  "
                       f"SpO2 {vit['oxygen saturation']}%  Wt {vit['weight']} kg")
            elif f["vitals"] == "labelled":
                p.line(f"Blood Pressure: {vit['blood pressure']} mmHg   Pulse: {vit['heart rate']} bpm")
                p.line(f"Temperature: {vit['temperature']} F   Weight: {vit['weight']} kg   O2 Sat: {vit['oxygen saturation']}%")
            elif f["vitals"] == "table":
                p.cells(["Measure", "Value", "Units"], [["Blood pressure", vit["blood pressure"], "mmHg"],
                                                        ["Heart rate", str(vit["heart rate"]), "bpm"],
                                                        ["Temperature", str(vit["temperature"]), "F"],
                                                        ["Weight", str(vit["weight"]), "kg"],
                                                        ["SpO2", str(vit["oxygen saturation"]), "%"]],
                        [140, 80, 60], "unruled")
            else:
                p.paragraph(f"Blood pressure was {vit['blood pressure']} mmHg with a pulse of {vit['heart rate']} bpm. "
                            f"Temperature {vit['temperature']} F, oxygen saturation {vit['oxygen saturation']}% on room "
                            f"air, weight {vit['weight']} kg.")
        elif key == "allergies":
            if allergies:
                for s, r in allergies:
                    p.line(f"{s} - {r}" if f["heads"] != "title" else f"{s} ({r})")
            else:
                p.line(pick(rng, ["NKDA", "No known allergies"]))
        elif key == "meds":
            if f["meds"] == "table":
                p.cells(["Medication", "Dose", "Route", "Frequency"],
                        [[n, dose_text(d, u), ROUTES[r][1], q[1]] for n, d, u, r, q in meds], [160, 70, 70, 90], "unruled")
            else:
                for n, d, u, r, q in meds:
                    p.line(f"- {n} {dose_text(d, u)} {ROUTES[r][0]} {q[0]}")
        elif key == "problems":
            for i, x in enumerate(problems, 1):
                p.line(f"{i}. {x}" if f["heads"] != "caps" else x)
        elif key == "plan":
            p.paragraph(f"Continue current medications. {pick(rng, ['Recheck labs in 3 months.', 'Return in 6 weeks.', 'Follow up as needed.'])}")
    p.space(10)
    p.line(f"Electronically signed by {ch.clinician}, {ch.credential} on {ch.d(ch.date)}")
    ch.footers("Progress Note")
    return ch


def referral_letter(rng, f):
    ch = Chart(rng, f)
    p = ch.page()
    ch.letterhead(p, ch.facility, None)
    p.line(ch.d(ch.date))
    p.space(8)
    specialist = pick(rng, [c for c in CLINICIANS if c != ch.clinician])
    specialty = pick(rng, SPECIALTIES)
    reason = pick(rng, REASONS)
    p.line(f"Dr. {specialist}")
    p.line(f"{pick(rng, TOWNS)} {specialty.capitalize()}")
    p.space(8)
    name = f"{ch.first} {ch.middle}. {ch.last}"
    p.line(f"{f['re']} {name}   DOB: {ch.d(ch.birth)}   MRN: {ch.mrn}")
    ch.facts["patient"].pop("sex")  # a letter says Mr. or Ms., not the field
    p.space(6)
    problems = sample(rng, PROBLEMS, 2)
    (drug1, s1, u1, r1), (drug2, s2, u2, r2) = sample(rng, DRUGS, 2)
    d1, d2 = pick(rng, s1), pick(rng, s2)
    (lab_names, lab_unit, (lo, hi), printed, (a, b)) = pick(rng, [l for l in LABS if l[1]])
    value_text, value = num(float(rng.uniform(a, b)), (lo, hi, a))
    allergen, reaction = pick(rng, ALLERGENS)
    pron, obj = ("She", "her") if ch.sex == "female" else ("He", "his")
    title = "Ms." if ch.sex == "female" else "Mr."
    lab_date = a_date(rng)
    tones = [
        f"Dear Dr. {specialist.split()[-1]}, thank you for seeing {title} {ch.last} in {specialty} consultation for "
        f"evaluation of {reason}. {pron} has a history of {problems[0].lower()} and {problems[1].lower()}. {pron} takes {drug1.lower()} "
        f"{d1:g} {u1} daily and {drug2.lower()} {d2:g} {u2} twice daily. {pron} is allergic to {allergen.lower()} "
        f"({reaction}). {obj.capitalize()} {lab_names[0].lower()} was {value_text} {lab_unit} on {ch.d(lab_date)}.",
        f"I am referring {title} {ch.last} to {specialty} because of {reason}. Past history: {problems[0]}; {problems[1]}. Current "
        f"medications include {drug1} {d1:g} {u1} once daily and {drug2} {d2:g} {u2} twice daily. Allergy: {allergen} "
        f"({reaction}). Most recent {lab_names[1]} {value_text} {lab_unit} ({ch.d(lab_date)}).",
        f"{title} {ch.last} is a patient of mine with {problems[0].lower()} and {problems[1].lower()} whom I would like you "
        f"to see regarding {reason}. Medications: {drug1} {d1:g} {u1} daily; {drug2} {d2:g} {u2} BID. Allergies: {allergen} ({reaction}). "
        f"Labs from {ch.d(lab_date)} showed a {lab_names[0].lower()} of {value_text} {lab_unit}.",
        f"Please evaluate {title} {ch.last} for {specialty} care; the main concern is {reason}. Diagnoses: {problems[0]}, {problems[1]}. "
        f"{pron} was started on {drug1.lower()} {d1:g} {u1} daily and continues {drug2.lower()} {d2:g} {u2} twice daily. "
        f"{pron} reports an allergy to {allergen.lower()} causing {reaction}. {lab_names[0]} on {ch.d(lab_date)}: "
        f"{value_text} {lab_unit}.",
        f"This letter concerns {title} {ch.last}, whom I am sending to {specialty} given {reason}. Known conditions are "
        f"{problems[0].lower()} and {problems[1].lower()}. Regimen: {drug1.lower()} {d1:g} {u1} once a day and "
        f"{drug2.lower()} {d2:g} {u2} two times a day. {pron} cannot take {allergen.lower()} ({reaction}). "
        f"{obj.capitalize()} last {lab_names[1]} measured {value_text} {lab_unit} on {ch.d(lab_date)}.",
    ]
    p.paragraph(tones[f["tone"]])
    p.space(6)
    p.paragraph("Records of the last two visits are enclosed. Please send your recommendations to our office.")
    p.space(10)
    p.line("Sincerely,")
    p.line(f"{ch.clinician}, {ch.credential}")
    ch.footers("Referral")
    ch.facts["problems"] = [{"name": x, "status": "active"} for x in problems]
    ch.facts["medications"] = [
        {"name": drug1, "dose": d1, "unit": u1, "route": ROUTES[r1][0], "frequency": "daily", "status": "active"},
        {"name": drug2, "dose": d2, "unit": u2, "route": ROUTES[r2][0], "frequency": "BID", "status": "active"}]
    ch.facts["allergies"] = [{"substance": allergen, "reaction": reaction}]
    ch.facts["labs"] = [{"name": lab_names[0] if f["tone"] in (0, 2, 3) else lab_names[1], "value": value,
                         "unit": lab_unit, "date": lab_date}]
    ch.facts["encounters"] = [{"date": ch.date, "type": "referral", "provider": f"{ch.clinician}, {ch.credential}",
                               "facility": ch.facility, "specialty": specialty, "reason": reason,
                               "referredTo": f"Dr. {specialist}"}]
    # Routes are not printed in the prose: the truth holds only what the letter says.
    for m in ch.facts["medications"]:
        m.pop("route")
    return ch


def add_days(iso, days):
    import datetime
    return (datetime.date.fromisoformat(iso) + datetime.timedelta(days=days)).isoformat()


def discharge_summary(rng, f):
    ch = Chart(rng, f)
    admit = ch.date
    discharge = add_days(admit, int(rng.integers(1, 9)))
    hospital = f"{ch.town} {pick(rng, HOSPITAL_KINDS)}"
    ch.facility = hospital
    titles = DISCHARGE_TITLES[f["heads"]]
    principal = pick(rng, ADMISSION_DX)
    others = sample(rng, PROBLEMS, int(rng.integers(2, 4)))
    disposition = pick(rng, DISPOSITIONS)
    allergies = sample(rng, ALLERGENS, int(rng.integers(0, 3)))
    seen, meds = set(), []
    while len(meds) < int(rng.integers(4, 8)):
        m = med_row(rng, ch, f)
        if m[0] not in seen:
            seen.add(m[0])
            meds.append(m)
    status = ["new"] * int(rng.integers(1, 3))
    status += ["discontinued"] * int(rng.integers(1, 3))
    status += ["active"] * (len(meds) - len(status))
    status = [status[int(i)] for i in rng.permutation(len(status))]
    vit = {"blood pressure": f"{int(rng.integers(100, 160))}/{int(rng.integers(58, 94))}",
           "heart rate": int(rng.integers(56, 100)), "respiratory rate": int(rng.integers(12, 22)),
           "temperature": round(float(rng.uniform(97.0, 99.4)), 1), "oxygen saturation": int(rng.integers(91, 100))}
    units = {"blood pressure": "mmHg", "heart rate": "bpm", "respiratory rate": "/min", "temperature": "F",
             "oxygen saturation": "%"}
    labs = sample(rng, [l for l in LABS if l[1]], int(rng.integers(3, 7)))
    later = add_days(discharge, -1) if discharge > add_days(admit, 1) else discharge
    lab_rows = []
    for names, unit, (lo, hi), printed, (a, b) in labs:
        pair = []
        for when in ((admit, later) if f["labs"] in ("table2",) else (admit,)):
            text, value = num(float(rng.uniform(a, b)), (lo, hi, a))
            flag = "H" if value > hi else "L" if value < lo else None
            fact = {"name": names[1] if f["labs"] == "table2" else names[0], "value": value, "unit": unit, "date": when}
            if f["labs"] != "prose":
                fact["referenceRange"] = printed
                if flag:
                    fact["flag"] = flag
            ch.facts["labs"].append(fact)
            pair.append((text, flag))
        lab_rows.append((names, unit, printed, pair))

    # truth
    ch.facts["encounters"].append({"date": admit, "endDate": discharge, "type": "inpatient admission",
                                   "provider": f"{ch.clinician}, {ch.credential}", "facility": hospital,
                                   "diagnosis": principal, "disposition": disposition})
    ch.facts["problems"] = [{"name": principal, "status": "resolved" if f.get("dx_status") else "active"}] + \
        [{"name": x, "status": "active"} for x in others]
    ch.facts["allergies"] = [{"substance": s, "reaction": r} for s, r in allergies] or \
        [{"substance": "NKDA", "noKnownAllergies": True}]
    for (name, dose, unit, route, freq), st in zip(meds, status):
        ch.facts["medications"].append({"name": name, "dose": dose, "unit": unit, "route": ROUTES[route][0],
                                        "frequency": freq[0], "status": st})
    for k, v in vit.items():
        ch.facts["vitals"].append({"name": k, "value": v, "unit": units[k], "date": discharge})

    p = ch.page()
    ch.letterhead(p, hospital, pick(rng, ["DISCHARGE SUMMARY", "Discharge Summary", "Hospital Discharge Summary"]))
    ch.header_grid(p, with_date=False, with_provider=False)
    p.grid([(f["admit"][0], ch.d(admit)), (f["admit"][1], ch.d(discharge)),
            (f["attending"], f"{ch.clinician}, {ch.credential}")], f["grid"])
    p.space(4)

    def heading(page, key):
        page.heading(titles[key])

    def diagnoses(page):
        page.line(f"{f['principal']} {principal}")
        heading(page, "dx")
        items = [principal + (" - resolved" if f.get("dx_status") else "")] + others
        for i, x in enumerate(items, 1):
            page.line(f"{i}. {x}" if f["dx"] == "numbered" else x)

    def allergy_lines(page):
        heading(page, "allergies")
        if allergies:
            for s_, r in allergies:
                page.line(f"{s_} ({r})")
        else:
            page.line(pick(rng, ["NKDA", "No known drug allergies"]))

    def vitals(page):
        heading(page, "vitals")
        if f["vitals"] == "inline":
            page.line(f"BP {vit['blood pressure']}  HR {vit['heart rate']}  RR {vit['respiratory rate']}")
            page.line(f"Temp {vit['temperature']} F  SpO2 {vit['oxygen saturation']}%")
        elif f["vitals"] == "labelled":
            page.line(f"Blood Pressure: {vit['blood pressure']} mmHg   Pulse: {vit['heart rate']} bpm   "
                      f"Resp: {vit['respiratory rate']}/min")
            page.line(f"Temperature: {vit['temperature']} F   O2 Sat: {vit['oxygen saturation']}%")
        elif f["vitals"] == "table":
            page.cells(["Measure", "Value", "Units"], [["Blood pressure", vit["blood pressure"], "mmHg"],
                                                       ["Heart rate", str(vit["heart rate"]), "bpm"],
                                                       ["Respiratory rate", str(vit["respiratory rate"]), "/min"],
                                                       ["Temperature", str(vit["temperature"]), "F"],
                                                       ["SpO2", str(vit["oxygen saturation"]), "%"]],
                       [140, 80, 60], "unruled")
        else:
            page.paragraph(f"On the day of discharge blood pressure was {vit['blood pressure']} mmHg, pulse "
                           f"{vit['heart rate']} bpm, respiratory rate {vit['respiratory rate']}/min, temperature "
                           f"{vit['temperature']} F and oxygen saturation {vit['oxygen saturation']}% on room air.")

    def med_text(m):
        name, dose, unit, route, freq = m
        return f"{name} {dose_text(dose, unit)} {ROUTES[route][0]} {freq[0]}"

    def medications(page):
        heading(page, "meds")
        if f["meds"] == "tagged":
            tags = {"new": "NEW", "active": "continue", "discontinued": "STOP"}
            for m, st in zip(meds, status):
                page.line(f"- {med_text(m)} ({tags[st]})")
        elif f["meds"] == "groups":
            for title, want in zip(f["groups"], ("new", "active", "discontinued")):
                chosen = [m for m, st in zip(meds, status) if st == want]
                if chosen:
                    page.line(title, font=page.bold())
                    for m in chosen:
                        page.line(f"  {med_text(m)}")
        else:
            words = dict(zip(("new", "active", "discontinued"), f["status_words"]))
            rows = [[m[0], dose_text(m[1], m[2]), ROUTES[m[3]][1], m[4][1], words[st]] for m, st in zip(meds, status)]
            page.cells(["Medication", "Dose", "Route", "Frequency", f.get("change_head", "Status")], rows,
                       [150, 70, 60, 80, 80], f.get("table", "ruled") if f.get("table") != "unruled" else "ruled")

    def course(page):
        heading(page, "course")
        text = (f"Admitted with {principal.lower()}. ")
        if f.get("inpatient"):
            text += f"Treated with {pick(rng, INPATIENT_DRUGS)} and supportive care. "
        text += "Symptoms improved steadily and the patient was stable for discharge. "
        if f["labs"] == "prose":
            bits = [f"{names[0].lower()} {pair[0][0]} {unit}" for names, unit, printed, pair in lab_rows]
            text += f"Labs on admission ({ch.d(admit)}): " + ", ".join(bits) + "."
        page.paragraph(text)

    def lab_table(page):
        if f["labs"] == "prose":
            return
        heading(page, "labs")
        if f["labs"] == "table2":
            header = ["Test", ch.d(admit), ch.d(later), "Units", "Reference"]
            rows = [[names[1]] + [t + (f" {fl}" if fl else "") for t, fl in pair] + [unit, printed]
                    for names, unit, printed, pair in lab_rows]
            page.cells(header, rows, [150, 85, 85, 95, 90], f["table"])
        else:
            words = LAB_COLUMNS[f["labels"]]
            page.line(f"Collected {ch.d(admit)}")
            rows = [[names[0], pair[0][0], pair[0][1] or "", unit, printed] for names, unit, printed, pair in lab_rows]
            page.cells([words[c] for c in ("name", "value", "flag", "unit", "range")], rows, [170, 70, 55, 85, 100],
                       f["table"])

    def follow(page):
        heading(page, "follow")
        page.paragraph(f"Follow up with {ch.clinician} in {pick(rng, ['one week', '1-2 weeks', '10 days'])}.")
        page.line(f"{f['dispo']} {disposition}")

    if f.get("body") == "two-column":
        p.two_columns(lambda q: (diagnoses(q), allergy_lines(q), vitals(q)), lambda q: (medications(q), follow(q)))
        course(p)
        lab_table(p)
    elif f.get("pages", 1) == 2:
        diagnoses(p)
        allergy_lines(p)
        course(p)
        vitals(p)
        p = ch.page()
        medications(p)
        lab_table(p)
        follow(p)
    else:
        diagnoses(p)
        allergy_lines(p)
        course(p)
        vitals(p)
        medications(p)
        lab_table(p)
        follow(p)
    p.space(10)
    p.line(f"Electronically signed by {ch.clinician}, {ch.credential} on {ch.d(discharge)}")
    ch.footers("Discharge Summary")
    return ch


def merge_truth(charts):
    """One packet's truth: the patient once, every document's facts, an item named twice kept
    once: the reading of the latest document by date (a packet's pages are not in date order)."""
    facts = {"patient": dict(charts[0].facts["patient"]), "encounters": [], "problems": [], "medications": [],
             "allergies": [], "vitals": [], "labs": [], "immunizations": []}
    keys = {"problems": ("name",), "medications": ("name",), "allergies": ("substance",), "vitals": ("name", "date"),
            "labs": ("name", "date"), "immunizations": ("vaccine", "date"), "encounters": ("date", "type")}
    for ch in sorted(charts, key=lambda c: c.date):
        if "sex" in ch.facts["patient"]:
            facts["patient"]["sex"] = ch.facts["patient"]["sex"]
        for group, key in keys.items():
            for item in ch.facts[group]:
                k = tuple(str(item.get(x, "")).lower() for x in key)
                facts[group] = [old for old in facts[group] if tuple(str(old.get(x, "")).lower() for x in key) != k]
                facts[group].append(item)
    if any(not a.get("noKnownAllergies") for a in facts["allergies"]):
        facts["allergies"] = [a for a in facts["allergies"] if not a.get("noKnownAllergies")]
    elif facts["allergies"]:
        facts["allergies"] = facts["allergies"][:1]
    return facts


class Packet:
    """Several documents of one patient, as a records request sends them."""

    def __init__(self, pages, facts):
        self.pages, self.facts = pages, facts


def packet(rng, f):
    global PATIENT
    head = Chart(rng, FAMILIES["progress-note"][0])
    PATIENT = (head.first, head.middle, head.last, head.sex, head.birth, head.mrn)
    try:
        charts = []
        for kind, number in f["docs"]:
            charts.append(TYPES[kind](rng, FAMILIES[kind][number - 1]))
    finally:
        PATIENT = None
    pages = []
    if f["cover"]:
        p = LPage(font="Arial", size=11.0)
        p.line([("center", "FAX COVER SHEET")], font=p.bold(), size=16)
        p.space(12)
        total = sum(len(c.pages) for c in charts) + 1
        sender = charts[0].facility
        for label, value in [("To:", "Health Information Management / Release of Information"),
                             ("From:", sender), ("Date:", fmt_date(add_days(max(c.date for c in charts), int(rng.integers(1, 30))), "us")), ("Pages:", f"{total} including cover"),
                             ("Re:", f"Records for {head.first} {head.middle}. {head.last}, DOB {fmt_date(head.birth, 'us')}")]:
            p.line(f"{label} {value}")
        p.space(12)
        p.paragraph("CONFIDENTIALITY NOTICE: This facsimile contains protected health information. If you received it in "
                    "error, notify the sender and destroy all copies.")
        pages.append(p)
    for c in charts:
        pages += c.pages
    return Packet(pages, merge_truth(charts))


TYPES = {"lab-report": lab_report, "medication-list": medication_list, "immunization-record": immunization_record,
         "progress-note": progress_note, "referral-letter": referral_letter, "discharge-summary": discharge_summary,
         "packet": packet}
SCAN_STYLES = ("clean", "photocopy", "fax", "phone")


def scan(pdf_path, pages, style, rng, work):
    """Rasterises and degrades each page with the scan corpus's styles (its held-out parameters)."""
    import make_scan_corpus as scans
    from PIL import Image
    images = []
    for number in range(1, len(pages) + 1):
        params = {"dpi": int(pick(rng, [200, 300])), "skew": round(float(rng.uniform(-2, 2)), 2),
                  "jpeg": int(rng.integers(35, 60)), "paper": int(rng.integers(185, 215)),
                  "fax_noise": round(float(rng.uniform(10, 20)), 1), "toner": round(float(rng.uniform(0.1, 0.7)), 2)}
        if style == "fax":
            img = gen.rasterise(pdf_path, number, 200)
            img = img.rotate(params["skew"], resample=Image.BICUBIC, expand=False, fillcolor=255)
            img = img.resize((img.width, img.height // 2), Image.BILINEAR)
            img = scans.fax(img, rng, params).convert("1")
            dpi = (200, 100)
            quality = None
        else:
            img = gen.rasterise(pdf_path, number, params["dpi"])
            img, quality = scans.degrade(img, style, rng, params, params["dpi"], None)
            img = img.rotate(params["skew"], resample=Image.BICUBIC, expand=False, fillcolor=int(np.median(np.asarray(img))))
            quality = quality or 85
            dpi = (params["dpi"], params["dpi"])
        images.append((img, dpi, quality))
    _image_pdf(images, pdf_path)


def _image_pdf(images, path):
    """Pages of images, each page sized by its resolution (points = pixels x 72 / dpi)."""
    import io
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(path, invariant=1)
    for img, (dx, dy), quality in images:
        w, h = img.width * 72.0 / dx, img.height * 72.0 / dy
        c.setPageSize((w, h))
        buf = io.BytesIO()
        if quality:
            img.convert("L").save(buf, "JPEG", quality=quality)
        else:
            img.save(buf, "PNG")
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, w, h)
        c.showPage()
    c.save()


def build(out, split, per_family, scan_style, types=None):
    os.makedirs(out, exist_ok=True)
    written = []
    for t_index, (kind, make) in enumerate(TYPES.items()):
        if types and kind not in types:
            continue
        for family_number, family in enumerate(FAMILIES[kind], 1):
            held = family_number in HELD_OUT
            if split == "dev" and held or split == "heldout" and not held:
                continue
            for n in range(per_family):
                rng = np.random.default_rng([20261204, t_index, family_number, n])
                chart = make(rng, family)
                name = f"{kind}-f{family_number}-{n + 1:02d}"
                path = os.path.join(out, name + ".pdf")
                gen.write_pdf(chart.pages, path)
                style = "born-digital"
                if scan_style != "none":
                    style = SCAN_STYLES[(n + family_number) % 4] if scan_style == "mixed" else scan_style
                    with tempfile.TemporaryDirectory() as work:
                        scan(path, chart.pages, style, rng, work)
                truth = {"file": name + ".pdf", "description": f"{kind}, layout family {family_number}",
                         "synthetic": True, "type": kind, "family": f"{kind}/f{family_number}",
                         "split": "heldout" if held else "dev", "scan": style,
                         "pages": [{"number": i + 1, "text": pg.text()} for i, pg in enumerate(chart.pages)],
                         "facts": chart.facts}
                with open(os.path.join(out, name + ".expected.json"), "w") as fh:
                    json.dump(truth, fh, indent=1)
                written.append(name)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    ap.add_argument("--per-family", type=int, default=4)
    ap.add_argument("--scan", choices=["none", "mixed"] + list(SCAN_STYLES), default="none")
    ap.add_argument("--types", help="comma-separated document types (default: all): " + ", ".join(TYPES))
    a = ap.parse_args()
    names = build(a.out, a.split, a.per_family, a.scan, a.types.split(",") if a.types else None)
    print(f"{len(names)} documents in {a.out}")


if __name__ == "__main__":
    main()
