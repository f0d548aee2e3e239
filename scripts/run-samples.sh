#!/usr/bin/env bash
# The main job on Samples/: installs what is missing, builds Chartex, imports every sample
# chart into a fresh database (OCR, splitting, rules extraction, validation, grounding), shows
# what was stored, and scores the facts and the OCR text against the generator's ground truth.
#   out/samples.sqlite        the store (0600): documents, pages, words, full-text index
#   out/samples/NAME.jsonl    `chartex ocr --json` of each chart (docs/ocr-json.md)
#   out/samples-export.json   `chartex export` of the store (docs/export.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1
scripts/setup.sh
chartex=.build/release/chartex
db=out/samples.sqlite
mkdir -p out/samples
rm -f "$db" "$db-wal" "$db-shm"

echo "== chartex ingest Samples/"
start=$(date +%s.%N)
"$chartex" ingest --db "$db" Samples/
python3 -c "import sys; print(f'import took {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$start" "$(date +%s.%N)"
echo
echo "== chartex status"
"$chartex" status --db "$db"
echo
echo "== chartex documents"
"$chartex" documents --db "$db"
echo
echo "== chartex show packet-nguyen.pdf"
"$chartex" show --db "$db" packet-nguyen.pdf
echo
echo "== chartex search 'metformin OR furosemide'"
"$chartex" search --db "$db" 'metformin OR furosemide'
echo
echo "== chartex sql (the start of the lab report)"
"$chartex" sql --db "$db" "SELECT p.number AS page, substr(p.text, 1, 60) AS start FROM page p JOIN document d ON d.id = p.documentId WHERE d.fileName = 'lab-report-200dpi.pdf'"
echo
echo "== chartex facts --document progress-note-grey-skewed.pdf --group medications"
"$chartex" facts --db "$db" --document progress-note-grey-skewed.pdf --group medications
echo
echo "== facts needing review"
"$chartex" facts --db "$db" --status needs_review
"$chartex" export --db "$db" --out out/samples-export.json
echo
echo "exported to out/samples-export.json"
echo
echo "== Extracted facts against the expected facts (field-level, rules extractor)"
python3 scripts/evaluate_facts.py --export out/samples-export.json --samples Samples --floor 0.90
echo

echo "== chartex ask (the Samples question set)"
"$chartex" ask --db "$db" --document packet-nguyen.pdf "What is his latest TSH?"
"$chartex" ask --db "$db" --document progress-note-grey-skewed.pdf "Which medication does she take at bedtime?"
python3 scripts/evaluate_ask.py --db "$db" --chartex "$chartex" --floor 0.90
echo

echo "== OCR accuracy against the generator's text"
for pdf in Samples/*.pdf; do
  "$chartex" ocr --json "$pdf" > "out/samples/$(basename "$pdf" .pdf).jsonl"
done
python3 scripts/evaluate_ocr.py --jsonl-dir out/samples --samples Samples --check
