#!/usr/bin/env python3
"""Benchmark: do OCR and model calls overlap? End-to-end `chartex ingest --extractor hybrid`
against a fixed-latency fake model server (scripts/fake_model_server.py: every request takes
--latency seconds, at most --slots at once), compared with the two bounds measured in the
same run:

  OCR-bound    `chartex ingest --extractor rules` on the same files (reading + rules, no model)
  model-bound  requests x latency / slots (the requests counted from the hybrid run's store)

Target (issue 5): end-to-end throughput >= 90 % of min(OCR-bound, model-bound) throughput,
i.e. wall time <= max(both times) / 0.9.

Inputs: the scanned Samples PDFs, --copies times (each copy made unique with a trailing PDF
comment so the store does not skip it as already imported).

Usage: scripts/bench_model.py [--latency 2] [--slots 8] [--copies 3] [--jobs 2] [--chartex .build/release/chartex]
"""
import argparse
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def run(command, env):
    start = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--latency", type=float, default=2.0)
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--copies", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    scanned = []
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if any(p["kind"] != "textLayer" for p in truth["pages"]):
            scanned.append((os.path.join(a.samples, truth["file"]), len(truth["pages"])))
    with tempfile.TemporaryDirectory(prefix="chartex-bench-model-") as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        pages = 0
        for copy in range(a.copies):
            for path, count in scanned:
                target = os.path.join(inputs, f"{copy}-{os.path.basename(path)}")
                shutil.copyfile(path, target)
                with open(target, "ab") as f:
                    f.write(f"\n% chartex benchmark copy {copy}\n".encode())
                pages += count
        server = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "fake_model_server.py"),
                                   "--latency", str(a.latency), "--slots", str(a.slots)],
                                  stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().split()[-1])
        try:
            rules_db, hybrid_db = os.path.join(tmp, "rules.sqlite"), os.path.join(tmp, "hybrid.sqlite")
            t_ocr = run([a.chartex, "ingest", "--db", rules_db, "--jobs", str(a.jobs), "--extractor", "rules", inputs], env)
            t_e2e = run([a.chartex, "ingest", "--db", hybrid_db, "--jobs", str(a.jobs), "--extractor", "hybrid",
                         "--model-url", f"http://127.0.0.1:{port}", "--model-concurrency", str(a.slots), inputs], env)
        finally:
            server.kill()
        db = sqlite3.connect(hybrid_db)
        requests = db.execute("SELECT coalesce(sum(requests), 0) FROM extraction WHERE extractor = 'model'").fetchone()[0]
        failed = db.execute("SELECT count(*) FROM extraction WHERE extractor = 'model' AND status = 'failed'").fetchone()[0]
        db.close()
    t_model = requests * a.latency / a.slots
    bound = max(t_ocr, t_model)
    ratio = bound / t_e2e
    print(f"{pages} scanned pages ({a.copies} copies of {len(scanned)} sample files), {a.jobs} OCR jobs; "
          f"fake model: {a.latency:g} s a request, {a.slots} in flight")
    print(f"OCR-bound    (ingest, rules only)      {t_ocr:7.1f} s  {pages / t_ocr * 60:7.1f} pages/min")
    print(f"model-bound  ({requests} requests x {a.latency:g} s / {a.slots}) {t_model:7.1f} s  {pages / t_model * 60:7.1f} pages/min")
    print(f"end-to-end   (ingest, hybrid)          {t_e2e:7.1f} s  {pages / t_e2e * 60:7.1f} pages/min")
    print(f"end-to-end throughput = {ratio:.1%} of min(OCR-bound, model-bound) (target >= 90 %); "
          f"serial would be {t_ocr + t_model:.1f} s; failed requests {failed}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
