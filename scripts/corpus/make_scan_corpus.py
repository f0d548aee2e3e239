#!/usr/bin/env python3
"""A deterministic corpus of degraded chart scans, split into dev and test (all content invented).

Each page is laid out as text with the sample generator's layout engine (which records the exact
text of every line: the ground truth), rasterised with Poppler and degraded the way records teams
receive paper:

  clean      a flatbed scan: light paper tone, sensor noise, a little blur;
  photocopy  grey, yellowed or unevenly lit paper, dark borders and lid shadows, punch holes,
             bleed-through, toner-thickened or faint strokes, speckle and salt-and-pepper noise;
  fax        1 bit at 200x100 or 200x200 dpi, a noisy threshold, streaks, the transmission header;
  phone      JPEG at a low quality (q30-60), uneven light, soft focus.

Every style gets stamps over text, skew and pages turned 0/90/180/270, plus blank pages with
speckle or bleed-through. The split is by seed *and* by parameter: the two splits draw from
disjoint, interleaved ranges (dpi, skew, JPEG quality, paper tone, fax noise, fonts), so tuning on
dev cannot fit the test pages. Only dev is for tuning.

Usage:
  make_scan_corpus.py --split dev|test --out DIR [--per-style N] [--formats]
  make_scan_corpus.py --split tests --out DIR      the small fixed subset the test suite uses

Writes DIR/<name>.pdf (one page each) and DIR/corpus.json: [{file, style, rotation, params,
text}] with the upright page's text lines. With --formats it also writes the image inputs
records teams receive: a multi-page CCITT G4 TIFF fax at 200x100 dpi, a PNG and a JPEG whose EXIF
orientation says it is turned.

Needs the sample generator's packages (Samples/generator/requirements.txt), pdftoppm and the
DejaVu and Liberation fonts.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Samples", "generator"))
import make_samples as gen  # noqa: E402  (layout engine, rasteriser, image PDF writer)

STYLES = ("clean", "photocopy", "fax", "phone")
ROTATIONS = (0, 90, 180, 270)

# Disjoint, interleaved parameter ranges per split. Each entry is a list of (low, high) ranges or a
# list of choices; a page draws one range, then a value inside it.
SPLITS = {
    "dev": {
        "seed": 1000,
        "dpi": [200, 300],
        "skew": [(0.0, 1.0), (2.0, 3.0)],
        "jpeg": [(45, 60)],
        "paper": [(200, 222)],
        "fax_noise": [(10, 16), (22, 26)],
        "fax_dpi": [(200, 200), (200, 100)],
        "fonts": [("Arial", 10.5), ("Times", 11.0), ("Mono", 9.5)],
        "toner": [(0.0, 0.3), (0.6, 0.8)],
    },
    "test": {
        "seed": 5000,
        "dpi": [150, 240],
        "skew": [(1.0, 2.0), (3.0, 4.0)],
        "jpeg": [(30, 44)],
        "paper": [(170, 199)],
        "fax_noise": [(16, 22), (26, 30)],
        "fax_dpi": [(200, 100), (200, 200)],
        "fonts": [("Sans", 10.0), ("Times", 12.0), ("Arial", 9.5)],
        "toner": [(0.3, 0.6), (0.8, 1.0)],
    },
}
SPLITS["tests"] = dict(SPLITS["test"], seed=9000)

FIRST = ["Amara", "Bogdan", "Chiara", "Dmitri", "Esperanza", "Farid", "Greta", "Hiroshi", "Ingrid",
         "Jamal", "Kalani", "Lucia", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Soren",
         "Tamsin", "Ulrich", "Valentina", "Wendell", "Ximena", "Yusuf", "Zofia"]
LAST = ["Abernathy", "Bergstrom", "Castellanos", "Dubois", "Eriksen", "Fairweather", "Gallagher",
        "Halvorsen", "Iwasaki", "Jankowski", "Kowalczyk", "Lindqvist", "Moreau", "Novak",
        "Oyelaran", "Petrov", "Quiroga", "Rasmussen", "Szabo", "Thorne", "Umarov", "Vasquez",
        "Whitfield", "Yamamoto", "Zielinski"]
PLACES = ["Lakeview", "Cedar Hollow", "Northgate", "Pinecrest", "Harbor Point", "Elm Ridge",
          "Stonebridge", "Westfield", "Maple Grove", "Summit Valley"]
KINDS = ["Internal Medicine", "Family Practice", "Cardiology Associates", "Community Health Center",
         "Regional Medical Center", "Pulmonary Clinic", "Renal Associates", "Women's Health"]
DRUGS = [("atorvastatin", "20 mg"), ("metoprolol succinate", "50 mg"), ("losartan", "50 mg"),
         ("levothyroxine", "75 mcg"), ("sertraline", "50 mg"), ("gabapentin", "300 mg"),
         ("pantoprazole", "40 mg"), ("furosemide", "20 mg"), ("tamsulosin", "0.4 mg"),
         ("apixaban", "5 mg"), ("insulin glargine", "18 units"), ("albuterol HFA", "2 puffs"),
         ("montelukast", "10 mg"), ("allopurinol", "100 mg"), ("warfarin", "2.5 mg")]
SIGS = ["by mouth once daily", "PO BID", "at bedtime", "twice daily with meals", "q8h PRN pain",
        "every morning", "PO TID", "subcutaneously nightly", "inhaled q4-6h PRN wheeze"]
LABS = [("Hemoglobin A1c", "%", (5.0, 11.0), "4.0-5.6"), ("Creatinine", "mg/dL", (0.6, 2.4), "0.6-1.3"),
        ("Potassium", "mmol/L", (3.1, 5.6), "3.5-5.1"), ("Sodium", "mmol/L", (129, 146), "135-145"),
        ("TSH", "mIU/L", (0.2, 7.5), "0.4-4.0"), ("Hemoglobin", "g/dL", (9.0, 16.5), "12.0-16.0"),
        ("Platelets", "K/uL", (120, 420), "150-400"), ("ALT", "U/L", (10, 95), "7-56"),
        ("LDL cholesterol", "mg/dL", (60, 190), "<100"), ("eGFR", "mL/min/1.73m2", (25, 100), ">60"),
        ("BUN", "mg/dL", (7, 40), "7-20"), ("Glucose", "mg/dL", (70, 260), "70-99")]
PROBLEMS = ["Type 2 diabetes mellitus without complications", "Essential hypertension",
            "Chronic kidney disease, stage 3a", "Hypothyroidism", "Major depressive disorder, recurrent",
            "Obstructive sleep apnea", "Gastroesophageal reflux disease", "Atrial fibrillation",
            "Osteoarthritis of right knee", "Hyperlipidemia", "Chronic obstructive pulmonary disease",
            "Benign prostatic hyperplasia", "Gout"]
SENTENCES = [
    "Patient reports improved energy since the last visit and denies chest pain or dyspnea.",
    "Blood pressure remains above goal on the current regimen; home readings were reviewed.",
    "We discussed diet, exercise and the importance of taking medications as prescribed.",
    "No new rashes, fevers or night sweats. Appetite is stable and weight is unchanged.",
    "Follow up in three months with fasting labs drawn one week before the appointment.",
    "The patient was counselled on hypoglycemia symptoms and how to treat a low reading.",
    "Lungs are clear to auscultation bilaterally without wheezes, rales or rhonchi.",
    "Heart has a regular rate and rhythm; no murmurs, rubs or gallops are heard.",
    "Extremities show trace pitting edema at both ankles, unchanged from prior exam.",
    "Referred to physical therapy for strengthening and gait training twice weekly.",
    "Reviewed outside records received by fax, including the most recent echocardiogram.",
    "Will recheck the basic metabolic panel after the dose change to monitor potassium.",
]


def pick(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


def draw_range(rng, ranges):
    low, high = pick(rng, ranges)
    return float(rng.uniform(low, high)) if high != low else float(low)


def a_date(rng):
    return f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(1, 29)):02d}/{int(rng.integers(2019, 2027))}"


def chart_page(rng, font, size):
    """One invented chart page mixing what charts hold: letterhead, label grid, prose, table."""
    p = gen.Page(font=font, size=size)
    clinic = f"{pick(rng, PLACES)} {pick(rng, KINDS)}"
    p.line([("center", clinic.upper())], font=p.bold(), size=size + 4, gap=4)
    p.line([("center", f"{int(rng.integers(100, 9999))} {pick(rng, LAST)} Avenue  "
                       f"Tel ({int(rng.integers(200, 990))}) 555-{int(rng.integers(1000, 9999))}")],
           size=size - 1.5, gap=8)
    p.rule(1.0)
    p.title(pick(rng, ["PROGRESS NOTE", "CLINIC VISIT", "FOLLOW-UP VISIT", "OFFICE NOTE",
                       "MEDICATION RECONCILIATION", "LABORATORY SUMMARY"]), size=size + 3)
    name = f"{pick(rng, LAST)}, {pick(rng, FIRST)}"
    p.pairs([(("Patient:", name), ("MRN:", f"{int(rng.integers(100000, 999999))}")),
             (("DOB:", a_date(rng)), ("Visit date:", a_date(rng))),
             (("Provider:", f"{pick(rng, FIRST)} {pick(rng, LAST)}, MD"), None)])
    p.space(4)
    blocks = ["prose", "meds", "labs", "problems"]
    rng.shuffle(blocks)
    for block in blocks[:3]:
        if block == "prose":
            p.heading(pick(rng, ["History of Present Illness", "Assessment", "Subjective", "Plan"]))
            chosen = rng.choice(len(SENTENCES), size=3, replace=False)
            p.paragraph(" ".join(SENTENCES[i] for i in chosen))
        elif block == "meds":
            p.heading("Current Medications")
            chosen = rng.choice(len(DRUGS), size=4, replace=False)
            for i in chosen:
                drug, dose = DRUGS[i]
                p.line(f"{drug} {dose} {pick(rng, SIGS)}")
        elif block == "labs":
            p.heading("Results")
            rows = []
            for i in rng.choice(len(LABS), size=4, replace=False):
                test, unit, (low, high), ref = LABS[i]
                value = rng.uniform(low, high)
                text = f"{value:.1f}" if high < 20 else f"{int(value)}"
                rows.append([test, text, unit, ref])
            p.table(["Test", "Result", "Units", "Reference"], rows, [170, 80, 110, 110],
                    ruled=bool(rng.integers(0, 2)))
        else:
            p.heading("Problem List")
            for i in rng.choice(len(PROBLEMS), size=3, replace=False):
                p.line(f"{PROBLEMS[i]}  (since {int(rng.integers(2005, 2025))})")
    p.footer(f"{name}  Page 1 of 1", f"Printed {a_date(rng)}")
    return p


# MARK: - Degradations


def stamp(img, rng, dpi):
    """A RECEIVED stamp in a box, partly over text, in grey (it prints as a stamp, not as text)."""
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", int(dpi * 0.22))
    label = f"RECEIVED {pick(rng, ['JAN', 'MAR', 'JUN', 'SEP', 'NOV'])} {int(rng.integers(1, 29))}"
    x, y = int(img.width * rng.uniform(0.45, 0.6)), int(img.height * rng.uniform(0.15, 0.7))
    box = draw.textbbox((x, y), label, font=font)
    tone = int(rng.uniform(120, 170))
    draw.rectangle((box[0] - 12, box[1] - 10, box[2] + 12, box[3] + 10), outline=tone, width=4)
    draw.text((x, y), label, fill=tone, font=font)
    return label


def paper_and_ink(a, ink, paper, rng, unevenness):
    a = ink + (paper - ink) * a
    h, w = a.shape
    gx = np.linspace(-1, 1, w)[None, :]
    gy = np.linspace(-1, 1, h)[:, None]
    a += unevenness * (rng.uniform(-1, 1) * gx + rng.uniform(-1, 1) * gy)
    return a


def degrade(img, style, rng, params, dpi, bleed):
    """Degrades the upright 8-bit page image; returns (image, jpeg quality or None)."""
    a = np.asarray(img, dtype=np.float32) / 255.0
    h, w = a.shape
    if style == "clean":
        a = np.asarray(img.filter(ImageFilter.GaussianBlur(0.4 * dpi / 300)), dtype=np.float32) / 255.0
        a = paper_and_ink(a, 25, 245, rng, 3) + rng.normal(0, 4, a.shape)
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), None
    if style == "photocopy":
        toner = params["toner"]
        # Toner spread is a physical width: a blur of 0.5-1.5 px at 300 dpi, scaled to the scan's
        # dpi; strokes thickened by one pixel only where a pixel is at most 1/200 in.
        base = img.filter(ImageFilter.MinFilter(3)) if toner > 0.7 and dpi >= 200 else img
        a = np.asarray(base.filter(ImageFilter.GaussianBlur((0.5 + toner) * dpi / 300)), dtype=np.float32) / 255.0
        ink = 25 + 70 * max(0.0, 0.4 - toner)  # faint toner when low
        a = paper_and_ink(a, ink, params["paper"], rng, 18)
        if bleed is not None:  # the back of the sheet showing through, mirrored
            back = np.asarray(bleed.transpose(Image.FLIP_LEFT_RIGHT).resize((w, h)), dtype=np.float32) / 255.0
            a -= (1 - back) * rng.uniform(25, 45)
        border = int(w * rng.uniform(0.01, 0.03))  # dark copier border on one or two sides
        a[:, :border] = rng.uniform(20, 60)
        a[-border // 2:, :] = np.minimum(a[-border // 2:, :], rng.uniform(40, 90))
        shadow = np.linspace(1, 0, int(w * 0.06))[None, :] * rng.uniform(40, 80)  # lid shadow
        a[:, border:border + shadow.shape[1]] -= shadow
        for cy in (0.2, 0.5, 0.8) if rng.integers(0, 2) else ():  # punch holes
            r = int(dpi * 0.14)
            yy, xx = np.ogrid[:h, :w]
            cx = int(w * 0.045) + border
            a[(yy - int(h * cy)) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(15, 40)
        a += rng.normal(0, 7, a.shape)
        salt = rng.random(a.shape)
        a[salt < 0.002] = 20
        a[salt > 0.998] = 250
        for _ in range(400):
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
            a[y:y + rng.integers(1, 4), x:x + rng.integers(1, 4)] = rng.uniform(30, 120)
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), None
    if style == "phone":
        a = np.asarray(img.filter(ImageFilter.GaussianBlur(0.9 * dpi / 300)), dtype=np.float32) / 255.0
        a = paper_and_ink(a, 45, params["paper"] + 15, rng, 30)
        yy, xx = np.ogrid[:h, :w]  # vignetting: darker corners
        a -= 35 * (((yy - h / 2) / h) ** 2 + ((xx - w / 2) / w) ** 2)
        a += rng.normal(0, 5, a.shape)
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), int(params["jpeg"])
    raise ValueError(style)


def fax_header(img, header):
    """The sending machine's transmission line across the top (drawn square, before resampling)."""
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
                              max(12, int(img.width * 0.014)))
    draw.text((int(img.width * 0.04), 4), header, fill=0, font=font)


