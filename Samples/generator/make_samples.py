#!/usr/bin/env python3
"""Generate Chartex's synthetic sample charts (all patients are invented).

Every chart is first laid out as a born-digital PDF with reportlab; the layout engine records
the exact text of every line it draws, which becomes the page's ground truth. Scanned charts
are then rasterised with Poppler's pdftoppm and degraded like real scans (paper tone, blur,
noise, skew, JPEG), or like a fax (200x100 dpi, 1 bit), or turned 90/180 degrees, and wrapped
into a new PDF whose page size matches the scan's resolution.

Deterministic: fixed seeds, reportlab's invariant mode, no timestamps.

Usage: python3 Samples/generator/make_samples.py [--out Samples]
Needs: pip install -r Samples/generator/requirements.txt; pdftoppm (poppler-utils);
fonts-dejavu-core and fonts-liberation2.
"""
import argparse
import io
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageFilter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

SEED = 20261129
LETTER = (612.0, 792.0)

FONT_FILES = {
    "Sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "Sans-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "Arial": "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "Arial-Bold": "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "Times": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "Times-Bold": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
    "Mono": "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    "Mono-Bold": "/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf",
}
for _name, _path in FONT_FILES.items():
    pdfmetrics.registerFont(TTFont(_name, _path))


# MARK: - Layout: a page that remembers the text it draws


class Page:
    """One page laid out top-down; `lines` is the ground truth, in reading order."""

    def __init__(self, font="Arial", size=10.5, margin=54, pagesize=LETTER):
        self.font, self.size, self.margin = font, size, margin
        self.width, self.height = pagesize
        self.y = margin  # distance from the top edge to the next baseline's top
        self.ops = []  # drawing operations, replayed onto a reportlab canvas
        self.lines = []  # ground-truth text lines

    def bold(self):
        return self.font + "-Bold"

    def line(self, segments, font=None, size=None, gap=None, record=True):
        """Draw one baseline of text; segments are (x, text) pairs or a plain string."""
        font, size = font or self.font, size or self.size
        if isinstance(segments, str):
            segments = [(self.margin, segments)]
        self.y += size
        for x, text in segments:
            if x == "center":
                x = (self.width - pdfmetrics.stringWidth(text, font, size)) / 2
            elif x == "right":
                x = self.width - self.margin - pdfmetrics.stringWidth(text, font, size)
            self.ops.append(("text", x, self.y, text, font, size))
        if record:
            self.lines.append(" ".join(t for _, t in segments if t.strip()))
        self.y += (gap if gap is not None else size * 0.45)

    def title(self, text, size=14):
        self.line([("center", text)], font=self.bold(), size=size, gap=size * 0.6)

    def heading(self, text):
        self.space(4)
        self.line(text, font=self.bold(), size=self.size + 0.5)

    def pairs(self, rows, x2=320, label_font=None):
        """Label/value grid in one or two columns: rows of ((label, value), (label, value)?)."""
        for row in rows:
            segs = []
            for i, pair in enumerate(row):
                if pair is None:
                    continue
                x = self.margin if i == 0 else x2
                segs.append((x, f"{pair[0]} {pair[1]}"))
            self.line(segs)

    def paragraph(self, text, indent=0, width=None):
        width = width or (self.width - 2 * self.margin - indent)
        words, current = text.split(), ""
        for word in words:
            trial = f"{current} {word}".strip()
            if pdfmetrics.stringWidth(trial, self.font, self.size) > width and current:
                self.line([(self.margin + indent, current)])
                current = word
            else:
                current = trial
        if current:
            self.line([(self.margin + indent, current)])

    def rule(self, thickness=0.8):
        self.y += 2
        self.ops.append(("rule", self.margin, self.y, self.width - self.margin, self.y, thickness))
        self.y += 6

    def space(self, points):
        self.y += points

    def table(self, header, rows, widths, ruled=True, size=None, subheads=()):
        """A table: `rows` are lists of cell strings; a row that is a str is a panel sub-heading."""
        size = size or self.size - 0.5
        pad = 3.5
        row_h = size + 2 * pad + 2
        x0 = self.margin
        xs = [x0]
        for w in widths:
            xs.append(xs[-1] + w)
        top = self.y
        all_rows = [header] + list(rows)
        y = top
        for r, row in enumerate(all_rows):
            base = y + pad + size
            if isinstance(row, str):
                self.ops.append(("text", x0 + pad, base, row, self.bold(), size))
                self.lines.append(row)
            else:
                font = self.bold() if r == 0 else self.font
                for c, cell in enumerate(row):
                    if cell:
                        self.ops.append(("text", xs[c] + pad, base, cell, font, size))
                self.lines.append(" ".join(c for c in row if c))
            if ruled:
                self.ops.append(("rule", x0, y, xs[-1], y, 0.7))
            elif r == 1:
                pass
            y += row_h
        if ruled:
            self.ops.append(("rule", x0, y, xs[-1], y, 0.7))
            for x in xs:
                self.ops.append(("rule", x, top, x, y, 0.7))
        else:
            self.ops.append(("rule", x0, top + row_h - 1, xs[-1], top + row_h - 1, 0.6))
        self.y = y + 8

    def footer(self, left, right=None, size=8.5):
        """Running footer at the bottom margin (recorded last: it is read last)."""
        y = self.height - self.margin * 0.6
        self.ops.append(("text", self.margin, y, left, self.font, size))
        segs = [left]
        if right:
            x = self.width - self.margin - pdfmetrics.stringWidth(right, self.font, size)
            self.ops.append(("text", x, y, right, self.font, size))
            segs.append(right)
        self.lines.append(" ".join(segs))

    def header(self, left, right=None, size=8.5):
        """Running header above the top margin (recorded first)."""
        y = self.margin * 0.55
        self.ops.append(("text", self.margin, y, left, self.font, size))
        segs = [left]
        if right:
            x = self.width - self.margin - pdfmetrics.stringWidth(right, self.font, size)
            self.ops.append(("text", x, y, right, self.font, size))
            segs.append(right)
        self.lines.insert(0, " ".join(segs))

    def draw(self, c):
        c.setPageSize((self.width, self.height))
        for op in self.ops:
            if op[0] == "text":
                _, x, y, text, font, size = op
                c.setFont(font, size)
                c.drawString(x, self.height - y, text)
            else:
                _, x1, y1, x2, y2, t = op
                c.setLineWidth(t)
                c.line(x1, self.height - y1, x2, self.height - y2)
        c.showPage()

    def text(self):
        return "\n".join(self.lines)


