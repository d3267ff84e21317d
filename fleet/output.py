"""What commands print: files written at the user's request (--json PATH, --output, --html), confirmed in one
line, and tables that stay readable at 80 columns.

The confirmation goes to stderr, so a command that also prints data on stdout keeps stdout pure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from fleet.errors import BadInput

STDOUT = "-"  # as a path: standard output, as `--json -` has always meant


def write_output(path: Path | str, text: str) -> None:
    """Write `text` where the user asked: a file (confirmed in one line on stderr), or stdout for `-`."""
    if str(path) == STDOUT:
        sys.stdout.write(text)
        return
    target = Path(path)
    target.write_text(text, encoding="utf-8")  # an unwritable path is an OSError: one line at the CLI's boundary
    sys.stderr.write(f"wrote {target} ({len(text.encode('utf-8'))} bytes)\n")


def one_stdout(**targets: Path | str | None) -> None:
    """Refuse two documents on one stdout: each keyword names an option (`format_sarif`: --format sarif), its
    value the path given (None when not given)."""
    claiming = [f"--{name.replace('_', ' ')}" for name, path in targets.items() if str(path) == STDOUT]
    if len(claiming) > 1:
        raise BadInput(f"{' and '.join(claiming)} all write to stdout (-); give all but one of them a file")


# A field at most this wide stays on its row's line when the table is printed as records (ids, names, dates).
SHORT_FIELD = 24
# A column of text narrower than this (when its text is wider) is too cramped: the rows are printed as records.
CRAMPED = 20


def print_table(console: Console, table: Table) -> None:
    """Print a table so that no word breaks across lines, however narrow the terminal (80 columns and up).

    rich shrinks the widest wrapping column first, below its longest word, and then folds that word mid-way
    (rich/table.py, `_collapse_widths`, rich 15.0.0): "entra.disableLoca" / "lAccounts". Here each column gets at
    least its longest word and the rest of the width goes to the columns with the most text, so text wraps at word
    boundaries in its own column. When even the longest words do not fit side by side, each row is printed as
    a line of its short fields with its long text below it instead: nothing is cut.
    """
    if _fit_columns(console, table):
        console.print(table)
    else:
        console.print(_as_records(console, table), overflow="fold")


def _fit_columns(console: Console, table: Table) -> bool:
    """Set each column's width within the console's; False when the columns' longest words do not fit."""
    options = console.options
    _, right, _, left = Padding.unpack(table.padding)
    ranges = []
    for column in table.columns:
        cells = [column.header, *column.cells] if table.show_header else list(column.cells)
        measured = [Measurement.get(console, options, cell) for cell in cells]
        shortest = max((m.minimum for m in measured), default=1)
        widest = max((m.maximum for m in measured), default=1)
        ranges.append((widest if column.no_wrap else shortest, widest))
    borders = (len(table.columns) - 1 + (2 if table.show_edge else 0)) if table.box else 0
    room = console.width - borders - (left + right) * len(table.columns)
    if sum(widest for _, widest in ranges) <= room:
        return True  # rich gives every column its natural width
    if sum(shortest for shortest, _ in ranges) > room:
        return False
    # From the longest words up, the spare width filled level: the columns needing least get all they need (a
    # "+ create" stays on one line), the rest share what is left evenly.
    spare = room - sum(shortest for shortest, _ in ranges)
    widths = [shortest for shortest, _ in ranges]
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][1] - ranges[i][0])
    for position, index in enumerate(order):
        share = min(ranges[index][1] - ranges[index][0], spare // (len(order) - position))
        widths[index] += share
        spare -= share
    if any(width < min(widest, CRAMPED) for width, (_, widest) in zip(widths, ranges, strict=True)):
        return False  # text squeezed into a sliver of a column reads worse than text below its row
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    return True


def _as_records(console: Console, table: Table) -> RenderableType:
    """Each row as one line of its short fields, aligned under their headers, with its long text below it.

    Short fields are the first column, those whose widest cell is at most SHORT_FIELD wide and those of names
    (one or two words), taken left to right while the line fits; the others are printed below the row, indented,
    wrapped at word boundaries (and labelled when there are several). Only a word wider than a line is folded.
    """
    options = console.options
    cells = [list(column.cells) for column in table.columns]
    widest = [
        max(Measurement.get(console, options, cell).maximum for cell in [column.header, *column_cells])
        for column, column_cells in zip(table.columns, cells, strict=True)
    ]
    short: list[int] = []
    for index, width in enumerate(widest):
        # The first column names the row (a rule, a stack, a table): it stays on the line unless it is prose.
        limit = console.width // 2 if index == 0 else SHORT_FIELD
        if sum(widest[i] + 2 for i in [*short, index]) > console.width:
            break  # the rest goes below, in the table's order
        if width <= limit or all(isinstance(c, str) and len(c.split()) <= 2 for c in cells[index]):
            short.append(index)  # short, or a column of names ("ManagedCluster aks-1") that still fits
    long = [index for index in range(len(widest)) if index not in short]

    def line(values: list[RenderableType], style: str = "") -> Table:
        grid = Table.grid(padding=(0, 2, 0, 0))
        for index in short:
            grid.add_column(width=widest[index], no_wrap=True, style=style)
        grid.add_row(*values)
        return grid

    blocks: list[RenderableType] = [] if table.title is None else [Text.from_markup(str(table.title), style="bold")]
    if short:
        blocks.append(line([table.columns[i].header for i in short], style="dim"))
    if long:  # what the indented lines are, said once under the headers
        below = " / ".join(escape(str(table.columns[i].header)) for i in long)
        blocks.append(Padding(Text.from_markup(below, style="dim"), (0, 0, 0, 4)))
    for row in zip(*cells, strict=True):
        blocks.append(line([row[i] for i in short]))
        for index in long:
            cell = row[index]
            if cell == "":
                continue  # an empty field is left out, not shown as a bare label
            if len(long) > 1 and isinstance(cell, str):
                cell = f"[dim]{escape(str(table.columns[index].header))}:[/] {cell}"
            blocks.append(Padding(cell, (0, 0, 0, 4)))
    return Group(*blocks)


def print_item(console: Console, mark: str, text: str) -> None:
    """A list item ("  • text") whose wrapped lines stay indented under its text, not under its mark."""
    item = Table.grid(padding=(0, 1, 0, 0))
    item.add_column(no_wrap=True)
    item.add_column(overflow="fold")  # a word wider than the line (an ARM id) folds rather than losing characters
    item.add_row(f"  {mark}", text)
    console.print(item)
