"""Progress for operations that can take seconds: a spinner naming the step, or bars over rings of stacks.

Shown only where a person watches: on stderr, and only when stderr is a terminal. Piped or in CI nothing at all
is written, so stdout (`--json -`, SARIF) and logs never carry it. Every command uses this module, never its
own rich Live/Progress, so there is one display at a time and one rule for when it shows.

rich's own `Console.is_terminal` is not the test: it answers True under FORCE_COLOR or TTY_COMPATIBLE=1
(rich/console.py, `is_terminal`, rich 15.0.0), which CI sets for colour; a spinner redrawn into a CI log is
noise. The stream's `isatty()` decides; tests inject a console instead (`use_console`).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.spinner import Spinner
from rich.text import Text

# A step quicker than this never shows: no flicker for the common fast case (issue 14: "more than two seconds").
DELAY_SECONDS = 2.0

_lock = threading.Lock()
_injected: tuple[Console, float] | None = None
_active: _Spinner | Bar | None = None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # a closed or replaced stream is not a terminal
        return False


def _terminal() -> tuple[Console, float] | None:
    """The console progress is drawn on and the delay before it shows; None when nobody watches."""
    if _injected is not None:
        return _injected
    if not _isatty(sys.stderr):
        return None
    console = Console(stderr=True)
    return None if console.is_dumb_terminal else (console, DELAY_SECONDS)


@contextmanager
def use_console(console: Console | None, *, delay: float = 0.0) -> Iterator[None]:
    """Draw progress on `console` (e.g. a forced-terminal console on a StringIO) while the block runs."""
    global _injected
    previous, _injected = _injected, (None if console is None else (console, delay))
    try:
        yield
    finally:
        _injected = previous


def _live_options(console: Console) -> dict[str, Any]:
    # stdout is proxied above the display only when it is the same terminal: a piped stdout (`--json - | jq`)
    # must never be rerouted onto the display's stderr.
    return {"console": console, "transient": True, "redirect_stdout": _isatty(sys.stdout), "redirect_stderr": True}


class _Delayed:
    """Starts a rich live display after `delay` seconds unless stopped first."""

    def __init__(self, live: Live, delay: float) -> None:
        self.live = live
        self._guard = threading.Lock()
        self._stopped = False
        self._timer: threading.Timer | None = None
        if delay <= 0:
            self.live.start(refresh=True)
        else:
            self._timer = threading.Timer(delay, self._start)
            self._timer.daemon = True
            self._timer.start()

    def _start(self) -> None:
        with self._guard:
            if not self._stopped:
                self.live.start(refresh=True)

    def refresh(self) -> None:
        with self._guard:
            if self.live.is_started:
                self.live.refresh()

    def stop(self) -> None:
        with self._guard:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            self.live.stop()


class _Spinner:
    def __init__(self, console: Console, delay: float) -> None:
        self.steps: list[str] = []
        self.spinner = Spinner("dots", style="cyan")
        self.display = _Delayed(Live(self.spinner, **_live_options(console)), delay)

    def show(self) -> None:
        self.spinner.update(text=Text(" > ".join(self.steps)))  # plain text: a ref or a path is not markup
        self.display.refresh()  # every step is drawn at least once, however short


@contextmanager
def step(description: str) -> Iterator[None]:
    """A transient spinner naming what runs now; a step inside a step names both ("plan dev > policy pack").

    A step inside a bar, or on another thread, shows nothing: one display at a time.
    """
    global _active
    main = threading.current_thread() is threading.main_thread()
    with _lock:
        outer = _active
        if outer is None and main:
            where = _terminal()
            if where is not None:
                _active = _Spinner(*where)
        spinner = _active if isinstance(_active, _Spinner) and main else None
        if spinner is not None:
            spinner.steps.append(description)
            spinner.show()
    try:
        yield
    finally:
        with _lock:
            if spinner is not None:
                spinner.steps.pop()
                if spinner is outer:
                    spinner.show()
                else:
                    spinner.display.stop()
                    _active = None


class Bar:
    """Bars over named groups (rings of stacks, subscriptions); `note` prints a line above them."""

    def __init__(self, totals: Mapping[str, int], output: Console, where: tuple[Console, float] | None) -> None:
        self._output = output
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}
        if where is not None:
            console, _ = where  # bars are for long runs: shown at once
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                **_live_options(console),
            )
            self._tasks = {name: self._progress.add_task(name, total=total) for name, total in totals.items()}

    def advance(self, name: str) -> None:
        if self._progress is not None and name in self._tasks:
            self._progress.advance(self._tasks[name])

    def note(self, renderable: RenderableType) -> None:
        """A line of the command's output: above the bars when stdout is that terminal, else to stdout."""
        if self._progress is not None and _isatty(sys.stdout):
            self._progress.console.print(renderable)
        else:
            self._output.print(renderable)


@contextmanager
def bars(totals: Mapping[str, int], output: Console) -> Iterator[Bar]:
    """Progress bars, one per group with its total; lines noted go to `output` (the command's stdout console)."""
    global _active
    with _lock:
        where = _terminal() if _active is None else None
        bar = Bar(totals, output, where)
        if bar._progress is not None:
            _active = bar
            bar._progress.start()
    try:
        yield bar
    finally:
        with _lock:
            if bar._progress is not None:
                bar._progress.stop()
                _active = None
