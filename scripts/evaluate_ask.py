#!/usr/bin/env python3
"""Score `chartex ask` on the Samples question set (Samples/questions.jsonl).

Each line: {document, question, gold, type}. An answer is correct when the gold text appears
in it (case-insensitive; "not stated" must be the whole answer). Every answer must carry at
least one citation or be "not stated". Prints a table per question type and the total.

Usage: scripts/evaluate_ask.py --db DB [--chartex .build/release/chartex] [--floor 0.9]
(DB: a store that has imported Samples/, e.g. out/samples.sqlite from scripts/run-samples.sh)
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--questions", default="Samples/questions.jsonl")
    ap.add_argument("--floor", type=float, default=0.0)
    a = ap.parse_args()
    by_type = defaultdict(lambda: [0, 0])
    uncited = 0
    wrong = []
    for line in open(a.questions):
        q = json.loads(line)
        run = subprocess.run([a.chartex, "ask", "--db", a.db, "--document", q["document"], "--json", q["question"]],
                             capture_output=True, text=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
        try:
            answer = json.loads(run.stdout)
        except json.JSONDecodeError:
            answer = {"answer": f"(error: {run.stderr.strip()})", "citations": []}
        text = answer["answer"]
        if q["gold"] == "not stated":
            ok = text == "not stated"
        else:
            ok = q["gold"].lower() in text.lower()
        if text != "not stated" and not answer.get("citations"):
            uncited += 1
            ok = False
        by_type[q["type"]][0] += ok
        by_type[q["type"]][1] += 1
        if not ok:
            wrong.append(f"  {q['document']}: {q['question']!r} -> {text!r} (gold {q['gold']!r})")
    correct = sum(c for c, _ in by_type.values())
    total = sum(n for _, n in by_type.values())
    print(f"{'type':26} {'correct':>7} {'of':>4}")
    for t in sorted(by_type):
        print(f"{t:26} {by_type[t][0]:7} {by_type[t][1]:4}")
    print(f"{'all':26} {correct:7} {total:4}  ({correct / total:.1%}); answers without a citation: {uncited}")
    if wrong:
        print("wrong:")
        print("\n".join(wrong))
    return 1 if correct / total < a.floor or uncited else 0


if __name__ == "__main__":
    sys.exit(main())
