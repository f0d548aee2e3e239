#!/usr/bin/env python3
"""Score extracted facts against expected facts (Samples/ or a generated corpus): field-level
precision, recall and F1 per group, and the precision of the fields chartex marked `verified`.

Items are paired by their key (labs: name + date; vitals: name + date; medications: name;
allergies: substance; problems: name; immunizations: vaccine; encounters: date; the patient
is one item). Names (and the encounter type, provider, facility, reaction) are compared by token
agreement: the Dice coefficient of their word sets is at least 0.7 ("Sodium 141" is not "Sodium",
"Metoprolol" is not "Metoprolol tartrate"). Every field of a paired item counts: equal values are
true positives, a predicted value that differs or is not expected is a false positive, an
expected value not predicted is a false negative. Unpaired items count all their fields.
Verified precision: of the predicted fields whose status is `verified`, the share that are true.

Usage:
  scripts/evaluate_facts.py [--chartex .build/release/chartex] [--samples Samples] [--floor 0.9]
  scripts/evaluate_facts.py --samples DIR --by split    # a corpus from scripts/corpus/make_chart_corpus.py:
                                                         # one column per split (dev, heldout), and their gap
      [--by type|family|scan]                            # or per document type, layout family, scan style
      [--save DIR]                                       # keep each document's `chartex extract` output
      [--json FILE]                                      # the figures as JSON
  scripts/evaluate_facts.py --facts-dir DIR     # saved `chartex extract` output, NAME.jsonl
  scripts/evaluate_facts.py --export FILE       # `chartex export --format json` of an import of Samples/
      [--files a.pdf,b.pdf]                     # only these sample files
      [--check-grounding]                       # also fail if a verified model fact's value is not on its page
      [--floor-verified 0.97]                   # fail when verified precision is below this

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
IGNORED = {"noKnownAllergies"}  # NKDA is scored as its substance
TEXT_FIELDS = ("name", "substance", "vaccine", "reaction", "facility", "provider", "type", "specialty", "reason",
               "referredTo", "diagnosis", "disposition")


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
    """Token agreement: the Dice coefficient of the two word sets is at least 0.7."""
    a, b = norm(a) or "", norm(b) or ""
    if not a or not b:
        return False
    if a == b or re.sub(r"[^a-z0-9]", "", a) == re.sub(r"[^a-z0-9]", "", b):
        return True
    wa, wb = words(a), words(b)
    return 2 * len(wa & wb) / max(1, len(wa) + len(wb)) >= 0.7


def key_match(group, gold, pred):
    for k in KEYS[group]:
        if k in ("name", "substance", "vaccine"):
            if not names_match(gold.get(k), pred.get(k)):
                return False
        elif norm(gold.get(k)) != norm(pred.get(k)):
            return False
    return True


# --show-wrong: the document being scored, for the wrong verified fields printed on stderr.
SHOW_WRONG = []


def score(gold_facts, predicted, statuses=None):
    """Per group [tp, fp, fn, verified, verified and true]."""
    statuses = statuses or {}
    counts = defaultdict(lambda: [0, 0, 0, 0, 0])
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
            for field in (set(g) | set(p)) - IGNORED - {"_item"}:
                gv, pv = g.get(field), p.get(field)
                same = gv is not None and pv is not None and (
                    names_match(gv, pv) if field in TEXT_FIELDS else norm(gv) == norm(pv))
                if pv is not None and statuses.get((group, p.get("_item"), field)) == "verified":
                    counts[group][3] += 1
                    counts[group][4] += 1 if same else 0
                    if not same and SHOW_WRONG:
                        print(f"wrong verified: {SHOW_WRONG[0]}: {group}.{field}: {pv!r} (gold {gv!r})", file=sys.stderr)
                if same:
                    counts[group][0] += 1
                else:
                    if pv is not None:
                        counts[group][1] += 1
                    if gv is not None:
                        counts[group][2] += 1
    return counts


def items(lines):
    """Predicted items per group, and each field's status keyed by (group, item, field)."""
    groups = defaultdict(dict)
    statuses = {}
    for line in lines:
        f = json.loads(line)
        if f.get("alternative"):
            continue
        groups[f["group"]].setdefault(f["item"], {"_item": f["item"]})[f["field"]] = f["value"]
        statuses[(f["group"], f["item"], f["field"])] = f.get("status")
    return {g: [v for _, v in sorted(d.items())] for g, d in groups.items()}, statuses


def figures(counts):
    tp, fp, fn, ver, ver_ok = counts
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1, (ver_ok / ver if ver else None)


