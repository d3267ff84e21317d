"""The git repository a folder belongs to."""

from __future__ import annotations

import subprocess
from pathlib import Path


def repo_root(folder: Path) -> Path:
    """The top of the enclosing git work tree, or the folder's parent outside one."""
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True)
    return Path(top.stdout.strip()) if top.returncode == 0 else folder.resolve().parent
