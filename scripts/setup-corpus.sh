#!/usr/bin/env bash
# The Python packages of the sample and scan-corpus generators (Pillow, NumPy, reportlab) and of
# the API and export tests (openapi-spec-validator: /openapi.json is checked as OpenAPI 3;
# fhir.resources: the FHIR export is validated with its R4B models), in a
# virtual environment cached outside the checkout: $CHARTEX_CACHE/venv-corpus (default
# ~/.cache/chartex). Idempotent: a working environment is reused. The tests generate their
# small scan subset with it; scripts/bench_scans.py generates the dev and test splits.
set -euo pipefail
cache="${CHARTEX_CACHE:-$HOME/.cache/chartex}"
venv="$cache/venv-corpus"
check='import PIL, numpy, reportlab, openapi_spec_validator, fhir.resources.R4B, importlib.metadata as m; assert PIL.__version__ == "11.3.0" and numpy.__version__ == "2.2.6" and reportlab.Version == "4.4.4" and m.version("openapi-spec-validator") == "0.7.2" and m.version("fhir.resources") == "8.3.0"'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "setup-corpus: installing Pillow, NumPy, reportlab, openapi-spec-validator and fhir.resources into $venv" >&2
mkdir -p "$cache"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pillow==11.3.0" "numpy==2.2.6" "reportlab==4.4.4" "openapi-spec-validator==0.7.2" "fhir.resources==8.3.0"
"$venv/bin/python" -c "$check"
