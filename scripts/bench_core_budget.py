#!/usr/bin/env python3
"""Benchmark: does the core budget (issue 10) pay? Hybrid ingest with the local model on the
same files, twice in one run, each with a llama-server of its own started by chartex:

  budget          `chartex ingest --local-model --extractor hybrid` (OCR threads + model
                  threads = the cores: CoreBudget's default split)
  oversubscribed  the same with `--jobs <cores> --model-threads <cores>` (what chartex did
                  before: every OCR thread and every model thread wanted a core of its own)

Printed for each: wall time, pages a minute, model requests done / failed, the model's mean
generation rate (tokens/s from llama-server's timings) and its slowest request. The ratio
`oversubscribed / budget` of wall times is the figure (> 1: the budget is faster).

Needs no other llama-server started by chartex (a running one would be reused with its
threads, and the two runs would not differ): check with `chartex status`.

Inputs: the scanned Samples PDFs, --copies times (each copy made unique with a trailing PDF
comment so the store does not skip it as already imported).

Usage: scripts/bench_core_budget.py [--copies 1] [--files med-list-fax.pdf,...] [--chartex .build/release/chartex]
"""
import argparse
import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def ingest(chartex, db, inputs, extra, env):
    start = time.monotonic()
    result = subprocess.run([chartex, "ingest", "--db", db, "--local-model", "--extractor", "hybrid"] + extra + [inputs],
                            env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"chartex ingest {' '.join(extra)} failed ({result.returncode}):\n{result.stderr}")
    split = next((line.split("chartex: ", 1)[1] for line in result.stderr.splitlines()
                  if line.startswith("chartex: ") and "cores:" in line), "?")
    if "reused server" in split:
        sys.exit("a llama-server started by chartex is already running (see `chartex status`): "
                 "stop it first, or the two runs share its threads")
    rates = re.findall(r"([0-9.]+) tokens/s", result.stderr)  # the last: the run's summary line
    connection = sqlite3.connect(db)
    done, failed, slowest = connection.execute(
        "SELECT sum(status = 'succeeded'), sum(status = 'failed'), max(seconds) FROM extraction WHERE extractor = 'model'"
    ).fetchone()
    connection.close()
    return {"seconds": seconds, "split": split, "done": done or 0, "failed": failed or 0,
            "slowest": slowest or 0.0, "rate": float(rates[-1]) if rates else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--files", default="med-list-fax.pdf,progress-note-grey-skewed.pdf",
                    help="comma-separated sample file names (scanned ones), or 'all'")
    ap.add_argument("--copies", type=int, default=1)
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("CHARTEX_MODEL_THREADS", None)
    chosen = None if a.files == "all" else set(a.files.split(","))
    files = []
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if (chosen is None or truth["file"] in chosen) and any(p["kind"] != "textLayer" for p in truth["pages"]):
            files.append((os.path.join(a.samples, truth["file"]), len(truth["pages"])))
    if not files:
        sys.exit(f"no scanned sample among {a.files}")
    with tempfile.TemporaryDirectory(prefix="chartex-bench-budget-") as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        pages = 0
        for copy in range(a.copies):
            for path, count in files:
                target = os.path.join(inputs, f"{copy}-{os.path.basename(path)}")
                shutil.copyfile(path, target)
                with open(target, "ab") as f:
                    f.write(f"\n% chartex benchmark copy {copy}\n".encode())
                pages += count
        runs = {
            "budget": ingest(a.chartex, os.path.join(tmp, "budget.sqlite"), inputs, [], env),
            "oversubscribed": ingest(a.chartex, os.path.join(tmp, "over.sqlite"), inputs,
                                     ["--jobs", str(cores), "--model-threads", str(cores)], env),
        }
    print(f"{pages} scanned pages ({a.copies} cop{'y' if a.copies == 1 else 'ies'} of "
          f"{', '.join(os.path.basename(p) for p, _ in files)}), {cores} cores, hybrid ingest with the local model")
    for name, r in runs.items():
        rate = f"{r['rate']:.1f} tok/s" if r["rate"] else "rate ?"
        print(f"{name:15s} {r['seconds']:7.1f} s  {pages / r['seconds'] * 60:6.2f} pages/min  "
              f"requests {r['done']} done, {r['failed']} failed, slowest {r['slowest']:.1f} s, {rate}  [{r['split']}]")
    ratio = runs["oversubscribed"]["seconds"] / runs["budget"]["seconds"]
    print(f"oversubscribed / budget wall time = {ratio:.2f} (> 1: the budget is faster)")
    return 0 if runs["budget"]["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
