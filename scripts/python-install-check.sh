#!/usr/bin/env bash
# The Python package installs like a real one: from a clean copy of the sources,
#   1. `pip wheel` gives a platform wheel (py3-none-linux_x86_64 here, not
#      py3-none-any) that holds the release library and py.typed;
#   2. `pip install <copy>/bindings/python` into a fresh venv compiles it with cargo and
#      writes nothing into the copy (no build/, no *.egg-info);
#   3. `import libloss` then works from another folder with no LIBLOSS_PATH, loading
#      the library bundled in site-packages, and computes a loss;
#   4. an editable install (`pip install -e`) loads a release build (no debug info),
#      never a debug one.
# Cargo's build is cached in target/python-package (CARGO_TARGET_DIR), so a warm run
# takes seconds plus pip's own work.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "python install check: $*" >&2; exit 1; }

echo "  a clean copy of the sources (tracked and new files)"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
( cd "$work/src" && find . -type f | sort ) > "$work/before.txt"

export CARGO_TARGET_DIR="$root/target/python-package"
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m venv "$work/venv"
py="$work/venv/bin/python"

echo "  pip wheel (cargo build --release inside; a few minutes from scratch)"
"$py" -m pip wheel -q --no-deps -w "$work/wheels" "$work/src/bindings/python"
wheel=$(ls "$work/wheels"/*.whl)
plat=$("$py" -c 'import sysconfig; print(sysconfig.get_platform().replace("-", "_").replace(".", "_"))')
case "$(basename "$wheel")" in
  libloss-*-py3-none-"$plat".whl) echo "  $(basename "$wheel")" ;;
  *) fail "wheel $(basename "$wheel") is not tagged py3-none-$plat" ;;
esac
"$py" - "$wheel" <<'PY' || fail "wheel contents"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
libs = [n for n in names if n.startswith("libloss/libloss") and n.endswith(".so")]
assert len(libs) == 1, names
assert "libloss/py.typed" in names, names
print("  holds", libs[0], "and libloss/py.typed")
PY

echo "  pip install <copy>/bindings/python into a fresh venv"
"$py" -m pip install -q "$work/src/bindings/python"
( cd "$work/src" && find . -type f | sort ) > "$work/after.txt"
if ! diff -u "$work/before.txt" "$work/after.txt"; then fail "pip install wrote into the source copy"; fi
[ ! -e "$work/src/bindings/python/build" ] || fail "a build/ folder appeared"

echo "  import libloss from another folder, no LIBLOSS_PATH"
mkdir "$work/elsewhere"
( cd "$work/elsewhere" && env -u LIBLOSS_PATH "$py" - <<'PY' ) || fail "import from site-packages"
import os, sys, sysconfig
import numpy as np
import libloss
site = sysconfig.get_paths()["purelib"]
assert str(libloss.library_path).startswith(site), (libloss.library_path, site)
loss, grad = libloss.huber(np.array([[0, 1], [2, 3]], np.float32), np.ones((2, 2), np.float32))
assert abs(float(loss) - 0.625) < 1e-7 and grad.dtype == np.float32, (loss, grad)
print("  loaded", os.path.basename(libloss.library_path), "from site-packages; huber = 0.625")
PY
libso=$("$py" -c 'import libloss; print(libloss.library_path)')
if readelf -S -W "$libso" | grep -q '\.debug_info'; then fail "the bundled library has debug info"; fi

echo "  editable install (pip install -e) loads a release build"
python3 -m venv "$work/venv-e"
"$work/venv-e/bin/python" -m pip install -q -e "$work/src/bindings/python"
libe=$(cd "$work/elsewhere" && env -u LIBLOSS_PATH "$work/venv-e/bin/python" -c 'import libloss; print(libloss.library_path)')
case "$libe" in
  "$work/src/bindings/python/libloss/"*) ;;
  *) fail "the editable install loaded $libe" ;;
esac
if readelf -S -W "$libe" | grep -q '\.debug_info'; then fail "the editable install built a debug library"; fi
echo "  $(basename "$libe") in the package folder, release build"
