#!/usr/bin/env python3
"""Compile the address matcher's hot modules with mypyc, in place (see addressing/native.py).

    python scripts/build_native.py            # build when the sources changed since the last
    python scripts/build_native.py --force    # build anyway
    python scripts/build_native.py --clean    # remove the build: plain Python again

Needs a C compiler and the Python headers (gcc and a CPython with its include files). The
C sources and objects go to build/native; the extensions land beside the sources.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["TWIN_NATIVE"] = "0"  # this process reads the sources, never an old build

from addressing import native  # noqa: E402


def _built_files() -> list[Path]:
    names = [*native.NATIVE_MODULES, "_native__mypyc"]
    return [p for name in names for p in native.HERE.glob(f"{name}.*.so")]


def clean() -> None:
    for path in _built_files():
        path.unlink()
    native.STAMP.unlink(missing_ok=True)


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    os.chdir(ROOT)
    sources = [f"{native.PACKAGE}/{name}.py" for name in native.NATIVE_MODULES]
    # The stamp names the sources as they were when compiling began: a source edited
    # during the build leaves the build stale, never stamped current.
    compiled = native.sources_hash()
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            extensions = mypycify(["--ignore-missing-imports", *sources], opt_level="3",
                                  group_name=native.GROUP, target_dir="build/native")
            setup(name="cim-twin-native", ext_modules=extensions, script_args=[
                "build_ext", "--inplace", "--build-temp", "build/native/temp"])
    except (Exception, SystemExit) as exc:
        sys.stderr.write(log.getvalue())
        clean()
        raise SystemExit(
            f"native build failed ({exc}); the matcher runs as plain Python") from exc
    native.STAMP.write_text(compiled + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="build even if current")
    ap.add_argument("--clean", action="store_true", help="remove the build")
    args = ap.parse_args()
    if args.clean:
        clean()
        print("native build removed: the matcher runs as plain Python")
        return
    if not args.force and _built_files() and native.build_is_current():
        print("native build is current")
        return
    started = time.monotonic()
    print(f"compiling {', '.join(native.NATIVE_MODULES)} with mypyc …", flush=True)
    build()
    print(f"native build done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
