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
# A real PostgreSQL 15 for the PostgreSQL store's tests: a cluster of its own in a temporary
# folder, on a free port, stopped and removed when the tests end.
pg_dir=$(mktemp -d /tmp/chartex-test-postgres.XXXXXX)
trap 'scripts/postgres-cluster.sh stop "$pg_dir"' EXIT
CHARTEX_TEST_POSTGRES=$(scripts/postgres-cluster.sh start "$pg_dir" --fast)
export CHARTEX_TEST_POSTGRES
swift test 2>&1 | tee .build/test.log | grep -vE '^\[[0-9]+/[0-9]+\]'
status=${PIPESTATUS[0]}
# Workers on several hosts, for real (issue 16): network namespaces joined by veth pairs,
# PostgreSQL in one, a worker in each of two others, one worker's link cut mid-document.
if [ "$status" -eq 0 ]; then
  if [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; then
    python3 scripts/multihost.py --chartex .build/debug/chartex || status=1
  else
    echo "multihost: skipped (needs root for ip netns; run sudo scripts/multihost.py)"
  fi
fi
exit "$status"
