"""Start the CrossGuard pack process. Kept free of heavy imports so `fleet plan` can start the pack
first and let it boot (about 0.4 s of imports) while the plan itself is being computed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fleet import process

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


def start_pack(pack_dir: Path = PACK_DIR) -> subprocess.Popen[bytes]:
    """The pack runs in its own folder and process, as the Pulumi CLI runs it; it dies with this process, even
    when this one is killed with SIGKILL (fleet.process)."""
    return process.start(
        [sys.executable, str(pack_dir / "__main__.py")], cwd=pack_dir, doing="the policy pack", tool="python"
    )


def stop_pack(child: subprocess.Popen[bytes]) -> None:
    process.stop(child)
