#!/usr/bin/env bash
# Runs the Python binding's tests (bindings/python/tests: every reference case of
# tests/reference/*.json through the Python API, and the error tests) against a
# freshly built libloss, in a virtual environment under target/python-venv with
# numpy and pytest from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import numpy, pytest' 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check numpy pytest
fi

cargo build -q -p loss-ffi
export LIBLOSS_PATH="$PWD/target/debug/libloss.so"
cd bindings/python
"../../$venv/bin/python" -m pytest -q "$@"
