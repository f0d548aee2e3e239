#!/usr/bin/env python3
"""Score `chartex ask` on a question set.

Two formats, one per line:
  Samples/questions.jsonl: {document, question, gold, type}. Correct when the gold text appears in
    the answer (case-insensitive; "not stated" must be the whole answer).
  scripts/corpus/make_questions.py: {document, question, kind, gold, exclude, split, intent, ...}.
    date: the answer's first ISO date is gold; yes/no: the answer starts with gold; number: the
    answer's first number is gold; text: the answer holds gold's words as whole words; list: the
    answer names every gold item and no `exclude` item; gold "not stated": the whole answer is
    "not stated".
Every answer other than "not stated" must cite at least one source. Prints a table by kind (or
`--by` another field), per split when the set has splits, and the total.

Usage: scripts/evaluate_ask.py --db DB [--questions FILE] [--chartex .build/release/chartex]
                               [--by kind|intent|type|family] [--floor 0.9] [--show-wrong dev|all|none] [--json]
(DB: a store that has imported the questions' documents, e.g. out/samples.sqlite from scripts/run-samples.sh)
"""
import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor


def words(text):
    return re.sub(r"[^a-z0-9/.]+", " ", text.lower().replace("-", " ")).split()


def holds(answer, gold):
    """Whether gold's words appear in the answer, in order, as whole words."""
    a, g = words(answer), words(gold)
    if not g:
        return False
    return any(a[i:i + len(g)] == g for i in range(len(a) - len(g) + 1))


def first_number(text):
    text = re.sub(r"\d{4}-\d{2}-\d{2}", " ", text)
    m = re.search(r"(?<![\w.])[<>]?(\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


def same_number(a, b):
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def correct(q, text):
    gold = q["gold"]
    if gold == "not stated":
        return text == "not stated"
    if "kind" not in q:  # the Samples format
        return gold.lower() in text.lower()
    if text == "not stated":
        return False
    kind = q["kind"]
    if kind == "date":
        m = re.search(r"\d{4}-\d{2}-\d{2}", text)
        return bool(m) and m.group(0) == gold
    if kind == "yes/no":
        return text.lower().lstrip().startswith(gold)
    if kind == "number":
        return same_number(first_number(text), gold)
    if kind == "text":
        return holds(text, gold)
    if kind == "list":
        return all(holds(text, g) for g in gold) and not any(holds(text, x) for x in q.get("exclude", []))
    raise ValueError(f"unknown kind {kind}")


def ask(chartex, db, q):
    run = subprocess.run([chartex, "ask", "--db", db, "--document", q["document"], "--json", "--no-model", q["question"]],
                         capture_output=True, text=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError:
        return {"answer": f"(error: {run.stderr.strip()})", "citations": []}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--questions", default="Samples/questions.jsonl")
    ap.add_argument("--by", default=None, help="group by this field (default: kind, or type for Samples)")
    ap.add_argument("--floor", type=float, default=0.0, help="fail below this accuracy (every split)")
    ap.add_argument("--kind-floor", type=float, default=0.0, help="fail when a kind of a split is below this")
    ap.add_argument("--show-wrong", default="dev", help="dev, all or none: which wrong answers to print")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args()
    questions = [json.loads(line) for line in open(a.questions) if line.strip()]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda q: ask(a.chartex, a.db, q), questions))
    by = a.by or ("kind" if "kind" in questions[0] else "type")
    table = defaultdict(lambda: [0, 0])
    uncited = 0
    wrong = []
    for q, answer in zip(questions, answers):
        text = answer["answer"]
        ok = correct(q, text)
        if text != "not stated" and not answer.get("citations"):
            uncited += 1
            ok = False
        split = q.get("split", "all")
        for key in ((split, q[by]), (split, "all")):
            table[key][0] += ok
            table[key][1] += 1
        if not ok and (a.show_wrong == "all" or a.show_wrong == split or a.show_wrong == "dev" and split == "all"):
            wrong.append(f"  [{split}] {q['document']}: {q['question']!r} -> {text!r} (gold {q['gold']!r}"
                         + (f", not {q['exclude']!r}" if q.get("exclude") else "") + f"; {answer.get('intent')})")
    splits = sorted({s for s, _ in table}, key=lambda s: (s != "dev", s))
    keys = sorted({k for _, k in table if k != "all"}) + ["all"]
    if a.json:
        print(json.dumps({s: {k: {"correct": table[(s, k)][0], "of": table[(s, k)][1]} for k in keys if (s, k) in table}
                          for s in splits}, indent=1))
    else:
        print(f"{by:26}" + "".join(f" {s:>16}" for s in splits))
        for k in keys:
            cells = []
            for s in splits:
                c, n = table.get((s, k), (0, 0))
                cells.append(f" {f'{c}/{n} {c / n:.2f}' if n else '-':>16}")
            print(f"{k:26}" + "".join(cells))
        print(f"answers without a citation: {uncited}")
        if wrong:
            print("wrong:")
            print("\n".join(wrong))
    failed = uncited > 0
    for s in splits:
        c, n = table[(s, "all")]
        failed |= c / n < a.floor
        failed |= any(table[(s, k)][1] and table[(s, k)][0] / table[(s, k)][1] < a.kind_floor for k in keys if (s, k) in table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
