#!/usr/bin/env bash
# The main job on Samples/: installs what is missing, builds Chartex, reads every sample chart
# and scores the text against the generator's ground truth.
#   out/samples/NAME.jsonl   one JSON object per page: text, words with boxes and confidences,
#                            lines, blocks, rotation, skew, timings (docs/ocr-json.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1
scripts/setup.sh
mkdir -p out/samples
for pdf in Samples/*.pdf; do
  name=$(basename "$pdf" .pdf)
  start=$(date +%s.%N)
  .build/release/chartex ocr --json "$pdf" > "out/samples/$name.jsonl"
  printf 'read %-40s %2d pages in %5.1f s -> out/samples/%s.jsonl\n' "$pdf" \
    "$(wc -l < "out/samples/$name.jsonl")" "$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")" "$name"
done
echo
echo "First lines of Samples/progress-note-grey-skewed.pdf as read:"
.build/release/chartex ocr --pages 1 Samples/progress-note-grey-skewed.pdf | head -8
echo
python3 scripts/evaluate_ocr.py --jsonl-dir out/samples --samples Samples --check
