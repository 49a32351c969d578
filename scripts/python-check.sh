#!/usr/bin/env bash
# Runs the Python binding's tests (bindings/python/tests: every reference case of
# tests/reference/*.json through the Python API, half precision, and the error tests)
# against a freshly built libloss, in a virtual environment under target/python-venv
# with numpy, pytest and ml_dtypes (for the bfloat16 tests; the package itself does not
# need it, and those tests are skipped where it is missing) from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import numpy, pytest, ml_dtypes' 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check numpy pytest ml_dtypes
fi

cargo build -q -p loss-ffi
export LIBLOSS_PATH="$PWD/target/debug/libloss.so"
cd bindings/python
"../../$venv/bin/python" -m pytest -q "$@"