def blank_page():
    return Page()


def write_pdf(pages, path):
    c = canvas.Canvas(path, pagesize=LETTER, invariant=1, pageCompression=1)
    c.setTitle("Synthetic sample chart")
    c.setAuthor("Chartex sample generator")
    c.setCreator("Chartex sample generator")
    for page in pages:
        page.draw(c)
    c.save()


# MARK: - Scanning: rasterise and degrade


def rasterise(pdf_path, page_number, dpi_x, dpi_y=None):
    """pdftoppm one page to an 8-bit grey PIL image at dpi_x x dpi_y."""
    dpi_y = dpi_y or dpi_x
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "p")
        subprocess.run(["pdftoppm", "-gray", "-rx", str(dpi_x), "-ry", str(dpi_y),
                        "-f", str(page_number), "-l", str(page_number), "-png", pdf_path, out],
                       check=True)
        name = [f for f in os.listdir(tmp) if f.endswith(".png")][0]
        return Image.open(os.path.join(tmp, name)).convert("L").copy()


def scan_grey(img, rng, skew=0.0, paper=238, noise=7.0, blur=0.55, specks=250):
    """Photocopy/scan look: toner spread, paper tone, sensor noise, dust, skew."""
    img = img.filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(img, dtype=np.float32) / 255.0
    ink = 28 + rng.normal(0, 4)
    a = ink + (paper - ink) * a
    # uneven illumination: a gentle gradient across the sheet
    h, w = a.shape
    gx = np.linspace(-1, 1, w)[None, :]
    gy = np.linspace(-1, 1, h)[:, None]
    a += 6 * gx + 4 * gy
    a += rng.normal(0, noise, a.shape)
    for _ in range(specks):
        y, x = rng.integers(0, h - 3), rng.integers(0, w - 3)
        a[y:y + rng.integers(1, 3), x:x + rng.integers(1, 3)] = rng.uniform(40, 140)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if skew:
        img = img.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=paper)
    return img


def scan_fax(img, rng, skew=0.0):
    """Fax look: 1 bit, threshold noise, a little skew and dropout."""
    a = np.asarray(img.filter(ImageFilter.GaussianBlur(0.4)), dtype=np.float32)
    a += rng.normal(0, 18, a.shape)
    bw = Image.fromarray(np.where(a < 150, 0, 255).astype(np.uint8), "L")
    if skew:
        bw = bw.rotate(skew, resample=Image.NEAREST, expand=False, fillcolor=255)
    return bw.convert("1")


def image_pdf(images, path):
    """One page per (PIL image, dpi_x, dpi_y, jpeg_quality or None for lossless)."""
    c = canvas.Canvas(path, invariant=1, pageCompression=1)
    c.setTitle("Scanned document")
    c.setCreator("Chartex sample generator (simulated scanner)")
    for img, dpi_x, dpi_y, quality in images:
        w_pt, h_pt = img.width * 72.0 / dpi_x, img.height * 72.0 / dpi_y
        c.setPageSize((w_pt, h_pt))
        buf = io.BytesIO()
        if quality:
            img.save(buf, "JPEG", quality=quality, optimize=True)
        else:
            img.save(buf, "PNG", optimize=True)
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, width=w_pt, height=h_pt)
        c.showPage()
    c.save()


# MARK: - Chart content (all invented)


def med(name, dose, unit, route, frequency, status="active", text=None, prn=None):
    d = {"name": name, "dose": dose, "unit": unit, "route": route, "frequency": frequency,
         "status": status}
    if prn:
        d["prn"] = prn
    d["text"] = text
    return d


def lab(name, value, unit, ref, flag, date):
    """A lab fact; fields the report does not print are left out."""
    d = {"name": name, "value": value, "unit": unit, "referenceRange": ref, "flag": flag, "date": date}
    return {k: v for k, v in d.items() if v is not None}


def strip_text(items):
    return [{k: v for k, v in it.items() if k != "text"} for it in items]


def progress_note_gonzalez():
    p = Page(font="Arial", size=10.5)
    p.line([("center", "RIVERSIDE FAMILY MEDICINE")], font="Arial-Bold", size=15, gap=4)
    p.line([("center", "1200 River Road, Springfield, IL 62704  Tel (217) 555-0142  Fax (217) 555-0143")],
           size=9, gap=8)
    p.rule(1.2)
    p.title("PROGRESS NOTE")
    p.pairs([
        (("Patient:", "Gonzalez, Maria L."), ("MRN:", "00482913")),
        (("DOB:", "03/14/1958"), ("Sex:", "F")),
        (("Date of Service:", "Nov 2, 2026"), ("Provider:", "James Whitfield, MD")),
        (("Visit Type:", "Follow-up"), ("Location:", "Clinic Room 4")),
    ])
    p.rule()
    p.line([(p.margin, "Chief Complaint: Follow-up of diabetes and hypertension.")])
    p.heading("History of Present Illness:")
    p.paragraph("68 y/o female with type 2 diabetes mellitus and essential hypertension returns for "
                "3-month follow-up. Reports good adherence to medications. Denies chest pain, "
                "polyuria or vision changes. Home glucose readings 110-150 mg/dL.")
    p.line("Allergies: Penicillin (hives); Sulfa drugs (rash)")
    p.heading("Vitals:")
    p.line([(p.margin, "BP 142/88 mmHg"), (170, "HR 78 bpm"), (260, "Temp 98.4 F"),
            (360, "Wt 82.1 kg"), (460, "SpO2 97%")])
    meds = [
        med("Metformin", 1000, "mg", "PO", "BID", text="1. Metformin 1000 mg PO BID"),
        med("Lisinopril", 40, "mg", "PO", "daily", status="active",
            text="2. Lisinopril 20 mg PO daily"),
        med("Atorvastatin", 40, "mg", "PO", "QHS", text="3. Atorvastatin 40 mg PO QHS"),
        med("Aspirin", 81, "mg", "PO", "daily", text="4. Aspirin 81 mg PO daily"),
    ]
    p.heading("Current Medications:")
    for m in meds:
        p.line([(p.margin + 12, m["text"])])
    p.heading("Recent Labs (10/28/2026):")
    p.line([(p.margin + 12, "HbA1c 7.8 % (H)"), (190, "Creatinine 1.12 mg/dL"), (340, "LDL 96 mg/dL")])
    p.heading("Assessment and Plan:")
    p.paragraph("1. Type 2 diabetes mellitus - suboptimal control. Metformin at maximum dose; "
                "start Empagliflozin 10 mg PO daily.", indent=12)
    p.paragraph("2. Essential hypertension - above goal. Increase Lisinopril to 40 mg PO daily.",
                indent=12)
    p.paragraph("3. Hyperlipidemia - continue atorvastatin.", indent=12)
    p.line("Return in 3 months or sooner if needed.")
    p.space(10)
    p.line("Electronically signed by James Whitfield, MD on 11/02/2026 16:42", size=9.5)
    p.footer("Riverside Family Medicine - CONFIDENTIAL", "Page 1 of 1")
    meds[0].pop("text")
    facts = {
        "patient": {"name": "Maria L. Gonzalez", "birthDate": "1958-03-14", "sex": "female",
                    "mrn": "00482913"},
        "encounters": [{"date": "2026-11-02", "type": "office visit (follow-up)",
                        "provider": "James Whitfield, MD", "facility": "Riverside Family Medicine"}],
        "problems": [
            {"name": "Type 2 diabetes mellitus", "status": "active"},
            {"name": "Essential hypertension", "status": "active"},
            {"name": "Hyperlipidemia", "status": "active"},
        ],
        "medications": strip_text(meds) + [
            {"name": "Empagliflozin", "dose": 10, "unit": "mg", "route": "PO",
             "frequency": "daily", "status": "new"}],
        "allergies": [{"substance": "Penicillin", "reaction": "hives"},
                      {"substance": "Sulfa drugs", "reaction": "rash"}],
        "vitals": [
            {"name": "blood pressure", "value": "142/88", "unit": "mmHg", "date": "2026-11-02"},
            {"name": "heart rate", "value": 78, "unit": "bpm", "date": "2026-11-02"},
            {"name": "temperature", "value": 98.4, "unit": "F", "date": "2026-11-02"},
            {"name": "weight", "value": 82.1, "unit": "kg", "date": "2026-11-02"},
            {"name": "oxygen saturation", "value": 97, "unit": "%", "date": "2026-11-02"},
        ],
        "labs": [
            lab("HbA1c", 7.8, "%", None, "H", "2026-10-28"),
            lab("Creatinine", 1.12, "mg/dL", None, None, "2026-10-28"),
            lab("LDL", 96, "mg/dL", None, None, "2026-10-28"),
        ],
        "immunizations": [],
    }
    return [p], facts


