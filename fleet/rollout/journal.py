"""The rollout journal: one JSON line per state change, flushed to disk before the work continues.

An interrupted rollout (Ctrl-C, a killed runner, SIGKILL) resumes from it: stacks whose last event is
`succeeded` are not run again. Appends are fsync'd so a crash cannot lose a finished stack.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Event = Literal["started", "succeeded", "failed", "halted"]


@dataclass(frozen=True)
class JournalEntry:
    run_id: str
    stack: str
    ring: str
    event: Event
    phase: str = ""
    detail: str = ""
    at: str = ""


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        stamped = JournalEntry(**{**asdict(entry), "at": entry.at or datetime.now(UTC).isoformat()})
        line = json.dumps(asdict(stamped), sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def entries(self) -> Iterator[JournalEntry]:
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                yield JournalEntry(**json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue  # a line torn by a crash mid-write is ignored, never fatal

    def last_events(self) -> dict[str, JournalEntry]:
        last: dict[str, JournalEntry] = {}
        for entry in self.entries():
            if entry.stack:
                last[entry.stack] = entry
        return last

    def succeeded(self) -> set[str]:
        return {stack for stack, entry in self.last_events().items() if entry.event == "succeeded"}
