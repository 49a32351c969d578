#!/usr/bin/env bash
# Installs what the tests need and is missing, from the package registries only:
#   Debian packages (apt-get): gcc, g++, git, valgrind, cmake, pkg-config, OpenMPI
#     (libopenmpi-dev, openmpi-bin), python3 with venv and pip (python3-venv),
#     the sanitizer runtimes (libasan8, libubsan1);
#   rustup components: clippy, rustfmt.
# The Python packages (numpy, pytest, setuptools-rust) go into virtual environments
# under target/ from PyPI (scripts/python-check.sh, scripts/python-install-check.sh),
# and cargo-fuzz from crates.io (scripts/fuzz-smoke.sh). Nothing is installed when
# everything is there. apt-get runs as root, or through sudo when that exists.
# Called by scripts/test.sh; safe to run again.
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v mpicc >/dev/null 2>&1 || need_apt+=(libopenmpi-dev)
command -v mpirun >/dev/null 2>&1 || need_apt+=(openmpi-bin)
command -v strip >/dev/null 2>&1 || need_apt+=(binutils)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# Debian splits venv and ensurepip out of python3.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
# libasan/libubsan come with gcc on Debian; check by linking a probe.
probe=$(mktemp)
if ! echo "int main(void){return 0;}" | cc -fsanitize=address,undefined -x c - -o "$probe" 2>/dev/null; then
  need_apt+=(libasan8 libubsan1)
fi
rm -f "$probe"

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "setup: need root (or sudo) to install ${need_apt[*]}" >&2
      exit 1
    }
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${need_apt[@]}"
else
  echo "setup: every Debian package the tests need is installed"
fi

if command -v rustup >/dev/null 2>&1; then
  for c in clippy rustfmt; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      echo "setup: installing the rustup component $c"
      rustup component add "$c"
    fi
  done
fi
