"""The matcher's hot modules compiled to C (mypyc), used only while the build is current.

`scripts/build_native.py` compiles NATIVE_MODULES in place: an extension module next to
each source file, and one shared library (`addressing/_native__mypyc…so`) that holds
their code and calls between them directly. It writes the hash of their sources to
`addressing/native.stamp`. Python imports an extension before a source of the same name,
so a build older than its sources would run old code: `use_current_build`, called when
`addressing` is imported, loads every one of them from its source instead (slower, never
wrong) unless the stamp matches the sources, and warns how to rebuild. TWIN_NATIVE=0 loads
them from source always. Either way they are the same code with the same answers.

Compiled, a dataclass's generated `__init__` still runs as interpreted Python, about ten
times slower than one written in the class: the classes made once per address or per
element (NormalizedText, Element, ParsedAddress, GeocodeResult, Found) are dataclasses
with `init=False` and an `__init__` of their own.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "addressing"
NATIVE_MODULES = ("normalize", "lexicon", "admin_names", "admin_chains", "admin_lookup",
                  "admin", "street_numbers", "parse", "index", "below", "edit_scan",
                  "within_areas", "name_readings", "descend", "answers",
                  "compound_readings", "street_places", "match")
GROUP = f"{PACKAGE}._native"  # the shared library is addressing/_native__mypyc
HERE = Path(__file__).resolve().parent
STAMP = HERE / "native.stamp"


def sources_hash(root: Path = HERE) -> str:
    """One hash over the native modules' sources (and the list of them)."""
    digest = hashlib.sha256(" ".join(NATIVE_MODULES).encode())
    for name in NATIVE_MODULES:
        digest.update((root / f"{name}.py").read_bytes())
    return digest.hexdigest()


def build_is_current(root: Path = HERE) -> bool:
    """The stamp of the last native build names these very sources."""
    stamp = root / STAMP.name
    return stamp.is_file() and stamp.read_text().strip() == sources_hash(root)


def wanted() -> bool:
    """TWIN_NATIVE=0 (or false/no/off) turns the native modules off."""
    from twin.settings import MatcherSettings

    return MatcherSettings().native


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the native modules' `.py` files, ahead of the extensions beside them."""

    def __init__(self, root: Path):
        self.root = root

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in NATIVE_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, self.root / f"{name}.py")


def use_current_build() -> None:
    """Load the native modules from source unless a current build of them is wanted."""
    if not any(any(HERE.glob(f"{name}.*.so")) for name in NATIVE_MODULES):
        return  # nothing compiled: plain imports find the sources
    if any(isinstance(f, _FromSource) for f in sys.meta_path):
        return
    if wanted() and build_is_current():
        return
    if wanted():
        warnings.warn(
            "addressing: the native build is older than its sources, so the matcher runs "
            "as plain Python (slower); rebuild it with `python scripts/build_native.py`",
            RuntimeWarning, stacklevel=3)
    sys.meta_path.insert(0, _FromSource(HERE))


def loaded() -> bool:
    """Whether the native modules imported so far are the compiled ones."""
    modules = [sys.modules.get(f"{PACKAGE}.{name}") for name in NATIVE_MODULES]
    files = [m.__file__ or "" for m in modules if m is not None]
    return bool(files) and all(f.endswith(".so") for f in files)
