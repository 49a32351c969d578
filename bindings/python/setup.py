"""Builds the wheel: libloss's shared library compiled by cargo (setuptools-rust,
release profile, debug info stripped) and placed inside the package as
``libloss/libloss.<EXT_SUFFIX>`` beside the Python files that load it with ctypes.

Nothing is written into the source tree: setuptools' ``build/`` and ``*.egg-info``
and cargo's target directory go to a temporary directory (``CARGO_TARGET_DIR`` is
used instead when it is set, so that a caller can share a cargo cache). An editable
install (``pip install -e``) builds the same release library into the package folder;
it never picks up a debug build.
"""

import os
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools_rust import Binding, RustExtension, Strip

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent.parent / "loss-ffi" / "Cargo.toml"
SCRATCH = Path(tempfile.mkdtemp(prefix="libloss-build-"))


class PlatformWheel(bdist_wheel):
    """The library uses no Python C API: one wheel per platform for every Python 3
    (``py3-none-<platform>``), not one per interpreter."""

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


# setuptools-rust runs cargo with exactly this environment (None: the inherited one).
env = None
if "CARGO_TARGET_DIR" not in os.environ:
    env = dict(os.environ, CARGO_TARGET_DIR=str(SCRATCH / "cargo-target"))

setup(
    rust_extensions=[
        RustExtension(
            "libloss.libloss",
            path=os.path.relpath(CRATE, HERE),
            binding=Binding.NoBinding,
            debug=False,
            strip=Strip.Debug,
            py_limited_api=False,
            env=env,
        )
    ],
    cmdclass={"bdist_wheel": PlatformWheel},
    options={
        "build": {"build_base": str(SCRATCH / "build")},
        "egg_info": {"egg_base": str(SCRATCH)},
    },
)
