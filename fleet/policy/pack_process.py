"""Start the CrossGuard pack process. Kept free of heavy imports so `fleet plan` can start the pack
first and let it boot (about 0.4 s of imports) while the plan itself is being computed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


def start_pack(pack_dir: Path = PACK_DIR) -> subprocess.Popen[bytes]:
    """The pack runs in its own folder and process, as the Pulumi CLI runs it."""
    return subprocess.Popen(
        [sys.executable, str(pack_dir / "__main__.py")],
        cwd=pack_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop_pack(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
