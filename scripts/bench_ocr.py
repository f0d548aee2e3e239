#!/usr/bin/env python3
"""Benchmark `chartex ocr` against OCRmyPDF doing the same work on the same scanned Samples,
in one run, and print pages per minute, character error rate and the ratios.

OCRmyPDF runs as the issue specifies: --force-ocr --rotate-pages --deskew -j N
--output-type pdf --sidecar (the sidecar text is what is scored). Both use N = --jobs
(default: all cores) and OMP_THREAD_LIMIT=1.

--big N also builds an N-page scanned PDF (the Samples' scanned pages repeated, with qpdf) and
reports chartex's pages per minute and peak RSS on it (from /usr/bin/time -v).

Usage: scripts/bench_ocr.py [--jobs N] [--big 300] [--chartex .build/release/chartex]
Needs: ocrmypdf, qpdf, /usr/bin/time (Debian packages; installed when missing).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cer import levenshtein, normalise  # noqa: E402


def ensure(binary, package):
    if shutil.which(binary):
        return
    print(f"installing {package} ...", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def score(pages_text, truth_pages):
    errors = chars = 0
    for p in truth_pages:
        hyp = pages_text[p["number"] - 1] if p["number"] - 1 < len(pages_text) else ""
        ref = normalise(p["text"])
        errors += levenshtein(normalise(hyp), ref) if ref else len(normalise(hyp))
        chars += len(ref)
    return errors, chars


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--big", type=int, default=0, help="pages of the large-PDF memory run (0: skip)")
    a = ap.parse_args()
    ensure("ocrmypdf", "ocrmypdf")
    ensure("qpdf", "qpdf")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    work = []
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if all(p["kind"] == "textLayer" for p in truth["pages"]):
            continue  # born-digital: chartex skips OCR there, so it is not the same work
        work.append((os.path.join(a.samples, truth["file"]), truth))
    pages = sum(len(t["pages"]) for _, t in work)
    files = [f for f, _ in work]

    tmp = tempfile.mkdtemp(prefix="chartex-bench-")
    # chartex: one process for all files, as a records team would run it.
    start = time.monotonic()
    out = subprocess.run([a.chartex, "ocr", "--jobs", str(a.jobs), *files], env=env, capture_output=True,
                         text=True, check=True).stdout
    chartex_seconds = time.monotonic() - start
    chartex_pages = out.split("\f")
    # OCRmyPDF: one process per file (it takes one input).
    ocrmypdf_pages = []
    start = time.monotonic()
    for i, f in enumerate(files):
        sidecar = os.path.join(tmp, f"{i}.txt")
        subprocess.run(["ocrmypdf", "--force-ocr", "--rotate-pages", "--deskew", "-j", str(a.jobs),
                        "--output-type", "pdf", "--sidecar", sidecar, "-q", f, os.path.join(tmp, f"{i}.pdf")],
                       env=env, check=True, capture_output=True)
        text = open(sidecar).read()
        ocrmypdf_pages.append(text.split("\f"))
    ocrmypdf_seconds = time.monotonic() - start

    c_err = c_chars = o_err = o_chars = 0
    offset = 0
    for (f, truth), o_pages in zip(work, ocrmypdf_pages):
        n = len(truth["pages"])
        e, c = score(chartex_pages[offset:offset + n], truth["pages"])
        c_err, c_chars = c_err + e, c_chars + c
        e, c = score(o_pages, truth["pages"])
        o_err, o_chars = o_err + e, o_chars + c
        offset += n

    c_ppm, o_ppm = pages / chartex_seconds * 60, pages / ocrmypdf_seconds * 60
    c_cer, o_cer = c_err / c_chars, o_err / o_chars
    print(f"{len(files)} scanned sample PDFs, {pages} pages, {a.jobs} jobs, {os.cpu_count()} cores")
    print(f"{'':10} {'seconds':>8} {'pages/min':>10} {'CER':>8}")
    print(f"{'chartex':10} {chartex_seconds:8.1f} {c_ppm:10.1f} {c_cer:8.2%}")
    print(f"{'OCRmyPDF':10} {ocrmypdf_seconds:8.1f} {o_ppm:10.1f} {o_cer:8.2%}")
    print(f"speed ratio (chartex / OCRmyPDF pages per minute): {c_ppm / o_ppm:.2f}x")
    print(f"error ratio (chartex / OCRmyPDF CER): {c_cer / o_cer:.2f}" if o_cer else "OCRmyPDF CER is 0")

    if a.big:
        ensure("/usr/bin/time", "time")
        sources = []
        for f, truth in work:
            for p in truth["pages"]:
                sources += [f, str(p["number"])]
        args = []
        while len(args) // 2 < a.big:
            args += sources
        args = args[: 2 * a.big]
        big = os.path.join(tmp, f"big-{a.big}.pdf")
        qpdf = ["qpdf", "--empty", "--pages"]
        for i in range(0, len(args), 2):
            qpdf += [args[i], args[i + 1]]
        subprocess.run(qpdf + ["--", big], check=True)
        start = time.monotonic()
        run = subprocess.run(["/usr/bin/time", "-v", a.chartex, "ocr", "--jobs", str(a.jobs), big], env=env,
                             capture_output=True, text=True)
        seconds = time.monotonic() - start
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
        print(f"\n{a.big}-page scanned PDF ({os.path.getsize(big) / 1e6:.1f} MB): {seconds:.1f} s, "
              f"{a.big / seconds * 60:.1f} pages/min, peak RSS {rss / 1024:.0f} MB, exit {run.returncode}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
