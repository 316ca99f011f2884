"""Printing to a terminal: whether to colour, what `error:` and `warning:` look like, and rich laid out for the
terminal's width, never wrapped or cropped past it.

One rule decides colour, for click's messages and rich's tables alike (see `coloured`). rich is imported when
something is printed, not with this module: a quick query does not pay for it.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import click

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rich.console import Console
    from rich.text import Text

    from .diagnostics import Diagnostic

T = TypeVar("T")

COLOR_CHOICES = ("auto", "always", "never")
_CHOICE = "cnncalc.color"  # where `--color` leaves its choice: the click context's meta, shared by its subcommands
# as compilers and ruff show them: the severity bold and coloured, the rest of the message plain
SEVERITY_COLOURS = {"error": "red", "warning": "yellow"}


def choose_colour(ctx: click.Context, choice: str) -> None:
    """What `--color` asks, for this command and any it runs: `auto`, `always` or `never`."""
    ctx.meta[_CHOICE] = choice
    ctx.color = {"always": True, "never": False}.get(choice)  # click's own echo follows it too


def coloured(stream: IO[Any] | None = None) -> bool:
    """Whether what is written to `stream` (standard output by default) is coloured.

    `--color always` or `never` decides; with `auto` (the default), a non-empty NO_COLOR turns colour off
    (no-color.org), then a non-empty FORCE_COLOR turns it on (force-color.org), and otherwise a terminal, but a
    dumb one, is coloured and a pipe or a file is not.
    """
    ctx = click.get_current_context(silent=True)
    choice = ctx.meta.get(_CHOICE, "auto") if ctx is not None else "auto"
    if choice != "auto":
        return bool(choice == "always")
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return on_terminal(stream) and os.environ.get("TERM") != "dumb"


def on_terminal(stream: IO[Any] | None = None) -> bool:
    """Whether `stream` (standard output by default) is a terminal, not a pipe or a file: as rich decides it,
    `TTY_COMPATIBLE=1` or `0` saying so where the stream cannot (a terminal emulated by a CI runner)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or already closed: no terminal
        return False


def painted(diagnostic: Diagnostic, filename: str, stream: IO[Any] | None = None) -> str:
    """`FILE:LINE:COL: severity: message`, its `error:` or `warning:` in colour where `stream` is coloured."""
    place, severity, message = diagnostic.parts(filename)
    colour = SEVERITY_COLOURS.get(diagnostic.severity)
    if colour is not None and coloured(stream):
        severity = click.style(severity, fg=colour, bold=True)
    return f"{place}{severity}{message}"


def paint_lines(text: str, stream: IO[Any] | None = None) -> str:
    """Text whose lines may begin `error:` or `warning:`, those words in colour where `stream` is coloured."""
    if not coloured(stream):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        for severity, colour in SEVERITY_COLOURS.items():
            if line.startswith(f"{severity}:"):
                lines[index] = click.style(f"{severity}:", fg=colour, bold=True) + line[len(severity) + 1 :]
    return "\n".join(lines)


def say(text: str, err: bool = False, nl: bool = True) -> None:
    """`text` to standard output or error, its colours kept where that stream is coloured and dropped elsewhere."""
    click.echo(text, err=err, nl=nl, color=coloured(sys.stderr if err else sys.stdout))


def say_diagnostics(diagnostics: Iterable[Diagnostic], filename: str) -> None:
    """Each diagnostic on a line of standard error, as `painted` writes it."""
    for diagnostic in diagnostics:
        say(painted(diagnostic, filename, sys.stderr), err=True)


def copy_to_stderr(diagnostics: Iterable[Diagnostic], filename: str | None = None) -> None:
    """Warnings and notes that the output holds, on standard error too where the output is no terminal: a pipe
    or a file gets them with the data, and whoever ran the command still sees them. Without a file (a query's),
    each is `warning: message`, as the query prints it."""
    if on_terminal(sys.stdout):
        return
    if filename is not None:
        say_diagnostics(diagnostics, filename)
        return
    for diagnostic in diagnostics:
        say(paint_lines(f"{diagnostic.severity}: {diagnostic.message}", sys.stderr), err=True)


def diagnostic_text(diagnostic: Diagnostic, filename: str) -> Text:
    """A diagnostic as a rich line under a table, its `error:` or `warning:` bold and coloured."""
    from rich.text import Text

    place, severity, message = diagnostic.parts(filename)
    colour = SEVERITY_COLOURS.get(diagnostic.severity)
    return Text.assemble(place, (severity, f"bold {colour}") if colour else severity, message)


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
    there is no terminal, the console is one wide enough to print them at their natural width. It is coloured
    by `coloured`'s rule, not by rich's own reading of the environment: FORCE_COLOR colours a pipe, and leaves
    its lines at their natural width.
    """
    from rich.console import Console

    tolerant_stdout()
    terminal = on_terminal(sys.stdout)
    colours: Literal["auto", "standard"] | None = None
    if coloured():  # rich's own choice on a terminal; forced colour anywhere else, in the 16 standard colours
        colours = "auto" if terminal and os.environ.get("TERM") != "dumb" else "standard"
    console = Console(force_terminal=terminal, color_system=colours)
    width = console.width if terminal else None
    laid_out, needed = lay_out(width)
    if width is None or needed > width:
        # a pipe, a file, or a terminal too narrow for the numbers: lines at their natural width, never cropped
        width_needed = max(needed, 100_000 if width is None else needed)
        console = Console(width=width_needed, force_terminal=terminal, color_system=colours)
    return console, laid_out, width


def terminal_width() -> int | None:
    """The width of the terminal standard output is (`COLUMNS` where set); None for a pipe or a file, where text
    keeps its natural width."""
    from rich.console import Console

    return Console(force_terminal=True).width if on_terminal(sys.stdout) else None
