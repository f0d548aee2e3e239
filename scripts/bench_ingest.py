#!/usr/bin/env python3
"""Benchmark `chartex ingest` against `chartex ocr` alone on the same N-page scanned PDF.

Builds the PDF from the scanned Samples pages (qpdf), then, in one run: `chartex ocr` (text to
/dev/null) and `chartex ingest` into a fresh database, each under /usr/bin/time -v. Prints
pages per minute and peak RSS for both, and ingest's throughput as a fraction of ocr's.
Targets (issue 3): ingest peak RSS <= 300 MB, throughput within 10 % of ocr alone.

Usage: scripts/bench_ingest.py [--pages 300] [--jobs N] [--chartex .build/release/chartex]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import tempfile
import time


def timed(command, env):
    start = time.monotonic()
    run = subprocess.run(["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1)) / 1024
    return seconds, rss, run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    sources = []
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if all(p["kind"] == "textLayer" for p in truth["pages"]):
            continue
        for p in truth["pages"]:
            sources += [os.path.join(a.samples, truth["file"]), str(p["number"])]
    pages = []
    while len(pages) // 2 < a.pages:
        pages += sources
    pages = pages[: 2 * a.pages]
    with tempfile.TemporaryDirectory(prefix="chartex-bench-") as tmp:
        pdf = os.path.join(tmp, f"scanned-{a.pages}.pdf")
        subprocess.run(["qpdf", "--empty", "--pages", *pages, "--", pdf], check=True)
        ocr_s, ocr_rss, ocr = timed([a.chartex, "ocr", "--jobs", str(a.jobs), pdf], env)
        db = os.path.join(tmp, "bench.sqlite")
        ing_s, ing_rss, ing = timed([a.chartex, "ingest", "--db", db, "--jobs", str(a.jobs), pdf], env)
        print(f"{a.pages}-page scanned PDF ({os.path.getsize(pdf) / 1e6:.1f} MB), {a.jobs} jobs, {os.cpu_count()} cores")
        print(f"{'':16} {'seconds':>8} {'pages/min':>10} {'peak RSS MB':>12} {'exit':>5}")
        print(f"{'chartex ocr':16} {ocr_s:8.1f} {a.pages / ocr_s * 60:10.1f} {ocr_rss:12.0f} {ocr.returncode:5}")
        print(f"{'chartex ingest':16} {ing_s:8.1f} {a.pages / ing_s * 60:10.1f} {ing_rss:12.0f} {ing.returncode:5}")
        print(f"ingest throughput / ocr throughput: {ocr_s / ing_s:.1%}")
        print(ing.stdout.strip())


if __name__ == "__main__":
    main()
