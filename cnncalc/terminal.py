"""Printing with rich to standard output: laid out for the terminal's width, never wrapped or cropped past it.

rich is imported when something is printed, not with this module: a quick query does not pay for it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

T = TypeVar("T")


def tolerant_stdout() -> None:
    """On a terminal that cannot show every character (an ASCII locale), print what it cannot as `?`, not fail.

    Rich already draws its boxes in ASCII there; a name like `café` is what is left.
    """
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if not encoding.startswith("utf") and reconfigure is not None:
        reconfigure(errors="replace")


def fitted(lay_out: Callable[[int | None], tuple[T, int]]) -> tuple[Console, T, int | None]:
    """A console for standard output, what `lay_out(width)` makes for it, and that width: the terminal's, or None
    for a pipe or a file.

    `lay_out` returns what it made and the width its lines need; where they need more than the terminal has, or
    there is no terminal, the console is one wide enough to print them at their natural width.
    """
    from rich.console import Console

    console, width = _console()
    laid_out, needed = lay_out(width)
    if width is None or needed > width:
        # a pipe, a file, or a terminal too narrow for the numbers: lines at their natural width, never cropped
        console = Console(width=max(needed, 100_000 if width is None else needed))
    return console, laid_out, width


def _console() -> tuple[Console, int | None]:
    from rich.console import Console

    tolerant_stdout()
    console = Console()
    return console, console.width if console.is_terminal else None


def terminal_width() -> int | None:
    """The width of the terminal standard output is, as rich decides it (`COLUMNS`, `TTY_COMPATIBLE`); None for a
    pipe or a file, where text keeps its natural width."""
    return _console()[1]