def lab_report_okafor():
    p = Page(font="Arial", size=10)
    p.line([(p.margin, "MIDSTATE CLINICAL LABORATORIES")], font="Arial-Bold", size=14, gap=3)
    p.line([(p.margin, "4410 Commerce Pkwy, Decatur, IL 62526"), ("right", "CLIA 14D0987654")],
           size=8.5, gap=6)
    p.rule(1.5)
    p.title("LABORATORY REPORT", size=13)
    p.pairs([
        (("Patient Name:", "OKAFOR, DANIEL C"), ("Patient ID (MRN):", "7731-0045")),
        (("Date of Birth:", "1971-07-22"), ("Sex:", "Male")),
        (("Ordering Physician:", "Priya Raman, MD"), ("Collected:", "04-MAR-2026 07:45")),
        (("Specimen:", "Serum, fasting"), ("Reported:", "05-MAR-2026 14:30")),
    ], x2=330)
    p.space(6)
    date = "2026-03-04"
    rows, labs = [], []
    panels = [
        ("COMPREHENSIVE METABOLIC PANEL", [
            ("Glucose", "126", "H", "mg/dL", "70-99"),
            ("BUN", "18", "", "mg/dL", "7-20"),
            ("Creatinine", "1.38", "H", "mg/dL", "0.74-1.35"),
            ("eGFR", "58", "L", "mL/min/1.73m2", ">=60"),
            ("Sodium", "139", "", "mmol/L", "136-145"),
            ("Potassium", "4.6", "", "mmol/L", "3.5-5.1"),
            ("Chloride", "101", "", "mmol/L", "98-107"),
            ("CO2", "24", "", "mmol/L", "22-29"),
            ("Calcium", "9.4", "", "mg/dL", "8.6-10.3"),
        ]),
        ("LIPID PANEL", [
            ("Total Cholesterol", "212", "H", "mg/dL", "<200"),
            ("HDL Cholesterol", "38", "L", "mg/dL", ">=40"),
            ("LDL Cholesterol (calc)", "141", "H", "mg/dL", "<100"),
            ("Triglycerides", "165", "H", "mg/dL", "<150"),
        ]),
        ("HEMATOLOGY", [
            ("WBC", "7.2", "", "x10^3/uL", "4.0-11.0"),
            ("Hemoglobin", "13.1", "L", "g/dL", "13.2-16.6"),
            ("Platelets", "245", "", "x10^3/uL", "150-400"),
        ]),
    ]
    for panel, tests in panels:
        rows.append(panel)
        for name, value, flag, unit, ref in tests:
            rows.append([name, value, flag, unit, ref])
            labs.append(lab(name, float(value) if "." in value else int(value), unit, ref,
                            flag or None, date))
    p.table(["Test", "Result", "Flag", "Units", "Reference Range"], rows,
            [170, 70, 50, 110, 104])
    p.line("Comments: Fasting specimen. eGFR calculated with the CKD-EPI 2021 equation.", size=9)
    p.space(8)
    p.line("Verified by: L. Montgomery, MT(ASCP)", size=9)
    p.footer("Final Report - Printed 03/05/2026", "Page 1 of 1")
    facts = {
        "patient": {"name": "Daniel C. Okafor", "birthDate": "1971-07-22", "sex": "male",
                    "mrn": "7731-0045"},
        "encounters": [{"date": "2026-03-04", "type": "laboratory", "provider": "Priya Raman, MD",
                        "facility": "Midstate Clinical Laboratories"}],
        "problems": [], "medications": [], "allergies": [], "vitals": [],
        "labs": labs, "immunizations": [],
    }
    return [p], facts


