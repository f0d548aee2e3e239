#!/usr/bin/env bash
# The main job on Samples/: installs what is missing, builds Chartex, imports every sample
# chart into a fresh database (OCR, splitting, rules extraction, validation, grounding), shows
# what was stored, and scores the facts and the OCR text against the generator's ground truth.
#   out/samples.sqlite        the store (0600): documents, pages, words, full-text index
#   out/samples/NAME.jsonl    `chartex ocr --json` of each chart (docs/ocr-json.md)
#   out/samples-export.json   `chartex export` of the store (docs/export.md)
#   out/samples-hybrid.sqlite hybrid extraction (rules + the local model) of a subset — or of
#                             everything with --model-all (about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1
model_files=(Samples/med-list-fax.pdf)
for arg in "$@"; do
  case "$arg" in
    --model-all) model_files=(Samples/) ;;
    *) echo "usage: scripts/run-samples.sh [--model-all]" >&2; exit 64 ;;
  esac
done
# Each stage's wall time, printed as it ends and summed up at the end.
stage_names=(); stage_times=()
stage_start=$(date +%s.%N)
stage() {  # stage NAME: the time since the previous stage ended is NAME's
  local now; now=$(date +%s.%N)
  local took; took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$stage_start" "$now")
  stage_names+=("$1"); stage_times+=("$took"); stage_start=$now
  echo "-- stage '$1' took $took s"
}
scripts/setup.sh
stage "setup + release build"
scripts/setup-model.sh
stage "setup-model (llama-server + model)"
scripts/setup-embedder.sh
stage "setup-embedder (all-MiniLM-L6-v2 for the semantic index)"
chartex=.build/release/chartex
db=out/samples.sqlite
mkdir -p out/samples
rm -f "$db" "$db-wal" "$db-shm"

echo "== chartex ingest Samples/"
"$chartex" ingest --db "$db" Samples/
stage "ingest Samples/ (rules)"
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
echo "== chartex search --semantic 'kidney function'   (by meaning: the semantic index built at ingest)"
"$chartex" search --db "$db" --semantic --limit 5 'kidney function'
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
stage "show, search, sql, facts, export"
python3 scripts/evaluate_facts.py --export out/samples-export.json --samples Samples --floor 0.90
stage "score facts"
echo

echo "== chartex ask (the Samples question set)"
"$chartex" ask --db "$db" --document packet-nguyen.pdf "What is his latest TSH?"
"$chartex" ask --db "$db" --document progress-note-grey-skewed.pdf "Which medication does she take at bedtime?"
python3 scripts/evaluate_ask.py --db "$db" --chartex "$chartex" --floor 0.90
stage "ask"
echo

echo "== OCR accuracy against the generator's text"
for pdf in Samples/*.pdf; do
  "$chartex" ocr --json "$pdf" > "out/samples/$(basename "$pdf" .pdf).jsonl"
done
python3 scripts/evaluate_ocr.py --jsonl-dir out/samples --samples Samples --check
stage "OCR every sample + score"
echo

echo "== The model path: hybrid extraction (rules + the local model, llama-server started by chartex)"
hybrid=out/samples-hybrid.sqlite
rm -f "$hybrid" "$hybrid-wal" "$hybrid-shm"
"$chartex" ingest --db "$hybrid" --local-model --extractor hybrid "${model_files[@]}"
stage "hybrid ingest (local model)"
"$chartex" sql --db "$hybrid" "SELECT section, status, count(*) AS requests, round(avg(seconds), 1) AS avg_seconds FROM extraction WHERE extractor = 'model' GROUP BY section, status"
"$chartex" sql --db "$hybrid" "SELECT extractor, status, alternative, count(*) AS facts FROM fact GROUP BY extractor, status, alternative"
"$chartex" export --db "$hybrid" --out out/samples-hybrid-export.json
scored=()
if [ "${model_files[0]}" != "Samples/" ]; then
  names=$(for f in "${model_files[@]}"; do basename "$f"; done | paste -sd, -)
  scored=(--files "$names")
fi
echo "-- rules alone on the same files"
python3 scripts/evaluate_facts.py --export out/samples-export.json --samples Samples "${scored[@]}" | tail -1
echo "-- hybrid (alternatives — readings kept for review — are not scored)"
python3 scripts/evaluate_facts.py --export out/samples-hybrid-export.json --samples Samples "${scored[@]}" --check-grounding
if [ "${model_files[0]}" != "Samples/" ]; then
  echo "(the local CPU model ran on ${model_files[*]} only; scripts/run-samples.sh --model-all runs it on every sample)"
fi
stage "score hybrid"
echo
echo "== Stage times"
for i in "${!stage_names[@]}"; do printf '%8s s  %s\n' "${stage_times[$i]}" "${stage_names[$i]}"; done
