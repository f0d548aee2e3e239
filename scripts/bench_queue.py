#!/usr/bin/env python3
"""Benchmark (issue 16): the queue on SQLite and on PostgreSQL, with 1, 2, 4 and 8 worker
processes, in one run.

  1. The queue's own overhead: claims per second — `chartex worker --extractor none` on tiny
     one-page born-digital PDFs (no OCR, no extraction: a claim, a page, a finish per document).
  2. End to end where the model is the bound: `--extractor model` against a fixed-latency fake
     model server (scripts/fake_model_server.py --latency L, enough slots for every worker),
     one request in flight per worker, with 1, 2 and 4 workers. Scaling efficiency =
     throughput(n) / (n x throughput(1)); target >= 0.9 up to the model bound.

PostgreSQL is a throwaway cluster (scripts/postgres-cluster.sh, fsync on). Usage:
    scripts/bench_queue.py [--chartex .build/release/chartex] [--documents 200] [--latency 0.5]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_pdf(text):
    """A one-page PDF with one line of text (a text layer: no OCR)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def make_documents(folder, count, words):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        path = os.path.join(folder, f"doc-{i:05d}.pdf")
        with open(path, "wb") as f:
            f.write(tiny_pdf(f"Progress note {i}: {words}"))
        paths.append(path)
    return paths


def run_workers(chartex, db, n, extra, env):
    """Starts n worker processes on the queue and waits for them all; the wall time."""
    started = time.time()
    workers = [subprocess.Popen([chartex, "worker", "--db", db, "--jobs", "1", "--semantic-index", "off", *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for _ in range(n)]
    for w in workers:
        _, err = w.communicate()
        if w.returncode != 0:
            raise SystemExit(f"bench_queue: a worker failed ({w.returncode}): {err.decode()[-500:]}")
    return time.time() - started


class Stores:
    """A fresh store per measurement: an SQLite file, or a new database on the cluster."""

    def __init__(self, work, pg_url):
        self.work, self.pg_url, self.n = work, pg_url, 0

    def new(self, backend):
        self.n += 1
        if backend == "sqlite":
            return os.path.join(self.work, f"store-{self.n}.sqlite")
        name = f"bench_{self.n}"
        subprocess.run(["psql", self.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name


def measure(chartex, stores, backend, n, paths, extra, env):
    db = stores.new(backend)
    subprocess.run([chartex, "ingest", "--db", db, "--enqueue-only", *paths], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    seconds = run_workers(chartex, db, n, extra, env)
    return len(paths) / seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=os.path.join(ROOT, ".build/release/chartex"))
    ap.add_argument("--documents", type=int, default=200, help="tiny documents for the claims measurement")
    ap.add_argument("--model-documents", type=int, default=48, help="documents for the end-to-end measurement")
    ap.add_argument("--latency", type=float, default=0.5, help="seconds per fake model request")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    chartex = os.path.abspath(args.chartex)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    work = tempfile.mkdtemp(prefix="chartex-bench-queue-")
    os.chmod(work, 0o755)
    cluster = os.path.join(work, "pg")
    fake = None
    try:
        pg_url = subprocess.run([os.path.join(ROOT, "scripts/postgres-cluster.sh"), "start", cluster],
                                check=True, capture_output=True, text=True).stdout.strip()
        stores = Stores(work, pg_url)
        figures = {"claims": {}, "model": {}, "latency": args.latency}

        paths = make_documents(os.path.join(work, "tiny"), args.documents, "no findings")
        print(f"queue overhead: {args.documents} one-page documents, --extractor none, claims per second")
        print("workers   sqlite   postgres")
        for n in (1, 2, 4, 8):
            row = {b: measure(chartex, stores, b, n, paths, ["--extractor", "none"], env) for b in ("sqlite", "postgres")}
            figures["claims"][n] = row
            print(f"{n:7d} {row['sqlite']:8.1f} {row['postgres']:10.1f}")

        # The model bound: every worker sends one request at a time to a server that takes
        # `latency` seconds per request and has a slot for each.
        port_file = os.path.join(work, "fake-port")
        fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/fake_model_server.py"), "--latency",
                                 str(args.latency), "--slots", "16", "--port-file", port_file],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        model_url = f"http://127.0.0.1:{open(port_file).read().strip()}"
        model_paths = make_documents(os.path.join(work, "notes"), args.model_documents,
                                     "Metformin 500 mg PO BID. Allergies: penicillin (hives). BP 128/82.")
        extra = ["--extractor", "model", "--model-url", model_url, "--model-concurrency", "1"]
        print(f"\nend to end, the model the bound: {args.model_documents} documents, a {args.latency} s model, "
              "one request in flight per worker; documents per second (scaling efficiency)")
        print("workers   sqlite          postgres")
        for n in (1, 2, 4):
            row = {b: measure(chartex, stores, b, n, model_paths, extra, env) for b in ("sqlite", "postgres")}
            figures["model"][n] = row
            cells = []
            for b in ("sqlite", "postgres"):
                efficiency = row[b] / (n * figures["model"][1][b])
                row[b + "Efficiency"] = efficiency
                cells.append(f"{row[b]:6.2f} ({efficiency:4.2f})")
            print(f"{n:7d}   {cells[0]:14s}  {cells[1]}")
        worst = min(figures["model"][n][b + "Efficiency"] for n in (2, 4) for b in ("sqlite", "postgres"))
        print(f"\nscaling efficiency up to 4 workers, worst of both stores: {worst:.2f} (target >= 0.9): {worst >= 0.9}")
        figures["worstEfficiency"] = worst
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
        return 0
    finally:
        if fake:
            fake.kill()
        subprocess.run([os.path.join(ROOT, "scripts/postgres-cluster.sh"), "stop", cluster], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
