#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test on real Poppler,
# Tesseract and the Samples/ charts.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1   # Tesseract: one OpenMP thread per engine (see FINDINGS)
scripts/setup.sh --debug
scripts/setup-model.sh   # llama-server + the local model, cached outside the checkout (built once)
scripts/setup-corpus.sh  # Pillow/NumPy/reportlab for the scan-corpus generator, cached likewise
scripts/setup-embedder.sh  # all-MiniLM-L6-v2 for the semantic index (sha256-checked, cached likewise)
swift test 2>&1 | tee .build/test.log | grep -vE '^\[[0-9]+/[0-9]+\]'
exit "${PIPESTATUS[0]}"
