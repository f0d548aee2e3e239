#!/usr/bin/env python3
"""Writes Sources/Extraction/Vocabulary/drugs.tsv, the drug names chartex recognises in prose and
lists, from the dictionary of the PyPI package drug-named-entity-recognition (MIT licence;
built from DrugBank open data (CC0), MeSH (NLM), MedlinePlus, NHS, PubChem and Wikipedia).

Kept: every generic (non-brand) name, and brand names, each with the generic it stands for; only
entries whose generic has a DrugBank or MedlinePlus identifier (drugs in clinical use), of at most
four words, names of 3 to 40
characters made of letters, digits, spaces and hyphens. Output lines: `name<TAB>generic`, sorted.

Usage: make_drug_vocabulary.py [--wheel drug_named_entity_recognition-2.0.9-py3-none-any.whl]
       (without --wheel it downloads version 2.0.9 from PyPI with pip)
"""
import bz2
import io
import os
import pickle
import re
import zipfile

import pypi_wheel

VERSION = "2.0.9"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "Extraction", "Vocabulary", "drugs.tsv")


def main():
    wheel = pypi_wheel.wheel("drug-named-entity-recognition", VERSION, __doc__)
    with zipfile.ZipFile(wheel) as z:
        data = pickle.load(bz2.open(io.BytesIO(z.read("drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"))))
    canonical = data["drug_canonical_to_data"]
    variants = data["drug_variant_to_canonical"]
    kinds = data["drug_variant_to_variant_data"]
    rows = set()
    for variant, generics in variants.items():
        for generic in generics:
            info = canonical.get(generic) or {}
            if not (info.get("drugbank_id") or info.get("medline_plus_id")) or len(variant.split()) > 4:
                continue
            for name in (variant, generic):
                if 3 <= len(name) <= 40 and re.fullmatch(r"[a-z0-9][a-z0-9 -]*[a-z0-9]", name) and not name.isdigit():
                    rows.add((name, generic if re.fullmatch(r"[a-z0-9][a-z0-9 ,-]*", generic) else name))
    with open(OUT, "w") as fh:
        fh.write(f"# Drug names (generic and brand) with the generic each stands for.\n"
                 f"# Source: drug-named-entity-recognition {VERSION} (PyPI, MIT licence, Fast Data Science), whose\n"
                 f"# dictionary is built from DrugBank open data (CC0), MeSH (NLM), MedlinePlus, NHS, PubChem and\n"
                 f"# Wikipedia. Only entries with a DrugBank or MedlinePlus identifier. Regenerate with\n"
                 f"# scripts/vocabulary/make_drug_vocabulary.py.\n")
        for name, generic in sorted(rows):
            fh.write(f"{name}\t{generic}\n")
    print(f"{len(rows)} names in {OUT}")


if __name__ == "__main__":
    main()