def table(title, columns):
    """Prints groups as rows, one F1 / verified-precision pair per column (dict name -> counts)."""
    names = list(columns)
    print(title)
    head = f"{'group':14}" + "".join(f" {n[:22]:>22}" for n in names)
    if len(names) == 2:
        head += f" {'F1 gap':>7}"
    print(head)
    print(f"{'':14}" + "".join(f" {'F1  P  R  verified-P':>22}" for _ in names))
    for group in GROUPS + ["all fields"]:
        row = f"{group:14}"
        f1s = []
        for n in names:
            counts = columns[n]
            c = [sum(x) for x in zip(*counts.values())] if group == "all fields" else counts.get(group, [0] * 5)
            if len(c) < 5 or c[0] + c[1] + c[2] == 0:
                row += f" {'-':>22}"
                f1s.append(None)
                continue
            p, r, f1, vp = figures(c)
            f1s.append(f1)
            row += f" {f1:5.3f} {p:4.2f} {r:4.2f} {('%.3f' % vp) if vp is not None else '-':>6}"
        if len(names) == 2 and None not in f1s:
            row += f" {f1s[0] - f1s[1]:+7.3f}"
        print(row)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=".build/release/chartex")
    ap.add_argument("--samples", default="Samples")
    ap.add_argument("--facts-dir")
    ap.add_argument("--export", help="score a `chartex export --format json` file (documents matched by file name)")
    ap.add_argument("--floor", type=float, default=0.0)
    ap.add_argument("--floor-verified", type=float, default=0.0)
    ap.add_argument("--files", help="comma-separated sample file names to score (default: all)")
    ap.add_argument("--by", choices=["split", "type", "family", "scan"],
                    help="one column per split, document type, layout family or scan style (generated corpora)")
    ap.add_argument("--save", help="directory to keep each document's extract output in (NAME.jsonl)")
    ap.add_argument("--json", help="write the figures as JSON to this file")
    ap.add_argument("--show-wrong", action="store_true", help="print each wrong verified field on stderr")
    ap.add_argument("--check-grounding", action="store_true",
                    help="with --export: every verified fact taken from the model must be on its evidence page")
    ap.add_argument("--extract-args", default="", help="more arguments for `chartex extract` (one string)")
    a = ap.parse_args()
    only = set(a.files.split(",")) if a.files else None
    ungrounded = check_grounding(json.load(open(a.export))) if a.export and a.check_grounding else []
    total = defaultdict(lambda: [0, 0, 0, 0, 0])
    columns = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0, 0]))
    per_document = {}
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    exported = {}
    if a.export:
        for document in json.load(open(a.export))["documents"]:
            exported[document["fileName"]] = [json.dumps({"group": f["group"], "item": f["item"], "field": f["field"],
                                                          "value": f["value"], "status": f["status"]})
                                              for f in document["facts"]
                                              if f["status"] != "rejected" and not f.get("alternative")]
    if a.save:
        os.makedirs(a.save, exist_ok=True)
    for truth_path in sorted(glob.glob(os.path.join(a.samples, "*.expected.json"))):
        truth = json.load(open(truth_path))
        if only is not None and truth["file"] not in only:
            continue
        stem = os.path.splitext(truth["file"])[0]
        if a.export:
            lines = exported.get(truth["file"], [])
        elif a.facts_dir:
            lines = open(os.path.join(a.facts_dir, stem + ".jsonl")).read().splitlines()
        else:
            run = subprocess.run([a.chartex, "extract", *a.extract_args.split(), os.path.join(a.samples, truth["file"])],
                                 env=env, capture_output=True, text=True)
            lines = run.stdout.splitlines()
            if run.returncode != 0:
                print(f"{truth['file']}: chartex extract exited {run.returncode}: {run.stderr.strip()[:300]}",
                      file=sys.stderr)
        if a.save:
            with open(os.path.join(a.save, stem + ".jsonl"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
        predicted, statuses = items(lines)
        if a.show_wrong:
            SHOW_WRONG[:] = [truth["file"] + (f" [{truth['scan']}]" if truth.get("scan") else "")]
        scored = score(truth["facts"], predicted, statuses)
        per_document[truth["file"]] = {g: list(c) for g, c in scored.items()}
        column = truth.get(a.by, "?") if a.by else None
        for group, c in scored.items():
            for i in range(5):
                total[group][i] += c[i]
                if column is not None:
                    columns[column][group][i] += c[i]
    if a.by:
        order = sorted(columns, key=lambda n: (n != "dev", n))
        table(f"by {a.by}: F1, precision, recall, precision of verified fields", {n: columns[n] for n in order})
        print()
    print(f"{'group':14} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'F1':>6} {'verified-P':>10}")
    all_counts = [0, 0, 0, 0, 0]
    for group in GROUPS:
        c = total[group]
        all_counts = [x + y for x, y in zip(all_counts, c)]
        p, r, f1, vp = figures(c)
        print(f"{group:14} {c[0]:4} {c[1]:4} {c[2]:4} {p:9.3f} {r:7.3f} {f1:6.3f} "
              f"{('%.3f' % vp) if vp is not None else '-':>10}")
    p, r, f1, vp = figures(all_counts)
    tp, fp, fn = all_counts[:3]
    print(f"{'all fields':14} {tp:4} {fp:4} {fn:4} {p:9.3f} {r:7.3f} {f1:6.3f} "
          f"{('%.3f' % vp) if vp is not None else '-':>10}")
    if a.json:
        out = {"all": dict(zip(["precision", "recall", "f1", "verifiedPrecision"], figures(all_counts))),
               "documents": per_document}
        if a.by:
            out["by"] = {n: {g: dict(zip(["precision", "recall", "f1", "verifiedPrecision"], figures(c)))
                             for g, c in list(columns[n].items()) + [("all", [sum(x) for x in zip(*columns[n].values())])]}
                         for n in columns}
        json.dump(out, open(a.json, "w"), indent=1)
    if a.check_grounding:
        print(f"verified facts whose value is not on their page: {len(ungrounded)}")
        for line in ungrounded[:20]:
            print("  " + line)
    failed = False
    if f1 < a.floor:
        print(f"FAILED: field-level F1 {f1:.3f} is below the floor {a.floor}")
        failed = True
    if a.floor_verified and (vp or 0) < a.floor_verified:
        print(f"FAILED: precision of verified fields {vp or 0:.3f} is below the floor {a.floor_verified}")
        failed = True
    return 1 if failed or ungrounded else 0


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
