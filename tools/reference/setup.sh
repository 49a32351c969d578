#!/usr/bin/env bash
# Makes .venv-reference (git-ignored) with the pinned anchor frameworks of
# tools/reference/requirements.txt. Run by hand; never in CI (about 3 GB: TensorFlow, torch and jax).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv .venv-reference
.venv-reference/bin/pip install -q --upgrade pip
.venv-reference/bin/pip install -q -r tools/reference/requirements.txt
echo "now: .venv-reference/bin/python tools/reference/generate.py nan"