def med_list_brennan():
    p = Page(font="Mono", size=11, margin=50)
    p.line([(20, "03/11/2026 09:14  FROM: LAKEVIEW INTERNAL MEDICINE (217) 555-0199"),
            ("right", "P.001/001")], size=9, gap=14)
    p.line([("center", "LAKEVIEW INTERNAL MEDICINE")], font="Mono-Bold", size=13, gap=3)
    p.line([("center", "88 Shore Drive, Lakeview, IL 62999")], size=10, gap=10)
    p.title("MEDICATION LIST", size=13)
    p.pairs([
        (("Patient:", "Harold J. Brennan"), ("DOB:", "9/5/44")),
        (("MRN:", "LIM-220871"), ("Sex:", "M")),
        (("Date:", "3/10/2026"), ("Allergies:", "NKDA")),
    ], x2=330)
    p.rule()
    meds = [
        med("Warfarin", 5, "mg", "PO", "daily", text="Warfarin 5 mg PO daily at 1700"),
        med("Metoprolol succinate", 50, "mg", "PO", "daily",
            text="Metoprolol succinate ER 50 mg PO daily"),
        med("Furosemide", 40, "mg", "PO", "BID", text="Furosemide 40 mg PO BID"),
        med("Potassium chloride", 20, "mEq", "PO", "daily",
            text="Potassium chloride 20 mEq PO daily"),
        med("Atorvastatin", 80, "mg", "PO", "QHS", text="Atorvastatin 80 mg PO QHS"),
        med("Tiotropium", 18, "mcg", "inhaled", "daily", text="Tiotropium 18 mcg inhaled daily"),
        med("Albuterol HFA", 90, "mcg/puff", "inhaled", "Q4H PRN", prn="wheezing",
            text="Albuterol HFA 90 mcg/puff 2 puffs Q4H PRN wheezing"),
        med("Digoxin", 0.125, "mg", "PO", "daily", status="discontinued",
            text="Digoxin 0.125 mg PO daily"),
    ]
    p.line([(p.margin, "MEDICATION / SIG"), (430, "STATUS")], font="Mono-Bold")
    for m in meds:
        status = "D/C 02/2026" if m["status"] == "discontinued" else "Active"
        p.line([(p.margin, m["text"]), (430, status)])
    p.rule()
    p.line("Reviewed with patient and daughter. No OTC or herbal products.")
    p.space(10)
    p.line("Reviewed by: K. Patel, PharmD  Date: 03/10/2026")
    p.footer("CONFIDENTIAL HEALTH INFORMATION - if received in error call (217) 555-0199")
    facts = {
        "patient": {"name": "Harold J. Brennan", "birthDate": "1944-09-05", "sex": "male",
                    "mrn": "LIM-220871"},
        "encounters": [{"date": "2026-03-10", "type": "medication review",
                        "provider": "K. Patel, PharmD", "facility": "Lakeview Internal Medicine"}],
        "problems": [], "medications": strip_text(meds),
        "allergies": [{"substance": "NKDA", "noKnownAllergies": True}],
        "vitals": [], "labs": [], "immunizations": [],
    }
    return [p], facts


def discharge_summary_park():
    head = ("St. Brigid Regional Hospital", "PARK, EVELYN R - MRN SB-5520193")
    p1 = Page(font="Times", size=11)
    p1.header(*head)
    p1.line([("center", "ST. BRIGID REGIONAL HOSPITAL")], font="Times-Bold", size=16, gap=3)
    p1.line([("center", "500 Cathedral Ave, Peoria, IL 61602")], size=9.5, gap=8)
    p1.title("DISCHARGE SUMMARY", size=14)
    p1.pairs([
        (("Patient:", "Evelyn R. Park"), ("MRN:", "SB-5520193")),
        (("DOB:", "12/01/1949"), ("Sex:", "Female")),
        (("Admission Date:", "10/18/2026"), ("Discharge Date:", "10/23/2026")),
        (("Attending:", "Marcus Lee, MD"), ("Service:", "Internal Medicine")),
    ], x2=320)
    p1.rule()
    p1.heading("Admitting Diagnosis:")
    p1.line([(p1.margin + 12, "Community-acquired pneumonia")])
    p1.heading("Discharge Diagnoses:")
    for d in ["1. Community-acquired pneumonia, right lower lobe - resolved",
              "2. COPD with acute exacerbation - improved",
              "3. Atrial fibrillation, rate controlled"]:
        p1.line([(p1.margin + 12, d)])
    p1.heading("Allergies:")
    p1.line([(p1.margin + 12, "Codeine (nausea)")])
    p1.heading("Hospital Course:")
    p1.paragraph("76-year-old woman with COPD and atrial fibrillation admitted with fever, productive "
                 "cough and hypoxia. Chest X-ray showed right lower lobe consolidation. Treated with "
                 "IV ceftriaxone and azithromycin, nebulised bronchodilators and prednisone. Fever "
                 "resolved on hospital day 2 and oxygen was weaned to room air by day 4. Heart rate "
                 "remained controlled on home diltiazem. Apixaban was continued throughout.")
    p1.heading("Vitals at Discharge:")
    p1.line([(p1.margin + 12, "BP 128/76 mmHg, HR 72, RR 16, Temp 98.2 F, SpO2 94% on room air")])
    p1.heading("Pertinent Laboratory Results:")
    p1.table(["Test", "10/18/2026", "10/22/2026", "Units", "Reference"], [
        ["WBC", "14.8 H", "8.1", "x10^3/uL", "4.0-11.0"],
        ["Hemoglobin", "11.9 L", "11.6 L", "g/dL", "12.0-15.5"],
        ["Creatinine", "1.05", "0.92", "mg/dL", "0.57-1.00"],
        ["CRP", "148 H", "22 H", "mg/L", "<10"],
    ], [130, 80, 80, 90, 100], ruled=False)
    p1.footer("Discharge Summary - Park, Evelyn R", "Page 1 of 2")

    p2 = Page(font="Times", size=11)
    p2.header(*head)
    meds = [
        med("Amoxicillin-clavulanate", "875-125", "mg", "PO", "BID", status="new",
            text="Amoxicillin-clavulanate 875-125 mg PO BID x 3 days (NEW)"),
        med("Prednisone", 40, "mg", "PO", "daily", status="new",
            text="Prednisone 40 mg PO daily x 2 days (NEW)"),
        med("Apixaban", 5, "mg", "PO", "BID", text="Apixaban 5 mg PO BID (continue)"),
        med("Diltiazem ER", 180, "mg", "PO", "daily", text="Diltiazem ER 180 mg PO daily (continue)"),
        med("Tiotropium", 18, "mcg", "inhaled", "daily",
            text="Tiotropium 18 mcg inhaled daily (continue)"),
        med("Albuterol", 2.5, "mg", "nebulized", "Q6H PRN", prn="shortness of breath",
            text="Albuterol 2.5 mg nebulized Q6H PRN shortness of breath (continue)"),
    ]
    p2.heading("Discharge Medications:")
    for m in meds:
        p2.line([(p2.margin + 12, "- " + m["text"])])
    p2.heading("Stopped Medications:")
    p2.line([(p2.margin + 12, "- Azithromycin 250 mg PO daily (course completed)")])
    p2.heading("Follow-up:")
    p2.paragraph("Primary care with Dr. Anna Cho within 7 days. Repeat chest X-ray in 6 weeks. "
                 "Return to the emergency department for fever, worsening dyspnea or chest pain.",
                 indent=12)
    p2.heading("Condition at Discharge:")
    p2.line([(p2.margin + 12, "Stable. Discharged home with daughter.")])
    p2.space(24)
    p2.line("Marcus Lee, MD - Internal Medicine")
    p2.line("Dictated 10/23/2026 11:05; transcribed 10/23/2026 13:40", size=9.5)
    p2.footer("Discharge Summary - Park, Evelyn R", "Page 2 of 2")
    d1, d2 = "2026-10-18", "2026-10-22"
    facts = {
        "patient": {"name": "Evelyn R. Park", "birthDate": "1949-12-01", "sex": "female",
                    "mrn": "SB-5520193"},
        "encounters": [{"date": "2026-10-18", "endDate": "2026-10-23", "type": "inpatient admission",
                        "provider": "Marcus Lee, MD", "facility": "St. Brigid Regional Hospital"}],
        "problems": [
            {"name": "Community-acquired pneumonia, right lower lobe", "status": "resolved"},
            {"name": "COPD with acute exacerbation", "status": "active"},
            {"name": "Atrial fibrillation", "status": "active"},
        ],
        "medications": strip_text(meds) + [
            {"name": "Azithromycin", "dose": 250, "unit": "mg", "route": "PO", "frequency": "daily",
             "status": "discontinued"}],
        "allergies": [{"substance": "Codeine", "reaction": "nausea"}],
        "vitals": [
            {"name": "blood pressure", "value": "128/76", "unit": "mmHg", "date": "2026-10-23"},
            {"name": "heart rate", "value": 72, "unit": "bpm", "date": "2026-10-23"},
            {"name": "respiratory rate", "value": 16, "unit": "/min", "date": "2026-10-23"},
            {"name": "temperature", "value": 98.2, "unit": "F", "date": "2026-10-23"},
            {"name": "oxygen saturation", "value": 94, "unit": "%", "date": "2026-10-23"},
        ],
        "labs": [
            lab("WBC", 14.8, "x10^3/uL", "4.0-11.0", "H", d1), lab("WBC", 8.1, "x10^3/uL", "4.0-11.0", None, d2),
            lab("Hemoglobin", 11.9, "g/dL", "12.0-15.5", "L", d1),
            lab("Hemoglobin", 11.6, "g/dL", "12.0-15.5", "L", d2),
            lab("Creatinine", 1.05, "mg/dL", "0.57-1.00", "H", d1),
            lab("Creatinine", 0.92, "mg/dL", "0.57-1.00", None, d2),
            lab("CRP", 148, "mg/L", "<10", "H", d1), lab("CRP", 22, "mg/L", "<10", "H", d2),
        ],
        "immunizations": [],
    }
    # The printed report omits the H flag on the admission creatinine: the expected fact
    # carries what the reference range implies, which is what a checker should derive.
    return [p1, p2], facts


