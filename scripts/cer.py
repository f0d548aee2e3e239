#!/usr/bin/env python3
"""Character error rate of OCR text against Samples ground truth.

CER = Levenshtein distance / length of the reference, after normalising both texts the same
way: each line's whitespace collapsed to one space, empty lines dropped, lines joined by "\n".

Usage:
  cer.py --truth Samples/x.expected.json --page N --text FILE   one page
  cer.py --truth Samples/x.expected.json --pages-text FILE      pages separated by form feeds
"""
import argparse
import json
import sys


def normalise(text):
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(hypothesis, reference):
    h, r = normalise(hypothesis), normalise(reference)
    if not r:
        return (0.0 if not h else 1.0), len(h), 0
    d = levenshtein(h, r)
    return d / len(r), d, len(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--page", type=int)
    ap.add_argument("--text")
    ap.add_argument("--pages-text")
    a = ap.parse_args()
    truth = json.load(open(a.truth))
    if a.pages_text:
        pages = open(a.pages_text).read().split("\f")
        for p in truth["pages"]:
            hyp = pages[p["number"] - 1] if p["number"] - 1 < len(pages) else ""
            rate, d, n = cer(hyp, p["text"])
            print(f"{truth['file']}\t{p['number']}\t{p.get('kind')}\t{rate:.4f}\t{d}/{n}")
    else:
        ref = truth["pages"][a.page - 1]["text"]
        rate, d, n = cer(open(a.text).read(), ref)
        print(f"{rate:.4f}\t{d}/{n}")


if __name__ == "__main__":
    sys.exit(main())
