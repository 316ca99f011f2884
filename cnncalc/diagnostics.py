"""Errors and warnings with a stable code, a severity and the place in the spec they refer to."""

from __future__ import annotations

from typing import Any

from .record import Record
from .spec import Location


class Diagnostic(Record):
    """One finding about a spec, e.g. `layer 3 (conv): stride must be a positive integer, got 0`."""

    severity: str  # "error", "warning" or "note"
    code: str
    message: str
    loc: Location | None = None
    layer: str | None = None  # the layer at fault: "3", or "3.2" inside block 3
    kind: str | None = None

    @property
    def subject(self) -> str:
        """The message with the layer it concerns in front, as printed."""
        if self.layer is None:
            return self.message
        if self.kind is None:  # a layer whose kind is unknown or missing
            return f"layer {self.layer}: {self.message}"
        return f"layer {self.layer} ({self.kind}): {self.message}"

    def annotation(self, filename: str) -> str:
        """A GitHub Actions workflow command: `::error file=net.yaml,line=3,col=5::layer 1 (conv): ...`."""
        level = {"error": "error", "warning": "warning"}.get(self.severity, "notice")
        where = f"file={_escape(shown(filename), True)}"
        if self.loc:
            where += f",line={self.loc.line},col={self.loc.column}"
        return f"::{level} {where},title=cnncalc::{_escape(self.subject)}"

    def format(self, filename: str) -> str:
        """`FILE:LINE:COL: severity: message`, the form editors and CI logs understand, or `FILE: severity: message`
        where there is no place to point at (a missing file); a file name that would not print on one line is
        escaped (see `shown`)."""
        where = f"{shown(filename)}:{self.loc.line}:{self.loc.column}" if self.loc else shown(filename)
        return f"{where}: {self.severity}: {self.subject}"

    def parts(self, filename: str) -> tuple[str, str, str]:
        """`format`'s line in three: what comes before the severity (`FILE:LINE:COL: `), the severity
        (`warning:`) and the rest (` layer 1 (conv): ...`), for a terminal to colour the severity alone."""
        line, rest = self.format(filename), f" {self.subject}"
        place = line[: len(line) - len(rest) - len(self.severity) - 1]
        return place, f"{self.severity}:", rest


def shown(text: str) -> str:
    """Text from the spec as written where it prints on one line, else quoted and escaped as a string is
    (`'8\\n9'`): a key or a tagged value cannot break a message's line or send control characters to the terminal."""
    return text if text.isprintable() else repr(text)


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping: % CR LF always, and : , within a property."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


class Refused(Exception):
    """What a command will not or cannot do as asked (write over its own input, write to a full disk): the
    message says what and why, and the command ends with exit code 2, changing nothing."""


class SpecError(Exception):
    """A spec that cannot be read or computed; carries every error found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic], partial: Any = None, source: str | None = None) -> None:
        super().__init__("; ".join(d.subject for d in diagnostics))
        self.diagnostics = diagnostics
        self.partial = partial  # what of the spec could be read, where reading it failed
        self.source = source  # the spec as messages name it (`specs/vgg16.yaml`, `<stdin>`), where it is known


def error(
    code: str, message: str, loc: Location | None = None, layer: str | None = None, kind: str | None = None
) -> Diagnostic:
    return Diagnostic("error", code, message, loc, layer, kind)


def warning(
    code: str, message: str, loc: Location | None = None, layer: str | None = None, kind: str | None = None
) -> Diagnostic:
    return Diagnostic("warning", code, message, loc, layer, kind)


def in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted by line and column (stable, so one place keeps the order found); the unplaced ones first."""
    return sorted(diagnostics, key=lambda d: d.loc or Location(0, 0))