def referral_reilly():
    p1 = Page(font="Times", size=11.5, margin=60)
    p1.line([(p1.margin, "NORTHGATE INTERNAL MEDICINE")], font="Times-Bold", size=15, gap=2)
    p1.line([(p1.margin, "310 Northgate Blvd, Suite 2, Champaign, IL 61820 - (217) 555-0175")],
            size=9.5, gap=16)
    p1.line("January 12, 2026", gap=12)
    p1.line("Dr. Kenji Sato")
    p1.line("Prairie Heart Institute, Cardiology")
    p1.line("Urbana, IL 61801", gap=12)
    p1.line("RE: Thomas A. Reilly  DOB: 1962-11-30  MRN: NG-88412", font="Times-Bold")
    p1.space(6)
    p1.line("Dear Dr. Sato,", gap=8)
    p1.paragraph("I am referring Mr. Reilly, a 63-year-old man, for evaluation of exertional chest "
                 "pressure for the past six weeks. Symptoms occur after climbing two flights of "
                 "stairs and resolve with rest within five minutes. He has no symptoms at rest.")
    p1.space(4)
    p1.line("Problems: Hypertension; Hyperlipidemia; Former smoker (quit 2015)")
    p1.line("Medications: Amlodipine 10 mg PO daily; Rosuvastatin 20 mg PO QHS")
    p1.line("Allergies: Latex (contact dermatitis)")
    p1.line("Vitals (01/08/2026): BP 148/92, HR 84, Wt 96 kg")
    p1.space(4)
    p1.paragraph("Results of his recent work-up are summarised on the next page. Thank you for "
                 "seeing him; please do not hesitate to call me with any questions.")
    p1.footer("Northgate Internal Medicine - Referral", "Page 1 of 2")

    p2 = Page(font="Times", size=11.5, margin=60)
    p2.line("RE: Thomas A. Reilly  DOB: 11/30/1962", font="Times-Bold", gap=10)
    p2.heading("Recent Results")
    p2.line("Troponin I <0.01 ng/mL (ref <0.04) on 01/08/2026")
    p2.line("Total cholesterol 231 mg/dL (H) on 01/08/2026")
    p2.line("ECG 01/08/2026: normal sinus rhythm, rate 82, no acute ST changes.")
    p2.heading("Immunizations")
    p2.line("Influenza vaccine 10/15/2025; Tdap 06/02/2021")
    p2.space(20)
    p2.line("Sincerely,", gap=20)
    p2.line("Rachel Ostrowski, MD")
    p2.line("Northgate Internal Medicine")
    p2.footer("Northgate Internal Medicine - Referral", "Page 2 of 2")
    facts = {
        "patient": {"name": "Thomas A. Reilly", "birthDate": "1962-11-30", "sex": "male",
                    "mrn": "NG-88412"},
        "encounters": [{"date": "2026-01-12", "type": "referral", "provider": "Rachel Ostrowski, MD",
                        "facility": "Northgate Internal Medicine"}],
        "problems": [{"name": "Hypertension", "status": "active"},
                     {"name": "Hyperlipidemia", "status": "active"},
                     {"name": "Former smoker", "status": "resolved"}],
        "medications": [
            {"name": "Amlodipine", "dose": 10, "unit": "mg", "route": "PO", "frequency": "daily",
             "status": "active"},
            {"name": "Rosuvastatin", "dose": 20, "unit": "mg", "route": "PO", "frequency": "QHS",
             "status": "active"}],
        "allergies": [{"substance": "Latex", "reaction": "contact dermatitis"}],
        "vitals": [
            {"name": "blood pressure", "value": "148/92", "unit": "mmHg", "date": "2026-01-08"},
            {"name": "heart rate", "value": 84, "unit": "bpm", "date": "2026-01-08"},
            {"name": "weight", "value": 96, "unit": "kg", "date": "2026-01-08"}],
        "labs": [lab("Troponin I", "<0.01", "ng/mL", "<0.04", None, "2026-01-08"),
                 lab("Total cholesterol", 231, "mg/dL", None, "H", "2026-01-08")],
        "immunizations": [{"vaccine": "Influenza", "date": "2025-10-15"},
                          {"vaccine": "Tdap", "date": "2021-06-02"}],
    }
    return [p1, p2], facts


