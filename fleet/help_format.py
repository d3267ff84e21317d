"""Help output: a flag is shown without a value placeholder (`--force`, not `--force <bool>`).

typer 0.29's Rich options panel (typer/rich_utils.py, _print_options_panel) asks every option for
`display_type_rich()`, and TyperOption.display_type_rich (typer/core.py) does not tell flags apart, so every boolean
flag, typer's own `--help` and `--install-completion` included, reads as if it took a `<bool>` value. typer's plain
help record in the same file skips the type for flags (`if not self.is_flag and not self.count`), and typer 0.27.2's
panel showed none (it asked make_metavar()). We answer the same way for flags and counters: nothing to show.
Checked against the installed typer 0.29.2 and the typer-0.27.2 wheel; tests/unit/test_help.py fails if any `--help`
shows `<bool>` again.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_display_type_rich = getattr(TyperOption, "display_type_rich", None)


def _flag_without_type(self: TyperOption, ctx: Any) -> str | None:  # ctx: click's Context (private module)
    if self.is_flag or self.count:
        return None  # the panel leaves the type column empty for None
    assert _display_type_rich is not None
    return _display_type_rich(self, ctx)


if _display_type_rich is not None:  # typer versions without the method (0.27) show flags correctly already
    TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]
