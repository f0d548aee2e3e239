#!/usr/bin/env python3
"""Writes Sources/Extraction/Vocabulary/english-words.tsv, the English words chartex checks names read by OCR
against ("deficlency", "lodinated" are in no dictionary: the OCR misread them), from the `web2` list of the PyPI
package english-words (MIT licence), which is FreeBSD's /usr/share/dict/web2: Webster's Second International
Dictionary (1934), public domain.

Kept: lower-case words of four letters or more, letters only (shorter words are not checked). Inflections are not in
web2 ("peanuts", "iodinated"); chartex strips the usual suffixes before looking a word up.

Usage: make_word_list.py [--wheel english_words-2.0.2-py3-none-any.whl]
       (without --wheel it downloads version 2.0.2 from PyPI with pip)
"""
import io
import os
import pickle
import re
import zipfile

import pypi_wheel

VERSION = "2.0.2"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "Extraction", "Vocabulary", "english-words.tsv")


def main():
    wheel = pypi_wheel.wheel("english-words", VERSION, __doc__)
    with zipfile.ZipFile(wheel) as z:
        words = pickle.load(io.BytesIO(z.read("english_words/data/web2_lower.pickle")))
    kept = sorted({w for w in words if len(w) >= 4 and re.fullmatch(r"[a-z]+", w)})
    with open(OUT, "w") as fh:
        fh.write(f"# English words of four letters or more, lower case, one per line.\n"
                 f"# Source: the web2 list of english-words {VERSION} (PyPI, MIT licence), FreeBSD's share/dict/web2:\n"
                 f"# Webster's Second International Dictionary (1934), public domain. Regenerate with\n"
                 f"# scripts/vocabulary/make_word_list.py.\n")
        for w in kept:
            fh.write(w + "\n")
    print(f"{len(kept)} words in {OUT}")


if __name__ == "__main__":
    main()
