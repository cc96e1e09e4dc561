"""Files the caller may not read or write: refused before any work, naming the path.

Root reads and writes anything, so when the tests run as root these checks run in a forked
child that has dropped to the `nobody` user first (everything it calls is imported before).
The child keeps root only as its saved user id, unused by the checks (real and effective ids
are nobody's), and takes it back after reporting: coverage's `_exit` patch (pyproject.toml)
then writes what the child ran into the root-owned tree, so these lines count as tested.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli.shell import check_output
from twin.errors import InvalidInput
from twin.sources import check_readable

NOBODY = 65534


def refusal_without_rights(call: Callable[[], None]) -> str:
    """What `call` raises for a user the permissions exclude ("" when it raises nothing)."""
    if os.geteuid() != 0:
        try:
            call()
        except InvalidInput as exc:
            return str(exc)
        return ""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody, call, report, leave without any cleanup of ours
        said = "child failed"
        try:
            os.setresgid(NOBODY, NOBODY, 0)
            os.setresuid(NOBODY, NOBODY, 0)
            assert os.getresuid() == (NOBODY, NOBODY, 0)
            call()
            said = ""
        except InvalidInput as exc:
            said = str(exc)
        finally:
            os.write(write, said.encode())
            os.setresuid(0, 0, 0)
            os.setresgid(0, 0, 0)
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    os.waitpid(pid, 0)
    return said


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder anyone may enter (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="twin-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_an_unreadable_input_is_refused_naming_it(open_folder):
    source = open_folder / "registry.csv"
    source.write_text("name,wkt\n甲,POINT (113.93 22.53)\n", encoding="utf-8")
    source.chmod(0o000)
    said = refusal_without_rights(lambda: check_readable(source))
    assert said == f"{source} cannot be read (permissions)"


def test_an_output_where_the_caller_may_not_write_is_refused(open_folder):
    locked = open_folder / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    said = refusal_without_rights(lambda: check_output(locked / "coded.csv"))
    assert said == f"cannot write {locked / 'coded.csv'}: permission denied"
    mine = open_folder / "theirs.csv"
    mine.write_text("x\n")
    mine.chmod(0o444)
    said = refusal_without_rights(lambda: check_output(mine))
    assert said == f"cannot write {mine}: permission denied"
