"""A spec's text, read from a file, standard input or the package, and turned into YAML's node graph: the bounds
on what is read, and YAML's errors in the words and places of PyYAML's own parser."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import yaml

from .diagnostics import Diagnostic, SpecError, error, in_file_order
from .spec import Location

if TYPE_CHECKING:
    from importlib.abc import Traversable

# layers a spec may expand to through `repeat`: a thousand times the deepest real networks, and still seconds of work
MAX_INSTANCES = 1_000_000
# a spec is kilobytes (the largest example, MobileNetV2, is 6.7 KB); 256 KiB of `[relu, relu, ...]` is 43,690
# layers, read, computed and written as JSON in 4 s and 90 MB (a megabyte took 17 s and 300 MB)
MAX_SPEC_BYTES = 2**18
# errors reported for one file: a spec has a handful, and past a hundred the rest would only bury them
MAX_ERRORS = 100
STDIN = "-"


# what ends a line in YAML 1.1, as PyYAML's and libyaml's readers count lines: CR LF, CR, LF, NEL, LS and PS
_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")


def position(before: str) -> Location:
    """The line and column just after `before`, the text that precedes a problem, counted as YAML's marks count.

    The marks are those of PyYAML's own reader, which every message follows (compose.REFERENCE_PARSER): it gives
    a byte-order mark no column, wherever it stands.
    """
    line = 1 + sum(before.count(end) for end in _BREAKS) - before.count("\r\n")
    last = before[max(before.rfind(end) for end in _BREAKS) + 1 :]
    return Location(line, len(last.replace("\ufeff", "")) + 1)


def read_source(path: str | Traversable) -> str:
    """The text of a spec file (`-`: standard input; or an example in the package), or SpecError saying why not."""
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            with open(path, "rb") if isinstance(path, str) else path.open("rb") as stream:
                data = stream.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([error("read", "no such file")]) from None
    except IsADirectoryError:
        raise SpecError([error("read", "is a directory, not a spec file")]) from None
    except PermissionError:
        raise SpecError([error("read", "permission denied")]) from None
    except OSError as exc:
        raise SpecError([error("read", f"cannot read: {exc.strerror or exc}")]) from None
    if path == STDIN and not data:  # `cnncalc summary` with nothing piped in, or `-` with nothing to read
        raise SpecError([error("read", "nothing on standard input: name a SPEC file, or pipe one in")])
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError([error("read", f"larger than {MAX_SPEC_BYTES // 2**10} KiB: not an architecture spec")])
    try:
        # a byte-order mark is dropped by hand: the utf-8-sig codec is one more import at start-up
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        # exc.object is the data after any byte-order mark; the column counts characters, as YAML's marks do
        before = exc.object[: exc.start].decode("utf-8")
        message = f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be decoded"
        raise SpecError([error("encoding", message, position(before))]) from None


def compose(text: str) -> yaml.Node | None:
    """YAML's node graph of `text` (safe: nothing is constructed), or SpecError with what makes it no spec.

    A tag, a value that contains itself or an alias bomb stops the reading there: every value behind it would
    fail too. A list or a document too large to be a spec stops it at the first value past the bound.
    """
    from .compose import TooDeep, TooMany, compose

    data = text.encode("utf-8")  # what libyaml reads: a text it is given, it encodes first
    try:
        # no list of a spec holds more than a layer for each instance it may make
        root, problems = compose(data, max_items=MAX_INSTANCES, max_problems=MAX_ERRORS)
        if problems:
            found = [error("yaml", message, Location(mark.line + 1, mark.column + 1)) for message, mark in problems]
            raise SpecError(capped(found))
        return root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(mark.line + 1, mark.column + 1) if mark else None
        problem = syntax_problem(exc)
        if mark and _character_at(text, mark.line, mark.column) == "\t":
            problem += " (a tab: indent with spaces, YAML does not allow tabs)"
        raise SpecError([error("yaml", f"YAML syntax: {problem}", loc)]) from None
    except yaml.reader.ReaderError as exc:
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"YAML syntax: character U+{character:04X} is not allowed in a YAML file"
        # the reference parser's reader counts the position in characters
        raise SpecError([error("yaml", message, position(text[: exc.position]))]) from None
    except yaml.YAMLError as exc:
        raise SpecError([error("yaml", f"YAML syntax: {exc}")]) from None
    except TooDeep as exc:
        loc = Location(exc.mark.line + 1, exc.mark.column + 1)
        raise SpecError([error("yaml", f"YAML {exc}: not an architecture spec", loc)]) from None
    except TooMany as exc:
        loc = Location(exc.mark.line + 1, exc.mark.column + 1)
        if exc.key in ("layers", "shortcut"):  # each item a layer: the bound on instances is passed here
            raise SpecError([instances_error(f"at least {MAX_INSTANCES + 1:,}", loc)]) from None
        raise SpecError([error("yaml", f"{exc}: not an architecture spec", loc)]) from None


def capped(errors: list[Diagnostic]) -> list[Diagnostic]:
    """Errors in file order, the first MAX_ERRORS found; past them, one more says where reading stopped."""
    if len(errors) <= MAX_ERRORS:
        return in_file_order(errors)
    stop = error(
        errors[MAX_ERRORS].code, f"more than {MAX_ERRORS} errors: stopped reading here", errors[MAX_ERRORS].loc
    )
    return in_file_order([*errors[:MAX_ERRORS], stop])


def instances_error(
    count: str, loc: Location | None, path: str | None = None, parts: tuple[int, int] | None = None
) -> Diagnostic:
    """The error of a spec past the bound; `parts`, where known, the layers and the blocks among the instances."""
    from .words import counted

    # a block is an instance too: where there are some, say what the count holds
    held = f" ({counted(parts[0], 'layer')} and {counted(parts[1], 'block')})" if parts and parts[1] else ""
    message = f"this makes {count} layer instances{held}, more than the {MAX_INSTANCES:,} cnncalc computes"
    return error("spec", message, loc, path, "repeat" if path else None)


def _character_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    return lines[line][column : column + 1] if line < len(lines) else ""


def syntax_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with its context where the problem alone does not read as a sentence."""
    problem = exc.problem or "invalid YAML"
    if problem.startswith("but ") and exc.context:
        # "but found another document" follows "expected a single document in the stream"
        problem = f"{exc.context}, {problem}"
    return problem
