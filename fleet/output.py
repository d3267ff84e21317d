"""Files a command writes at the user's request (--json PATH, --output, --html): written and confirmed in one line.

The confirmation goes to stderr, so a command that also prints data on stdout keeps stdout pure.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_output(path: Path | str, text: str) -> None:
    target = Path(path)
    target.write_text(text, encoding="utf-8")  # an unwritable path is an OSError: one line at the CLI's boundary
    sys.stderr.write(f"wrote {target} ({len(text.encode('utf-8'))} bytes)\n")