def fax(img, rng, params):
    """1 bit with a noisy threshold, streaks and a dropout line; `img` is at the fax's dpi."""
    a = np.asarray(img.filter(ImageFilter.GaussianBlur(0.4)), dtype=np.float32)
    a += rng.normal(0, params["fax_noise"], a.shape)
    bw = np.where(a < 150, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(1, 4))):  # streaks from a dirty scanner head
        x = int(rng.integers(0, bw.shape[1]))
        bw[:, x:x + int(rng.integers(1, 3))] = 0
    if rng.integers(0, 2):
        y = int(rng.integers(bw.shape[0] // 3, bw.shape[0]))
        bw[y:y + 1, :] = 0
    return Image.fromarray(bw)


# MARK: - The corpus


def make_page(rng, split, style, rotation, index, work):
    params = {
        "dpi": int(pick(rng, split["dpi"])),
        "skew": round(draw_range(rng, split["skew"]) * (1 if rng.integers(0, 2) else -1), 2),
        "jpeg": int(draw_range(rng, split["jpeg"])),
        "paper": int(draw_range(rng, split["paper"])),
        "fax_noise": round(draw_range(rng, split["fax_noise"]), 1),
        "toner": round(draw_range(rng, split["toner"]), 2),
    }
    font, size = pick(rng, split["fonts"])
    params["font"] = f"{font} {size}"
    page = chart_page(rng, font, size)
    source = os.path.join(work, f"src-{index}.pdf")
    gen.write_pdf([page], source)
    lines = list(page.lines)
    if style == "fax":
        dpi_x, dpi_y = pick(rng, split["fax_dpi"])
        params["dpi"] = f"{dpi_x}x{dpi_y}"
        img = gen.rasterise(source, 1, dpi_x)  # square pixels: skew is a rotation on paper
        stamp(img, rng, dpi_x)
        img = img.rotate(params["skew"], resample=Image.BICUBIC, expand=False, fillcolor=255)
        header = (f"{a_date(rng)} {int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d} "
                  f"FROM: {pick(rng, PLACES).upper()} CLINIC  P.00{int(rng.integers(1, 5))}")
        fax_header(img, header)
        if dpi_y != dpi_x:  # standard-resolution fax: half the lines
            img = img.resize((img.width, img.height * dpi_y // dpi_x), Image.BILINEAR)
        img = fax(img, rng, params)
        lines.insert(0, header)
        quality = None
    else:
        dpi_x = dpi_y = params["dpi"]
        img = gen.rasterise(source, 1, dpi_x)
        stamp(img, rng, dpi_x)
        bleed = None
        if style == "photocopy" and rng.integers(0, 2):
            other = os.path.join(work, f"back-{index}.pdf")
            gen.write_pdf([chart_page(rng, font, size)], other)
            bleed = gen.rasterise(other, 1, dpi_x)
        img, quality = degrade(img, style, rng, params, dpi_x, bleed)
        img = img.rotate(params["skew"], resample=Image.BICUBIC, expand=False,
                         fillcolor=int(np.median(np.asarray(img))))
        # Scanners and copiers store grey pages as JPEG; phone photos already have a quality.
        quality = quality or int(rng.integers(80, 93))
    if rotation:  # turned clockwise as it lies on the glass (PIL rotates counter-clockwise)
        img = img.rotate(-rotation, expand=True)
        if rotation in (90, 270):
            dpi_x, dpi_y = dpi_y, dpi_x
    if style == "fax":
        img = img.convert("1")
    return img, dpi_x, dpi_y, quality, params, lines


def blank_page(rng, split, kind, work, index):
    """A blank sheet: speckle, or the back of a printed sheet showing through."""
    dpi = int(pick(rng, split["dpi"]))
    w, h = int(8.5 * dpi), int(11 * dpi)
    paper = draw_range(rng, split["paper"])
    a = np.full((h, w), paper, dtype=np.float32) + rng.normal(0, 5, (h, w))
    if kind == "bleed":
        other = os.path.join(work, f"blank-back-{index}.pdf")
        gen.write_pdf([chart_page(rng, "Arial", 10.5)], other)
        back = np.asarray(gen.rasterise(other, 1, dpi).transpose(Image.FLIP_LEFT_RIGHT).resize((w, h)),
                          dtype=np.float32) / 255.0
        a -= (1 - back) * rng.uniform(12, 22)
    for _ in range(600):
        y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
        a[y:y + rng.integers(1, 4), x:x + rng.integers(1, 4)] = rng.uniform(40, 150)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), dpi, {"dpi": dpi, "paper": int(paper)}


def write_formats(out, fax_pages, png_page, jpeg_page):
    """Image inputs: a multi-page G4 TIFF (200x100 dpi tags), a PNG, an EXIF-turned JPEG."""
    written = []
    if fax_pages:
        images = [img.convert("1") for img, _ in fax_pages]
        path = os.path.join(out, "fax-g4.tif")
        images[0].save(path, compression="group4", dpi=(200, 100), save_all=True,
                       append_images=images[1:])
        written.append({"file": "fax-g4.tif", "format": "tiff-g4", "pages": [t for _, t in fax_pages]})
    if png_page:
        img, text, dpi = png_page
        img.save(os.path.join(out, "scan.png"), dpi=(dpi, dpi))
        written.append({"file": "scan.png", "format": "png", "pages": [text]})
    if jpeg_page:
        img, text, dpi = jpeg_page
        # Stored turned 90° clockwise on the sensor; EXIF orientation 6 says "turn it 90° clockwise
        # to show it" (a phone held sideways). The file as stored is sideways.
        stored = img.rotate(90, expand=True)
        exif = Image.Exif()
        exif[0x0112] = 6
        stored.save(os.path.join(out, "photo-exif6.jpg"), quality=80, exif=exif, dpi=(dpi, dpi))
        # The same photo named .pdf: content, not the extension, decides.
        stored.save(os.path.join(out, "photo-named.pdf"), format="JPEG", quality=80, exif=exif,
                    dpi=(dpi, dpi))
        written.append({"file": "photo-exif6.jpg", "format": "jpeg", "exifOrientation": 6, "pages": [text]})
        written.append({"file": "photo-named.pdf", "format": "jpeg", "exifOrientation": 6, "pages": [text]})
    return written


def build(split_name, out, per_style, formats):
    split = SPLITS[split_name]
    os.makedirs(out, exist_ok=True)
    work = os.path.join(out, ".work")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(split["seed"])
    entries = []
    index = 0
    fax_pages, png_page, jpeg_page = [], None, None
    for style in STYLES:
        for repeat in range(per_style):
            for rotation in ROTATIONS:
                index += 1
                page_rng = np.random.default_rng([split["seed"], index])
                img, dpi_x, dpi_y, quality, params, lines = make_page(page_rng, split, style, rotation,
                                                                      index, work)
                name = f"{split_name}-{index:03d}-{style}-r{rotation}"
                gen.image_pdf([(img, dpi_x, dpi_y, quality)], os.path.join(out, name + ".pdf"))
                entries.append({"file": name + ".pdf", "style": style, "rotation": rotation,
                                "params": params, "text": "\n".join(lines)})
                if formats and style == "clean" and rotation == 0 and png_page is None:
                    png_page = (img, "\n".join(lines), dpi_x)
                if formats and style == "phone" and rotation == 0 and jpeg_page is None:
                    jpeg_page = (img, "\n".join(lines), dpi_x)
    for kind in ("speckle", "bleed"):
        index += 1
        img, dpi, params = blank_page(np.random.default_rng([split["seed"], index]), split, kind, work, index)
        name = f"{split_name}-{index:03d}-blank-{kind}"
        gen.image_pdf([(img, dpi, dpi, None)], os.path.join(out, name + ".pdf"))
        entries.append({"file": name + ".pdf", "style": "blank", "rotation": 0, "params": params, "text": ""})
    if formats:  # two fresh fax pages at 200x100 dpi for the multi-page TIFF
        for n in range(2):
            fax_split = dict(split, fax_dpi=[(200, 100)])
            img, _, _, _, _, lines = make_page(np.random.default_rng([split["seed"], 777, n]), fax_split,
                                               "fax", 0, 900 + n, work)
            fax_pages.append((img, "\n".join(lines)))
    extra = write_formats(out, fax_pages, png_page, jpeg_page) if formats else []
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump({"split": split_name, "pages": entries, "images": extra}, f, indent=1)
    print(f"{split_name}: {len(entries)} pages ({per_style} per style and rotation, 2 blank)"
          + (f", {len(extra)} image inputs" if extra else "") + f" in {out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SPLITS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-style", type=int, default=None,
                    help="pages per style and rotation (default: 2; the tests subset: 1)")
    ap.add_argument("--formats", action="store_true", help="also write TIFF, PNG and JPEG inputs")
    args = ap.parse_args()
    per_style = args.per_style or (1 if args.split == "tests" else 2)
    build(args.split, args.out, per_style, args.formats or args.split == "tests")


if __name__ == "__main__":
    main()
