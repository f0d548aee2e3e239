#!/usr/bin/env python3
"""Score `chartex ocr` against the generator's page text for every chart in Samples/.

Prints one row per page (kind, source, rotation found, CER) and the CER of each kind of page
(characters in error / characters in the reference, summed over the pages of that kind).
With --check, exits 1 unless the issue's floors hold: grey scans <= 2 %, fax <= 8 %, turned
pages within 2x of upright grey pages, born-digital pages read from the text layer with 100 %
word recall.

Usage: scripts/evaluate_ocr.py [--chartex .build/release/chartex | --jsonl-dir DIR] [--samples Samples] [--check]
"""
import argparse
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cer import levenshtein, normalise  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--jsonl-dir", help="score saved `chartex ocr --json` output (NAME.jsonl) instead")
    a = ap.parse_args()

    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    totals = {}  # kind -> [errors, reference characters]
    recall = [0, 0]
    print(f"{'file':38} {'page':>4} {'kind':9} {'source':9} {'rot':>4} {'skew':>6} {'CER':>7}")
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        pdf = os.path.join(a.samples, truth["file"])
        if a.jsonl_dir:
            stem = os.path.splitext(truth["file"])[0]
            stdout = open(os.path.join(a.jsonl_dir, stem + ".jsonl")).read()
        else:
            stdout = subprocess.run([a.chartex, "ocr", "--json", "--jobs", str(a.jobs), pdf], env=env,
                                    capture_output=True, text=True).stdout
        pages = {}
        for line in stdout.splitlines():
            record = json.loads(line)
            if "error" not in record:
                pages[record["number"]] = record
        for p in truth["pages"]:
            got = pages.get(p["number"])
            hyp = got["text"] if got else ""
            kind = p["kind"]
            if kind == "grey" and p.get("rotation"):
                kind = "turned"
            ref, h = normalise(p["text"]), normalise(hyp)
            errors = levenshtein(h, ref) if ref else len(h)
            t = totals.setdefault(kind, [0, 0])
            t[0] += errors
            t[1] += len(ref)
            if kind == "textLayer":
                words = hyp.split()
                for w in p["text"].split():
                    recall[1] += 1
                    recall[0] += w in words
            rate = errors / len(ref) if ref else float(errors > 0)
            print(f"{truth['file']:38} {p['number']:>4} {kind:9} {(got or {}).get('source', 'FAILED'):9} "
                  f"{(got or {}).get('rotation', '-'):>4} {(got or {}).get('skew', 0):>6} {rate:7.2%}")
    print()
    rates = {}
    for kind, (errors, chars) in sorted(totals.items()):
        rates[kind] = errors / chars if chars else float(errors > 0)
        label = f"{errors} extra characters" if not chars else f"{errors}/{chars}"
        print(f"CER {kind:10} {rates[kind]:7.2%}  ({label})")
    word_recall = recall[0] / recall[1] if recall[1] else 1.0
    print(f"born-digital word recall {word_recall:.2%} ({recall[0]}/{recall[1]})")
    if a.check:
        failures = []
        if rates.get("grey", 1) > 0.02:
            failures.append("grey CER above 2 %")
        if rates.get("fax", 1) > 0.08:
            failures.append("fax CER above 8 %")
        if rates.get("turned", 1) > 2 * max(rates.get("grey", 0), 0.005):
            failures.append("turned-page CER above 2x the upright grey CER")
        if word_recall < 1.0:
            failures.append("born-digital word recall below 100 %")
        if failures:
            print("FAILED: " + "; ".join(failures))
            return 1
        print("all OCR floors hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