def packet_nguyen():
    name, mrn = "NGUYEN, ROBERT T", "5583107"

    def page(n, font="Arial", size=10.5):
        p = Page(font=font, size=size)
        p.header(f"Greenfield Medical Group | {name} | MRN {mrn}", f"Printed 10/01/2026 Page {n} of 7")
        return p

    # 1. Face sheet
    p1 = page(1)
    p1.line([("center", "GREENFIELD MEDICAL GROUP")], font="Arial-Bold", size=15, gap=4)
    p1.title("PATIENT FACE SHEET", size=13)
    p1.pairs([
        (("Name:", "Robert T. Nguyen"), ("MRN:", mrn)),
        (("Date of Birth:", "06/30/1980"), ("Sex:", "Male")),
        (("Address:", "742 Elm Street"), ("City/State:", "Greenfield, IL 62044")),
        (("Phone:", "(217) 555-0188"), ("Language:", "English")),
        (("Insurance:", "Prairie Health Plan"), ("Member ID:", "PHP-449201")),
        (("PCP:", "Sandra Kim, MD"), ("Registered:", "2019-02-11")),
    ], x2=320)
    p1.rule()
    p1.heading("Emergency Contact")
    p1.line("Linh Nguyen (spouse) (217) 555-0189")
    p1.heading("Problem List")
    for t in ["Moderate persistent asthma - active (onset 1995)",
              "Hypothyroidism - active (onset 2018)",
              "Seasonal allergic rhinitis - active",
              "Appendectomy - resolved (2004)"]:
        p1.line([(p1.margin + 12, t)])
    p1.heading("Allergies")
    p1.line([(p1.margin + 12, "Amoxicillin - rash (moderate)")])
    p1.line([(p1.margin + 12, "Peanuts - anaphylaxis (severe)")])
    p1.footer("Greenfield Medical Group - CONFIDENTIAL", "Face Sheet")

    # 2. Progress note
    p2 = page(2)
    p2.line([("center", "GREENFIELD MEDICAL GROUP")], font="Arial-Bold", size=14, gap=4)
    p2.title("OFFICE VISIT NOTE", size=12.5)
    p2.pairs([
        (("Patient:", "Robert T. Nguyen"), ("MRN:", mrn)),
        (("DOB:", "6/30/1980"), ("Visit Date:", "08/14/2026")),
        (("Provider:", "Sandra Kim, MD"), ("Visit Type:", "Sick visit")),
    ], x2=320)
    p2.rule()
    p2.line("CC: Cough and wheezing for 5 days.")
    p2.heading("HPI")
    p2.paragraph("46 yo M with moderate persistent asthma presents with 5 days of cough, wheeze and "
                 "night-time symptoms after a viral URI. Using albuterol 3-4 times a day. No fever. "
                 "Adherent to Symbicort.")
    p2.heading("Vitals")
    p2.line([(p2.margin, "BP 124/78"), (140, "P 96"), (210, "RR 20"), (280, "T 99.1 F"),
             (360, "SpO2 95% RA"), (460, "Wt 78 kg")])
    p2.heading("Exam")
    p2.paragraph("Mild expiratory wheeze bilaterally, no accessory muscle use. Peak flow 380 L/min "
                 "(personal best 520).")
    p2.heading("Assessment / Plan")
    p2.paragraph("1. Asthma exacerbation, mild - prednisone 40 mg PO daily x 5 days; continue "
                 "Symbicort 160/4.5 2 puffs BID; albuterol PRN.", indent=12)
    p2.paragraph("2. Hypothyroidism - stable on levothyroxine; TSH ordered.", indent=12)
    p2.line("Follow up in 4-6 weeks.")
    p2.space(8)
    p2.line("Sandra Kim, MD 08/14/2026", size=9.5)
    p2.footer("Greenfield Medical Group - Office Visit", "Page 1 of 1")

    # 3. Lab report
    p3 = page(3)
    p3.line([(p3.margin, "GREENFIELD MEDICAL GROUP LABORATORY")], font="Arial-Bold", size=13, gap=3)
    p3.title("LAB RESULTS", size=12.5)
    p3.pairs([
        (("Patient:", "NGUYEN, ROBERT T"), ("MRN:", mrn)),
        (("DOB:", "1980-06-30"), ("Collected:", "Aug 10, 2026 08:05")),
        (("Ordered by:", "Sandra Kim, MD"), ("Status:", "Final")),
    ], x2=320)
    date = "2026-08-10"
    tests = [("TSH", "6.82", "H", "uIU/mL", "0.45-4.50"),
             ("Free T4", "0.9", "", "ng/dL", "0.8-1.8"),
             ("Hemoglobin A1c", "5.4", "", "%", "4.0-5.6"),
             ("WBC", "9.8", "", "x10^3/uL", "4.0-11.0"),
             ("Eosinophils", "7.5", "H", "%", "0.0-5.0"),
             ("Hemoglobin", "14.6", "", "g/dL", "13.2-16.6"),
             ("Platelets", "310", "", "x10^3/uL", "150-400")]
    p3.table(["Test Name", "Result", "Units", "Ref Range", "Flag"],
             [[t[0], t[1], t[3], t[4], t[2]] for t in tests], [150, 70, 90, 110, 50])
    p3.line("H = above reference range; L = below reference range.", size=9)
    p3.footer("Greenfield Medical Group Laboratory - CLIA 14D0112233", "Page 1 of 1")
    labs = [lab(t[0], float(t[1]) if "." in t[1] else int(t[1]), t[3], t[4], t[2] or None, date)
            for t in tests]

    # 4. Medication list
    p4 = page(4)
    p4.line([("center", "GREENFIELD MEDICAL GROUP")], font="Arial-Bold", size=14, gap=4)
    p4.title("CURRENT MEDICATION LIST", size=12.5)
    p4.pairs([(("Patient:", "Robert T. Nguyen"), ("DOB:", "06/30/1980")),
              (("Updated:", "14-AUG-2026"), ("Allergies:", "Amoxicillin, Peanuts"))], x2=320)
    meds = [
        med("Budesonide-formoterol (Symbicort)", "160/4.5", "mcg", "inhaled", "BID",
            text=["Budesonide-formoterol (Symbicort)", "160/4.5 mcg", "2 puffs inhaled", "BID", "Active"]),
        med("Albuterol HFA", 90, "mcg", "inhaled", "Q4-6H PRN", prn="wheeze",
            text=["Albuterol HFA", "90 mcg", "2 puffs inhaled", "Q4-6H PRN", "Active"]),
        med("Levothyroxine", 75, "mcg", "PO", "daily",
            text=["Levothyroxine", "75 mcg", "1 tab PO", "daily", "Active"]),
        med("Montelukast", 10, "mg", "PO", "QHS",
            text=["Montelukast", "10 mg", "1 tab PO", "QHS", "Active"]),
        med("Cetirizine", 10, "mg", "PO", "daily",
            text=["Cetirizine", "10 mg", "1 tab PO", "daily", "Active"]),
        med("Prednisone", 40, "mg", "PO", "daily", status="active",
            text=["Prednisone", "40 mg", "1 tab PO", "daily x 5 days", "Active"]),
        med("Fluticasone nasal", 50, "mcg", "intranasal", "daily", status="discontinued",
            text=["Fluticasone nasal", "50 mcg", "1 spray each nostril", "daily", "Stopped"]),
    ]
    p4.table(["Medication", "Strength", "Dose/Route", "Frequency", "Status"],
             [m["text"] for m in meds], [180, 70, 120, 80, 54], ruled=True, size=9.5)
    p4.line("EpiPen 0.3 mg auto-injector on file for peanut allergy.")
    p4.footer("Greenfield Medical Group - Medication List", "Page 1 of 1")

    # 5. Immunization record
    p5 = page(5)
    p5.line([("center", "GREENFIELD MEDICAL GROUP")], font="Arial-Bold", size=14, gap=4)
    p5.title("IMMUNIZATION RECORD", size=12.5)
    p5.pairs([(("Patient:", "Robert T. Nguyen"), ("DOB:", "06/30/1980")),
              (("MRN:", mrn), ("Printed:", "10/01/2026"))], x2=320)
    imms = [("Influenza (IIV4)", "10/03/2025", "Left deltoid", "FL2025-118"),
            ("COVID-19 mRNA", "09/20/2025", "Right deltoid", "CV9932A"),
            ("Tdap", "05/14/2019", "Left deltoid", "TD55102"),
            ("Pneumococcal PPSV23", "02/11/2019", "Right deltoid", "PN23881"),
            ("Hepatitis B (dose 3)", "11/02/1999", "Left deltoid", "HB0093")]
    p5.table(["Vaccine", "Date Given", "Site", "Lot"], [list(i) for i in imms],
             [170, 100, 110, 100])
    p5.line("Next due: Influenza 2026-2027 season; Td booster 05/2029.")
    p5.footer("Greenfield Medical Group - Immunizations", "Page 1 of 1")

    # 6. Blank page (the back of a sheet, scanned)
    p6 = Page()

    # 7. Follow-up note
    p7 = page(7)
    p7.line([("center", "GREENFIELD MEDICAL GROUP")], font="Arial-Bold", size=14, gap=4)
    p7.title("OFFICE VISIT NOTE", size=12.5)
    p7.pairs([
        (("Patient:", "Robert T. Nguyen"), ("MRN:", mrn)),
        (("DOB:", "06/30/1980"), ("Visit Date:", "September 20, 2026")),
        (("Provider:", "Sandra Kim, MD"), ("Visit Type:", "Follow-up")),
    ], x2=320)
    p7.rule()
    p7.line("Follow-up of asthma exacerbation and abnormal TSH.")
    p7.heading("Interval History")
    p7.paragraph("Wheeze resolved after the prednisone course. Using albuterol about once a week. "
                 "Reports fatigue. TSH on 08/10/2026 was 6.82 (H).")
    p7.heading("Vitals")
    p7.line([(p7.margin, "BP 118/76"), (140, "P 72"), (210, "T 98.0 F"), (290, "SpO2 98%"),
             (380, "Wt 77.5 kg")])
    p7.heading("Plan")
    p7.paragraph("1. Asthma, moderate persistent - well controlled; continue Symbicort and "
                 "montelukast. Prednisone course completed.", indent=12)
    p7.paragraph("2. Hypothyroidism - increase levothyroxine to 88 mcg PO daily; repeat TSH in 6 "
                 "weeks.", indent=12)
    p7.line("Influenza vaccine offered; patient will receive it at the pharmacy.")
    p7.space(8)
    p7.line("Sandra Kim, MD 09/20/2026", size=9.5)
    p7.footer("Greenfield Medical Group - Office Visit", "Page 1 of 1")

    final_meds = strip_text(meds)
    for m in final_meds:
        if m["name"] == "Prednisone":
            m["status"] = "discontinued"
        if m["name"] == "Levothyroxine":
            m["dose"] = 88
    facts = {
        "patient": {"name": "Robert T. Nguyen", "birthDate": "1980-06-30", "sex": "male",
                    "mrn": mrn},
        "encounters": [
            {"date": "2026-08-14", "type": "office visit (sick visit)", "provider": "Sandra Kim, MD",
             "facility": "Greenfield Medical Group"},
            {"date": "2026-08-10", "type": "laboratory", "provider": "Sandra Kim, MD",
             "facility": "Greenfield Medical Group Laboratory"},
            {"date": "2026-09-20", "type": "office visit (follow-up)", "provider": "Sandra Kim, MD",
             "facility": "Greenfield Medical Group"}],
        "problems": [
            {"name": "Moderate persistent asthma", "status": "active", "onset": "1995"},
            {"name": "Hypothyroidism", "status": "active", "onset": "2018"},
            {"name": "Seasonal allergic rhinitis", "status": "active"},
            {"name": "Appendectomy", "status": "resolved", "onset": "2004"}],
        "medications": final_meds,
        "allergies": [{"substance": "Amoxicillin", "reaction": "rash", "severity": "moderate"},
                      {"substance": "Peanuts", "reaction": "anaphylaxis", "severity": "severe"}],
        "vitals": [
            {"name": "blood pressure", "value": "124/78", "unit": "mmHg", "date": "2026-08-14"},
            {"name": "heart rate", "value": 96, "unit": "bpm", "date": "2026-08-14"},
            {"name": "respiratory rate", "value": 20, "unit": "/min", "date": "2026-08-14"},
            {"name": "temperature", "value": 99.1, "unit": "F", "date": "2026-08-14"},
            {"name": "oxygen saturation", "value": 95, "unit": "%", "date": "2026-08-14"},
            {"name": "weight", "value": 78, "unit": "kg", "date": "2026-08-14"},
            {"name": "blood pressure", "value": "118/76", "unit": "mmHg", "date": "2026-09-20"},
            {"name": "heart rate", "value": 72, "unit": "bpm", "date": "2026-09-20"},
            {"name": "temperature", "value": 98.0, "unit": "F", "date": "2026-09-20"},
            {"name": "oxygen saturation", "value": 98, "unit": "%", "date": "2026-09-20"},
            {"name": "weight", "value": 77.5, "unit": "kg", "date": "2026-09-20"}],
        "labs": labs,
        "immunizations": [{"vaccine": i[0], "date": "-".join([i[1][6:], i[1][0:2], i[1][3:5]])}
                          for i in imms],
    }
    return [p1, p2, p3, p4, p5, p6, p7], facts


