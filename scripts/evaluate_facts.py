#!/usr/bin/env python3
"""Score extracted facts against the expected facts of Samples/ (field-level precision,
recall and F1 per group, printed as a table).

Items are paired by their key (labs: name + date; vitals: name + date; medications: name;
allergies: substance; problems: name; immunizations: vaccine; encounters: date; the patient
is one item). Names match when one contains the other or they share most of their words,
ignoring case and punctuation. Every field of a paired item counts: equal values are true
positives, a predicted value that differs or is not expected is a false positive, an expected
value not predicted is a false negative. Unpaired items count all their fields.

Usage:
  scripts/evaluate_facts.py [--chartex .build/release/chartex] [--samples Samples] [--floor 0.9]
  scripts/evaluate_facts.py --facts-dir DIR     # saved `chartex extract` output, NAME.jsonl
  scripts/evaluate_facts.py --export FILE       # `chartex export --format json` of an import of Samples/
      [--files a.pdf,b.pdf]                     # only these sample files
      [--check-grounding]                       # also fail if a verified model fact's value is not on its page

Facts marked `alternative` (a reading kept for the reviewer, not the item's value) are not scored.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

GROUPS = ["patient", "encounters", "problems", "medications", "allergies", "vitals", "labs", "immunizations"]
KEYS = {"labs": ["name", "date"], "vitals": ["name", "date"], "medications": ["name"], "allergies": ["substance"],
        "problems": ["name"], "immunizations": ["vaccine"], "encounters": ["date"], "patient": []}
IGNORED = {"type", "noKnownAllergies"}  # encounter type is free text in the truth; NKDA is scored as its substance


def norm(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(float(value))
    text = str(value).strip().lower()
    try:
        return repr(float(text))
    except ValueError:
        pass
    return re.sub(r"[^a-z0-9/<>=.%^-]+", " ", text).strip()


def words(text):
    return set(re.findall(r"[a-z0-9]+", str(text).lower()))


def names_match(a, b):
    a, b = norm(a) or "", norm(b) or ""
    if not a or not b:
        return False
    if a == b or a in b or b in a:
        return True
    wa, wb = words(a), words(b)
    return len(wa & wb) / max(1, min(len(wa), len(wb))) >= 0.6


def key_match(group, gold, pred):
    for k in KEYS[group]:
        if k in ("name", "substance", "vaccine"):
            if not names_match(gold.get(k), pred.get(k)):
                return False
        elif norm(gold.get(k)) != norm(pred.get(k)):
            return False
    return True


def score(gold_facts, predicted):
    counts = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for group in GROUPS:
        gold = gold_facts.get(group) or []
        if isinstance(gold, dict):
            gold = [gold]
        pred = predicted.get(group, [])
        used = set()
        pairs = []
        for g in gold:
            for i, p in enumerate(pred):
                if i not in used and key_match(group, g, p):
                    used.add(i)
                    pairs.append((g, p))
                    break
            else:
                pairs.append((g, {}))
        pairs += [({}, p) for i, p in enumerate(pred) if i not in used]
        for g, p in pairs:
            for field in (set(g) | set(p)) - IGNORED:
                gv, pv = g.get(field), p.get(field)
                same = gv is not None and pv is not None and (
                    names_match(gv, pv) if field in ("name", "substance", "vaccine", "reaction", "facility", "provider")
                    else norm(gv) == norm(pv))
                if same:
                    counts[group][0] += 1
                else:
                    if pv is not None:
                        counts[group][1] += 1
                    if gv is not None:
                        counts[group][2] += 1
    return counts


def items(lines):
    groups = defaultdict(dict)
    for line in lines:
        f = json.loads(line)
        groups[f["group"]].setdefault(f["item"], {})[f["field"]] = f["value"]
    return {g: [v for _, v in sorted(d.items())] for g, d in groups.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--facts-dir")
    ap.add_argument("--export", help="score a `chartex export --format json` file (documents matched by file name)")
    ap.add_argument("--floor", type=float, default=0.0)
    ap.add_argument("--files", help="comma-separated sample file names to score (default: all)")
    ap.add_argument("--check-grounding", action="store_true",
                    help="with --export: every verified fact taken from the model must be on its evidence page")
    a = ap.parse_args()
    only = set(a.files.split(",")) if a.files else None
    ungrounded = check_grounding(json.load(open(a.export))) if a.export and a.check_grounding else []
    total = defaultdict(lambda: [0, 0, 0])
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    exported = {}
    if a.export:
        for document in json.load(open(a.export))["documents"]:
            exported[document["fileName"]] = [json.dumps({"group": f["group"], "item": f["item"], "field": f["field"],
                                                          "value": f["value"]}) for f in document["facts"]
                                              if f["status"] != "rejected" and not f.get("alternative")]
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if only is not None and truth["file"] not in only:
            continue
        if a.export:
            lines = exported.get(truth["file"], [])
        elif a.facts_dir:
            lines = open(os.path.join(a.facts_dir, os.path.splitext(truth["file"])[0] + ".jsonl")).read().splitlines()
        else:
            lines = subprocess.run([a.chartex, "extract", os.path.join(a.samples, truth["file"])], env=env,
                                   capture_output=True, text=True).stdout.splitlines()
        for group, c in score(truth["facts"], items(lines)).items():
            for i in range(3):
                total[group][i] += c[i]
    print(f"{'group':14} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'F1':>6}")
    all_counts = [0, 0, 0]
    for group in GROUPS:
        tp, fp, fn = total[group]
        all_counts = [x + y for x, y in zip(all_counts, (tp, fp, fn))]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{group:14} {tp:4} {fp:4} {fn:4} {p:9.3f} {r:7.3f} {f1:6.3f}")
    tp, fp, fn = all_counts
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{'all fields':14} {tp:4} {fp:4} {fn:4} {p:9.3f} {r:7.3f} {f1:6.3f}")
    if a.check_grounding:
        print(f"verified facts whose value is not on their page: {len(ungrounded)}")
        for line in ungrounded[:20]:
            print("  " + line)
    if f1 < a.floor:
        print(f"FAILED: field-level F1 {f1:.3f} is below the floor {a.floor}")
        return 1
    return 1 if ungrounded else 0


def fold(text):
    """Lowercase letters and digits only, OCR look-alikes folded (as chartex's grounding does)."""
    text = re.sub(r"[^a-z0-9]", "", str(text).lower().replace("rn", "m"))
    return text.translate(str.maketrans("olisb", "01158"))


DATE = re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


def iso_dates(text):
    """ISO forms of the numeric dates in a text (m/d/yyyy, m-d-yy, yyyy-mm-dd)."""
    found = set()
    for m in DATE.finditer(str(text)):
        if m.group(4):
            found.add(f"{m.group(4)}-{m.group(5)}-{m.group(6)}")
        else:
            year = int(m.group(3))
            year += 2000 if year < 40 else 1900 if year < 100 else 0
            found.add(f"{year:04d}-{int(m.group(1)):02d}-{int(m.group(2)):02d}")
    return found


def check_grounding(export):
    """Verified facts taken from the model alone whose value does not occur in their evidence
    page's text. (The rules read every value from its evidence line; some of their values are
    inferred from it — a status from the section, a date from the report header, a canonical
    vital name for "BP" — so a literal check does not apply to them.)"""
    problems = []
    for document in export["documents"]:
        pages = {p["number"]: fold(p.get("text") or "") for p in document["pages"]}
        dates = {p["number"]: iso_dates(p.get("text") or "") for p in document["pages"]}
        for f in document["facts"]:
            if f["status"] != "verified" or f["extractor"] != "model":
                continue
            evidence = f.get("evidence") or {}
            page = pages.get(evidence.get("page"))
            raw, value = fold(f.get("rawValue") or ""), fold(f.get("value") or "")
            on_page = page is not None and (not raw or raw in page or (value and value in page)
                                            or f.get("value") in dates.get(evidence.get("page"), set()))
            if not on_page:
                problems.append(f'{document["fileName"]} p{evidence.get("page")} {f["group"]}#{f["item"]}.{f["field"]} '
                                f'= {f.get("rawValue")!r} ({f["extractor"]})')
    return problems


if __name__ == "__main__":
    sys.exit(main())
