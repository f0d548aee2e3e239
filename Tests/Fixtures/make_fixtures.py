#!/usr/bin/env python3
"""Make the small bad-input fixtures the tests use (committed; rerun to regenerate).

Needs qpdf, pdftoppm and tesseract (Debian packages). All content is synthetic.
"""
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "Samples")


def write_pdf(path, pages, extra_catalog=""):
    """A minimal, valid PDF: `pages` are (width, height, content stream) triples."""
    objects = []
    kids = []
    font_id = 3 + 2 * len(pages)
    for i, (w, h, content) in enumerate(pages):
        page_id, content_id = 3 + 2 * i, 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        objects.append((page_id, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] "
                                 f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>"))
        data = content.encode()
        objects.append((content_id, f"<< /Length {len(data)} >>\nstream\n{content}\nendstream"))
    objects.append((font_id, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"))
    objects.insert(0, (2, f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"))
    objects.insert(0, (1, f"<< /Type /Catalog /Pages 2 0 R {extra_catalog}>>"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    count = max(offsets) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for n in range(1, count):
        out += f"{offsets[n]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    with open(path, "wb") as f:
        f.write(out)


def text(x, y, size, s):
    return f"BT /F1 {size} Tf {x} {y} Td ({s}) Tj ET"


def main():
    born = os.path.join(SAMPLES, "discharge-summary-born-digital.pdf")
    # Encrypted (AES-256), user password "chartex-test".
    subprocess.run(["qpdf", "--encrypt", "chartex-test", "owner-secret", "256", "--", born,
                    os.path.join(HERE, "encrypted.pdf")], check=True)
    # A PDF whose page tree is empty.
    write_pdf(os.path.join(HERE, "zero-pages.pdf"), [])
    # Page 1 is 200 x 200 inches (the largest a PDF allows); page 2 is an ordinary letter page.
    write_pdf(os.path.join(HERE, "huge-page.pdf"), [
        (14400, 14400, text(100, 7000, 400, "HUGE PAGE")),
        (612, 792, text(72, 700, 14, "Ordinary page after a huge one. MRN 000-TEST")),
    ])
    # A JavaScript open action (recorded, never run: Poppler does not execute it here).
    write_pdf(os.path.join(HERE, "javascript.pdf"),
              [(612, 792, text(72, 700, 14, "This page carries a JavaScript open action."))],
              extra_catalog="/OpenAction << /S /JavaScript /JS (app.alert\\('hi'\\);) >> ")
    # 300 born-digital pages (a long document that must neither hang nor exhaust memory).
    write_pdf(os.path.join(HERE, "many-pages.pdf"),
              [(612, 792, text(72, 700, 12, f"Synthetic long record, page {n} of 300. MRN 000-TEST."))
               for n in range(1, 301)])
    # The first 40 % of a real PDF.
    data = open(born, "rb").read()
    with open(os.path.join(HERE, "truncated.pdf"), "wb") as f:
        f.write(data[: len(data) * 2 // 5])
    with tempfile.TemporaryDirectory() as tmp:
        # A JPEG named .pdf.
        subprocess.run(["pdftoppm", "-jpeg", "-r", "20", "-f", "1", "-l", "1", born,
                        os.path.join(tmp, "j")], check=True)
        jpeg = [p for p in os.listdir(tmp) if p.endswith(".jpg")][0]
        os.replace(os.path.join(tmp, jpeg), os.path.join(HERE, "jpeg-named.pdf"))
        # A scan with an invisible OCR text layer (GlyphLessFont), as Tesseract writes it.
        subprocess.run(["pdftoppm", "-gray", "-jpeg", "-jpegopt", "quality=40", "-r", "150", "-f", "1",
                        "-l", "1", os.path.join(SAMPLES, "progress-note-grey-skewed.pdf"),
                        os.path.join(tmp, "s")], check=True)
        png = [p for p in os.listdir(tmp) if p.startswith("s") and p.endswith(".jpg")][0]
        subprocess.run(["tesseract", os.path.join(tmp, png), os.path.join(HERE, "ocr-layer"), "pdf"],
                       check=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"), capture_output=True)
    open(os.path.join(HERE, "empty.pdf"), "wb").close()


if __name__ == "__main__":
    main()
