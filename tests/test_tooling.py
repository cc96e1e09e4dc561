"""The tree passes the project's own linters: ruff over everything, mypy over the packages."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["mypy"]], ids=["ruff", "mypy"])
def test_linter_passes(command, tmp_path):
    # mypy keeps its cache out of the tree, so parallel runs never share one.
    extra = ["--cache-dir", str(tmp_path / "mypy")] if command[0] == "mypy" else []
    done = subprocess.run([sys.executable, "-m", *command, *extra], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