# MARK: - Assembly


def build(out_dir):
    rng = np.random.default_rng(SEED)
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="chartex-samples-")

    def source_pdf(pages, stem):
        path = os.path.join(tmp, stem + ".src.pdf")
        write_pdf(pages, path)
        return path

    def save(stem, description, pages, facts, scans):
        truth = {
            "file": stem + ".pdf",
            "description": description,
            "synthetic": True,
            "pages": [{"number": i + 1, "text": p.text(), **scans[i]} for i, p in enumerate(pages)],
            "facts": facts,
        }
        with open(os.path.join(out_dir, stem + ".expected.json"), "w") as f:
            json.dump(truth, f, indent=2, ensure_ascii=False)
            f.write("\n")

    # 1. Progress note, grey photocopy at 300 dpi, skewed 1.7 degrees.
    pages, facts = progress_note_gonzalez()
    src = source_pdf(pages, "progress-note")
    img = scan_grey(rasterise(src, 1, 300), rng, skew=1.7)
    image_pdf([(img, 300, 300, 55)], os.path.join(out_dir, "progress-note-grey-skewed.pdf"))
    save("progress-note-grey-skewed", "Progress note, greyscale scan at 300 dpi, skewed 1.7 degrees",
         pages, facts, [{"kind": "grey", "dpi": [300, 300], "skew": 1.7, "rotation": 0}])

    # 2. Lab report with a ruled table, grey scan at 200 dpi, skewed -1.1 degrees.
    pages, facts = lab_report_okafor()
    src = source_pdf(pages, "lab-report")
    img = scan_grey(rasterise(src, 1, 200), rng, skew=-1.1, blur=0.45, noise=6)
    image_pdf([(img, 200, 200, 60)], os.path.join(out_dir, "lab-report-200dpi.pdf"))
    save("lab-report-200dpi", "Lab report with a ruled table, greyscale scan at 200 dpi", pages,
         facts, [{"kind": "grey", "dpi": [200, 200], "skew": -1.1, "rotation": 0}])

    # 3. Medication list received by fax: 1 bit, 200 x 100 dpi ("standard" fax resolution).
    pages, facts = med_list_brennan()
    src = source_pdf(pages, "med-list")
    img = scan_fax(rasterise(src, 1, 200, 100), rng, skew=0.6)
    image_pdf([(img, 200, 100, None)], os.path.join(out_dir, "med-list-fax.pdf"))
    save("med-list-fax", "Medication list received by fax: 1-bit, 200x100 dpi", pages, facts,
         [{"kind": "fax", "dpi": [200, 100], "skew": 0.6, "rotation": 0}])

    # 4. Born-digital discharge summary: a real text layer, no images.
    pages, facts = discharge_summary_park()
    write_pdf(pages, os.path.join(out_dir, "discharge-summary-born-digital.pdf"))
    save("discharge-summary-born-digital", "Discharge summary, born-digital (text layer)", pages,
         facts, [{"kind": "textLayer", "rotation": 0, "skew": 0}] * 2)

    # 5. Referral letter scanned sideways (page 1 turned 90 degrees) and upside down (page 2).
    pages, facts = referral_reilly()
    src = source_pdf(pages, "referral")
    a = scan_grey(rasterise(src, 1, 300), rng, skew=0.4).rotate(90, expand=True)
    b = scan_grey(rasterise(src, 2, 300), rng, skew=-0.5).rotate(180, expand=True)
    image_pdf([(a, 300, 300, 55), (b, 300, 300, 55)], os.path.join(out_dir, "referral-rotated.pdf"))
    # `rotation`: degrees clockwise that turn the scanned image upright.
    save("referral-rotated", "Referral letter; page 1 scanned turned 90 degrees, page 2 upside down",
         pages, facts, [{"kind": "grey", "dpi": [300, 300], "skew": 0.4, "rotation": 90},
                        {"kind": "grey", "dpi": [300, 300], "skew": -0.5, "rotation": 180}])

    # 6. A 7-page packet for one patient, grey scans with varying skew; page 6 is blank.
    pages, facts = packet_nguyen()
    src = source_pdf(pages, "packet")
    skews = [0.8, -1.4, 2.3, -0.6, 1.2, 0.0, -2.1]
    scans, imgs = [], []
    for i, s in enumerate(skews):
        dpi = 200 if i == 2 else 300
        img = scan_grey(rasterise(src, i + 1, dpi), rng, skew=s, specks=400 if i == 5 else 250)
        imgs.append((img, dpi, dpi, 50))
        scans.append({"kind": "blank" if i == 5 else "grey", "dpi": [dpi, dpi], "skew": s,
                      "rotation": 0})
    image_pdf(imgs, os.path.join(out_dir, "packet-nguyen.pdf"))
    save("packet-nguyen", "Seven-page packet for one patient: face sheet, notes, labs, medication "
         "list, immunizations, one blank page", pages, facts, scans)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), ".."))
    build(os.path.abspath(ap.parse_args().out))
