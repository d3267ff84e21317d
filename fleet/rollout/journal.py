"""The rollout journal: one JSON line per state change, fsync'd to disk before the work continues.

Every line names its rollout (`rollout_id`) and says whether that rollout was a dry run, and every stack line
carries what the stack was deployed from (spec digest, source commit), so `--resume` can continue exactly one
rollout and skip only what that rollout really deployed from today's spec and commit (see resume.py).

The file is appended to by a process that may die at any byte, and anyone can edit it: a torn or garbage line
costs nothing but itself. The writer starts every record on a line of its own (never glued to a torn tail),
and the reader skips, and counts, every line that is not a valid record.
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from fleet.gitrepo import OBJECT_NAME

# A rollout's events: `begin`/`end` frame one run of the command (a resumed rollout has several), the stack
# events follow each stack; `succeeded` means deployed and healthy, `previewed` is a dry run's success.
Event = Literal["begin", "started", "succeeded", "previewed", "failed", "halted", "end"]
STACK_EVENTS = frozenset({"started", "succeeded", "previewed", "failed"})

ROLLOUT_ID = r"^[0-9a-f]{12}$"  # engine.new_rollout_id()
SPEC_DIGEST = r"^[0-9a-f]{64}$"  # SHA-256 hex (provenance.py)
MAX_DETAIL = 2000  # characters of a stack's outcome kept in the journal
MAX_LINE_BYTES = 1 << 20  # a longer line is not one this writer produced: skipped without holding it in memory

RolloutId = Annotated[str, Field(pattern=ROLLOUT_ID)]


class JournalRecord(BaseModel):
    """One line. Strict and closed: a line with a missing, unknown or ill-typed field is not a record."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    rollout_id: RolloutId
    event: Event
    dry_run: bool
    at: AwareDatetime | None = None  # a time, never free text: it is shown when a resume skips a stack
    stack: str = ""
    ring: str = ""
    spec_digest: Annotated[str, Field(pattern=SPEC_DIGEST)] | None = None
    commit: Annotated[str, Field(pattern=f"^{OBJECT_NAME.pattern}$")] | None = None
    phase: str = ""
    detail: str = ""
    ok: bool | None = None  # on `end`: did this run of the rollout finish with every stack deployed

    @field_validator("detail")
    @classmethod
    def _bounded(cls, detail: str) -> str:
        return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"


@dataclass(frozen=True)
class JournalRead:
    records: list[JournalRecord]
    skipped: int  # lines that were not records (torn, garbage, binary, too long, another format)

    def note(self, path: Path) -> str | None:
        """The one line that tells the user what was skipped, or None when nothing was."""
        if not self.skipped:
            return None
        return (
            f"{path}: skipped {self.skipped} line(s) that are not journal records "
            "(torn by a crash, edited, or from another version); they count as never written"
        )


class Journal:
    def __init__(self, path: Path) -> None:
        """Open (creating it and its folder) the journal at `path`; raises OSError when it cannot be appended to,
        before any rollout starts."""
        self.path = path
        self._lock = threading.Lock()
        if path.exists() and not path.is_file():  # a folder, a FIFO or a device would block, hang or swallow
            raise OSError(errno.EINVAL, "not a regular file", str(path))  # the CLI boundary's one line names it
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):
            pass

    def record(self, record: JournalRecord) -> None:
        if record.at is None:
            record = record.model_copy(update={"at": datetime.now(UTC)})
        line = record.model_dump_json().encode("utf-8") + b"\n"
        with self._lock, self.path.open("a+b") as handle:
            # In append mode every write lands at the end of the file whatever the read position: O_APPEND,
            # "before each write, the file offset is positioned at the end of the file" (POSIX open(2),
            # http://metamodular.com/POSIX-API/Low/o-append.html). Reading the last byte first is therefore safe.
            end = handle.seek(0, os.SEEK_END)
            if end:
                handle.seek(end - 1)
                if handle.read(1) != b"\n":
                    line = b"\n" + line  # the file ends in a torn line: close it, never extend it
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> JournalRead:
        records: list[JournalRecord] = []
        skipped = 0
        if not self.path.exists():
            return JournalRead(records, skipped)
        with self.path.open("rb") as handle:
            while raw := handle.readline(MAX_LINE_BYTES + 1):
                if len(raw) > MAX_LINE_BYTES:
                    while raw and not raw.endswith(b"\n"):  # drop the rest of the overlong line, chunk by chunk
                        raw = handle.readline(MAX_LINE_BYTES)
                    skipped += 1
                    continue
                if not raw.strip():
                    continue
                try:
                    records.append(JournalRecord.model_validate_json(raw))
                except ValidationError:  # not JSON, not UTF-8, or not a record: this line only is lost
                    skipped += 1
        return JournalRead(records, skipped)
