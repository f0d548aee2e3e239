#!/usr/bin/env python3
"""Benchmark on the degraded scan corpus: chartex vs OCRmyPDF vs raw Tesseract, in one run.

Generates the split with scripts/corpus/make_scan_corpus.py when it is not there yet, joins its
pages into one PDF (so no tool pays a start-up per page), and reads it with:

  chartex     `chartex ocr --json --jobs 2` (orientation, deskew, clean-up as shipped);
  ocrmypdf    `ocrmypdf --rotate-pages --deskew -j 2 --sidecar` (Debian's OCRmyPDF);
  tesseract   `pdftoppm -r 300 -gray` + `tesseract --psm 3`, two pages at a time.

Prints CER per scan style (errors / reference characters, summed), pages whose text was lost
(read as blank), turned pages read upright (page CER under 0.35: a sideways or upside-down
reading is above 0.7), pages per minute and the ratios against OCRmyPDF measured in the same run;
and chartex's peak RSS. With --rss-pages N it also reads an N-page scan (the corpus repeated) and
prints chartex's peak RSS on it. With --check, exits 1 when a floor given on the command line is
missed.

Tune on `--split dev` only; report `--split test` beside it.

Usage: scripts/bench_scans.py --split dev|test [--corpus DIR] [--tools chartex,ocrmypdf,tesseract]
       [--chartex .build/release/chartex] [--rss-pages 300] [--json OUT] [--check --max-cer 3 ...]
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cer import levenshtein, normalise  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UPRIGHT_CER = 0.35


def corpus_python():
    venv = os.path.expanduser(os.path.join(os.environ.get("CHARTEX_CACHE", "~/.cache/chartex"),
                                           "venv-corpus", "bin", "python"))
    return venv if os.path.exists(venv) else sys.executable


def ensure_corpus(split, directory, per_style):
    if os.path.exists(os.path.join(directory, "corpus.json")):
        return
    command = [corpus_python(), os.path.join(HERE, "corpus", "make_scan_corpus.py"), "--split", split,
               "--out", directory]
    if per_style:
        command += ["--per-style", str(per_style)]
    subprocess.run(command, check=True)


def join_pdf(files, out):
    args = ["qpdf", "--empty", "--pages"]
    for f in files:
        args += [f, "1"]
    subprocess.run(args + ["--", out], check=True)


def timed(command, env=None, rss=False):
    """Runs `command`; returns (stdout, seconds, peak RSS in MB or None)."""
    start = time.monotonic()
    prefix = ["/usr/bin/time", "-f", "%M"] if rss else []
    done = subprocess.run(prefix + command, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"bench_scans: {' '.join(command[:2])} failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = None
    if rss:
        peak = int(done.stderr.strip().splitlines()[-1]) / 1024
    return done.stdout, seconds, peak


def run_chartex(binary, pdf, env, extra=()):
    out, seconds, peak = timed([binary, "ocr", "--json", "--jobs", "2", *extra, pdf], env=env, rss=True)
    pages = {}
    for line in out.splitlines():
        record = json.loads(line)
        if "error" in record:
            sys.exit(f"bench_scans: chartex failed on page {record.get('page')}: {record['error']}")
        pages[record["number"]] = {"text": record.get("text", ""), "blank": record.get("blank", False)}
    return pages, seconds, peak


def run_ocrmypdf(pdf, env, work):
    sidecar = os.path.join(work, "ocrmypdf.txt")
    _, seconds, _ = timed(["ocrmypdf", "--rotate-pages", "--deskew", "-j", "2", "--output-type", "pdf",
                           "--sidecar", sidecar, "-q", pdf, os.path.join(work, "ocrmypdf.pdf")], env=env)
    texts = open(sidecar).read().split("\f")
    return {n + 1: {"text": t, "blank": not t.strip()} for n, t in enumerate(texts)}, seconds


def run_tesseract(pdf, count, env, work):
    def page(n):
        stem = os.path.join(work, f"t{n}")
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", str(n), "-l", str(n),
                        pdf, stem], check=True, env=env)
        done = subprocess.run(["tesseract", stem + ".png", "-", "--psm", "3"], capture_output=True,
                              text=True, env=env)
        os.remove(stem + ".png")
        return n, done.stdout

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(page, range(1, count + 1)))
    seconds = time.monotonic() - start
    return {n: {"text": t, "blank": not t.strip()} for n, t in results.items()}, seconds


def score(entries, pages):
    """Per style: [errors, reference chars, pages, lost, turned, turned upright]; per page CER."""
    styles = {}
    per_page = []
    for n, entry in enumerate(entries, 1):
        got = pages.get(n, {"text": "", "blank": True})
        reference = normalise(entry["text"])
        hypothesis = normalise(got["text"])
        row = styles.setdefault(entry["style"], [0, 0, 0, 0, 0, 0])
        row[2] += 1
        if not reference:
            per_page.append(None)
            continue
        errors = levenshtein(hypothesis, reference)
        rate = errors / len(reference)
        per_page.append(rate)
        row[0] += errors
        row[1] += len(reference)
        if not hypothesis:
            row[3] += 1
        if entry["rotation"]:
            row[4] += 1
            row[5] += rate < UPRIGHT_CER
    return styles, per_page


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["dev", "test", "tests"], required=True)
    ap.add_argument("--corpus", help="corpus folder (default: /tmp/chartex-scans-SPLIT)")
    ap.add_argument("--per-style", type=int)
    ap.add_argument("--tools", default="chartex,ocrmypdf,tesseract")
    ap.add_argument("--chartex", default=os.path.join(HERE, "..", ".build", "release", "chartex"))
    ap.add_argument("--chartex-args", default="", help="extra `chartex ocr` options, e.g. \"--clean-up off\"")
    ap.add_argument("--rss-pages", type=int, default=0)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--max-cer", type=float, help="percent, all pages with text (chartex)")
    ap.add_argument("--max-fax-cer", type=float, help="percent, fax pages (chartex)")
    ap.add_argument("--min-speedup", type=float, help="chartex pages/min over OCRmyPDF's")
    a = ap.parse_args()

    directory = a.corpus or f"/tmp/chartex-scans-{a.split}"
    ensure_corpus(a.split, directory, a.per_style)
    corpus = json.load(open(os.path.join(directory, "corpus.json")))
    entries = corpus["pages"]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    tools = [t for t in a.tools.split(",") if t]
    figures = {"split": a.split, "pages": len(entries), "tools": {}}
    with tempfile.TemporaryDirectory() as work:
        joined = os.path.join(work, "corpus.pdf")
        join_pdf([os.path.join(directory, e["file"]) for e in entries], joined)
        results = {}
        for tool in tools:
            if tool == "chartex":
                pages, seconds, peak = run_chartex(a.chartex, joined, env, a.chartex_args.split())
                figures["chartexPeakRSSMB"] = round(peak, 1)
            elif tool == "ocrmypdf":
                if not shutil.which("ocrmypdf"):
                    sys.exit("bench_scans: ocrmypdf is not installed (scripts/setup.sh --bench)")
                pages, seconds = run_ocrmypdf(joined, env, work)
            elif tool == "tesseract":
                pages, seconds = run_tesseract(joined, len(entries), env, work)
            else:
                sys.exit(f"bench_scans: unknown tool {tool}")
            styles, per_page = score(entries, pages)
            results[tool] = (styles, per_page, seconds)
        if a.rss_pages and "chartex" in tools:
            big = os.path.join(work, "big.pdf")
            files = [os.path.join(directory, e["file"]) for e in entries]
            join_pdf([files[i % len(files)] for i in range(a.rss_pages)], big)
            _, seconds, peak = run_chartex(a.chartex, big, env, a.chartex_args.split())
            figures["rss"] = {"pages": a.rss_pages, "peakMB": round(peak, 1), "seconds": round(seconds, 1)}

    style_names = sorted({e["style"] for e in entries if e["style"] != "blank"})
    print(f"split {a.split}: {len(entries)} pages in {directory}")
    header = f"{'tool':10} " + " ".join(f"{s:>10}" for s in style_names) + f" {'all':>7} {'lost':>5} {'upright':>8} {'pages/min':>10}"
    print("CER %")
    print(header)
    for tool, (styles, per_page, seconds) in results.items():
        total = [sum(styles[s][i] for s in style_names) for i in range(6)]
        cer_all = 100 * total[0] / max(1, total[1])
        ppm = len(entries) / seconds * 60
        cells = " ".join(f"{100 * styles[s][0] / max(1, styles[s][1]):10.2f}" for s in style_names)
        print(f"{tool:10} {cells} {cer_all:7.2f} {total[3]:5d} {total[5]:>3}/{total[4]:<4} {ppm:10.1f}")
        figures["tools"][tool] = {
            "cerPercent": round(cer_all, 2), "lost": total[3], "turned": total[4], "upright": total[5],
            "pagesPerMinute": round(ppm, 1), "seconds": round(seconds, 1),
            "cerPercentByStyle": {s: round(100 * styles[s][0] / max(1, styles[s][1]), 2) for s in style_names},
            "pageCER": [None if r is None else round(r, 4) for r in per_page]}
    if "chartex" in results and "ocrmypdf" in results:
        c, o = figures["tools"]["chartex"], figures["tools"]["ocrmypdf"]
        figures["speedupOverOCRmyPDF"] = round(c["pagesPerMinute"] / o["pagesPerMinute"], 2)
        figures["cerRatioToOCRmyPDF"] = round(c["cerPercent"] / max(0.01, o["cerPercent"]), 2)
        below = all(c["cerPercentByStyle"][s] < o["cerPercentByStyle"][s] for s in style_names)
        figures["belowOCRmyPDFOnEveryStyle"] = below
        print(f"chartex vs OCRmyPDF: {figures['speedupOverOCRmyPDF']}x the pages per minute at "
              f"{figures['cerRatioToOCRmyPDF']}x its CER; below it on every style: {below}")
    if "chartexPeakRSSMB" in figures:
        print(f"chartex peak RSS: {figures['chartexPeakRSSMB']} MB on {len(entries)} pages")
    if "rss" in figures:
        r = figures["rss"]
        print(f"chartex peak RSS on a {r['pages']}-page scan: {r['peakMB']} MB ({r['seconds']} s)")
    worst = sorted(((r, e["file"]) for r, e in zip(results.get("chartex", (None, []))[1], entries)
                    if r is not None), reverse=True)[:5]
    if worst:
        print("chartex's worst pages: " + ", ".join(f"{f} {100 * r:.1f} %" for r, f in worst))
    if a.json:
        json.dump(figures, open(a.json, "w"), indent=1)

    if a.check:
        c = figures["tools"].get("chartex")
        failures = []
        if c:
            if a.max_cer is not None and c["cerPercent"] > a.max_cer:
                failures.append(f"CER {c['cerPercent']} % over {a.max_cer} %")
            fax = c["cerPercentByStyle"].get("fax")
            if a.max_fax_cer is not None and fax is not None and fax > a.max_fax_cer:
                failures.append(f"fax CER {fax} % over {a.max_fax_cer} %")
            if c["lost"]:
                failures.append(f"{c['lost']} pages with text read as blank")
            if c["upright"] < c["turned"]:
                failures.append(f"{c['turned'] - c['upright']} turned pages not read upright")
        if a.min_speedup is not None and figures.get("speedupOverOCRmyPDF", 0) < a.min_speedup:
            failures.append(f"speed-up {figures.get('speedupOverOCRmyPDF')} under {a.min_speedup}")
        for f in failures:
            print("FAIL: " + f, file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
