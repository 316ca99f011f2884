"""The report as documents: JSON (laid out to be read and diffed), CSV for spreadsheets, Markdown for pages.

Each takes a report and returns text (or its chunks); only the CLI prints. Every JSON document, whichever
command prints it, is one object that starts with `schema_version` and `document` (which kind of document it
is: `summary`, `rf`, `query`, `pad`, `apply`, `examples`), its data after them, laid out by `laid_out_json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic
from .fields import Span
from .kinds import KINDS
from .render import (
    FC_HEADERS,
    FC_NUMERIC,
    FULL_FIELD_NOTE,
    LOCAL_HEADER,
    LOCAL_NOTE,
    NUMERIC_HEADERS,
    TABLE_HEADERS,
    UNEVEN_NOTE,
    Explained,
    config_key,
    fc_row,
    footer,
    has_local,
    local_text,
    printable,
    table_row,
)
from .report import SCHEMA_VERSION, LayerResult, Memory, Report, dense_view, first_field, jumps, walk
from .spec import AXIS_LETTERS

if TYPE_CHECKING:
    from .pipeline import Sliding


def diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    line, column = diagnostic.loc if diagnostic.loc else (None, None)
    return {
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "layer": diagnostic.layer,
        "kind": diagnostic.kind,
        "line": line,
        "column": column,
    }


def layer_dict(result: LayerResult, explained: Explained | None = None) -> dict[str, Any]:
    """A row as JSON-ready data; a block keeps its own rows in `layers`, `shortcut` or `branches`."""
    data = {
        "index": result.number,
        "path": result.path,
        "kind": result.kind,
        "name": result.name,
        "config": result.config,
        "output": list(result.output),
        "params": result.params,
        "trainable_params": result.trainable_params,
        "non_trainable_params": result.non_trainable_params,
        "macs": result.macs,
        "flops": result.flops,
        "receptive_field": list(result.receptive_field),
        "jump": jumps(result.jump),
        "effective_padding": list(result.effective_padding),
        "local_receptive_field": list(result.local_receptive_field),
        "local_effective_padding": list(result.local_effective_padding),
        "padding": list(result.padding) if result.padding is not None else None,
        "covers_input": all(result.covers_input),
    }
    if explained is not None:
        data["explain"] = explained.get(result.path, [])
    if view := dense_view(result):
        data["dense_equivalent_params"] = view.dense_params
        data["connections"] = view.connections
    kind = KINDS[result.kind]
    if kind.repeated_by:
        data[kind.repeated_by] = result.times
    if not result.folded:
        for option in kind.lists:
            # the rows of each list the block holds, under the option's own name
            if option.value == "branches":
                data[option.name] = [[layer_dict(row, explained) for row in branch] for branch in result.branches]
            else:
                data[option.name] = [layer_dict(row, explained) for row in getattr(result, option.value)]
    return data


def report_dict(
    report: Report,
    mem: Memory,
    batch: int,
    dtype: str,
    explained: Explained | None = None,
    slid: Sliding | None = None,
    notes: Sequence[Diagnostic] = (),
) -> dict[str, Any]:
    """The report as JSON-ready data; every count an exact integer."""
    t = report.totals
    return document(
        "summary",
        {
            "name": report.name,
            "input": list(report.input),
            "layers": [layer_dict(r, explained) for r in report.layers],
            "totals": {
                "params": t.params,
                "trainable_params": t.trainable_params,
                "non_trainable_params": t.non_trainable_params,
                "macs": t.macs,
                "flops": t.flops,
                "output": list(t.output),
                "receptive_field": list(t.receptive_field),
                "jump": jumps(t.jump),
            },
            "memory": {
                "batch": batch,
                "dtype": dtype,
                "param_bytes": mem.param_bytes,
                "activation_bytes": mem.activation_bytes,
            },
            "warnings": [diagnostic_dict(d) for d in report.warnings],
            # blocks nested deeper than this are folded into their rows (null: every row is here)
            "kept_depth": report.kept_depth,
            "notes": [diagnostic_dict(note) for note in notes],
            **({"sliding": sliding_dict(slid)} if slid else {}),
        },
    )


def document(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A JSON document as every command prints it: the schema's version, the kind of document, then its data."""
    return {"schema_version": SCHEMA_VERSION, "document": kind, **data}


def json_text(value: Any) -> Iterator[str]:
    """A document's JSON text in pieces, laid out, with its last line ended."""
    yield from laid_out_json(value)
    yield "\n"


def render_json(report: Report, mem: Memory, batch: int, dtype: str, explained: Explained | None = None) -> str:
    return "".join(json_chunks(report, mem, batch, dtype, explained))


def json_chunks(
    report: Report,
    mem: Memory,
    batch: int,
    dtype: str,
    explained: Explained | None = None,
    slid: Sliding | None = None,
    notes: Sequence[Diagnostic] = (),
) -> Iterator[str]:
    """The JSON text in pieces, so that a network of a million layers is written without building one string."""
    yield from json_text(report_dict(report, mem, batch, dtype, explained, slid, notes))


def laid_out_json(value: Any) -> Iterator[str]:
    """JSON for reading and for scripts: a line per row, rows inside a block on the lines under it.

    `{"index": 1, "kind": "conv", ..., "output": [30, 30, 8], ...}` on one line is a row to read at a glance;
    json's own indented text gives every number its own line. The outer two levels of objects get a line per
    member; a row that holds rows (a block's `layers`) has its own members on its line, and its rows under it.
    The text of every value is json's own (its C encoder: fast for a big network), every character as it is:
    JSON is UTF-8, and a name reads as it was written ("Réseau", not "R\\u00e9seau").
    """
    import json

    text = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=False).encode

    def encode(value: Any) -> str:
        written = text(value)
        if written.isascii() and "\x7f" not in written:
            return written
        return _UNPRINTABLE.sub(_escaped, written)

    def rows(items: list[Any], indent: str, expand: int) -> Iterator[str]:
        inner = indent + "  "
        for n, item in enumerate(items):
            if expand < 0 and isinstance(item, list) and item and isinstance(item[0], list):
                # a matrix on one line, in one piece: a hundred thousand of `apply`'s windows take no longer
                yield ("[\n" if n == 0 else ",\n") + inner + encode(item)
                continue
            yield ("[\n" if n == 0 else ",\n") + inner
            yield from lay_out(item, inner, expand)
        yield "\n" + indent + "]"

    def lay_out(value: Any, indent: str, expand: int) -> Iterator[str]:
        if isinstance(value, dict) and value and expand > 0:
            inner = indent + "  "
            for n, (key, member) in enumerate(value.items()):
                yield ("{\n" if n == 0 else ",\n") + inner + encode(key) + ": "
                yield from lay_out(member, inner, expand - 1)
            yield "\n" + indent + "}"
        elif isinstance(value, dict) and _holds_rows(value):
            # the members on the row's line, in their order, each run of them in one call; its rows under it
            yield "{"
            before, run = "", {}
            for key, member in value.items():
                if not _holds_rows(member):
                    run[key] = member
                    continue
                if run:
                    yield before + encode(run)[1:-1]
                    before, run = ", ", {}
                yield before + encode(key) + ": "
                yield from lay_out(member, indent, 0)
                before = ", "
            yield (before + encode(run)[1:-1] if run else "") + "}"
        elif _holds_rows(value) and (expand >= 0 or isinstance(value[0], dict)):
            # a list of lists (a matrix) gets a line per row down to the rows of rows: `apply`'s windows, a
            # matrix per output value, take a line each
            yield from rows(value, indent, expand - 1)
        else:
            yield encode(value)

    return lay_out(value, "", 2)


# json escapes C0 controls; what else a terminal would act on, or that does not print (DEL, C1 controls, a line
# separator, a direction override, a lone surrogate), is escaped too: the same string, and nothing runs
_UNPRINTABLE = re.compile(r"[^\x00-\x7e]")


def _escaped(found: re.Match[str]) -> str:
    char = found[0]
    if char.isprintable():
        return char
    code = ord(char)
    if code > 0xFFFF:  # as JSON writes it: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _holds_rows(value: Any) -> bool:
    """A list of objects (or of lists), or an object with one inside: what gets a line per item."""
    if isinstance(value, dict):
        for member in value.values():
            if isinstance(member, (dict, list)) and _holds_rows(member):
                return True
        return False
    return isinstance(value, list) and bool(value) and isinstance(value[0], (dict, list))


def csv_columns(rank: int = 2) -> tuple[str, ...]:
    """The CSV header at a rank: one column per axis for the output's sizes, r, j and P (`rf_h`, `rf_w` in 2-D)."""
    letters = AXIS_LETTERS[rank]

    def each(name: str) -> list[str]:
        return [f"{name}_{letter}" for letter in letters]

    return (
        "path", "depth", "block", "index", "kind", "name", "config", *each("out"), "out_c", "params",
        "trainable_params", "non_trainable_params", "macs", *each("rf"), *each("jump"), *each("effective_padding"),
    )  # fmt: skip


def render_csv(report: Report) -> str:
    """One row per layer (a block before its own), plain integers, for spreadsheets and pandas.

    A block's row sums its own rows: add up `params` over the rows with `block` 0, or over `depth` 0.
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_columns(report.input.rank))
    for r in walk(report.layers):
        block = int(r.is_block)
        writer.writerow(
            [r.path, r.depth, block, r.number, r.kind, printable(r.name or ""), r.config, *r.output, r.params,
             r.trainable_params, r.non_trainable_params, r.macs, *r.receptive_field, *r.jump, *r.effective_padding]
        )  # fmt: skip
    return out.getvalue()


def render_markdown(
    report: Report,
    mem: Memory,
    batch: int,
    dtype: str,
    filename: str,
    view: str = "layers",
    more: Sequence[str] = (),
    heading: str | None = None,
) -> str:
    """A GitHub-flavoured Markdown table with the totals and warnings under it."""

    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    headers, numeric, make_row = (
        (FC_HEADERS, FC_NUMERIC, fc_row) if view == "fc" else (TABLE_HEADERS, NUMERIC_HEADERS, table_row)
    )
    title = printable(heading or report.name or filename)
    local = view != "fc" and has_local(walk(report.layers))
    if local:
        headers, numeric = (*headers, LOCAL_HEADER), numeric | {LOCAL_HEADER}
    lines = [f"**{title}**: input {report.input}", "", row(headers)]
    lines.append(row(tuple("---:" if h in numeric else "---" for h in headers)))
    # Markdown drops leading spaces in a cell: nested rows are indented with a visible mark
    for r in walk(report.layers):
        cells = make_row(r, indent="· ")
        lines.append(row((*cells, local_text(r)) if local else cells))
    lines.append("")
    lines += [f"- {line}" for line in footer(report, mem, batch, dtype)]
    lines += [f"- {line}" for line in more]
    if view != "fc":
        lines.append(f"- {FULL_FIELD_NOTE}")
        if key := config_key(walk(report.layers)):
            lines.append(f"- {key}")
        if any(r.uneven for r in walk(report.layers)):
            lines.append(f"- {UNEVEN_NOTE}")
    if local:
        lines.append(f"- {LOCAL_NOTE}")
    lines += [f"- {d.format(filename)}" for d in report.warnings]
    return "\n".join(lines) + "\n"


def query_dict(result: LayerResult, warnings: tuple[Diagnostic, ...], explained: list[str] | None) -> dict[str, Any]:
    """A query's JSON: the keys of a layer of `summary`'s JSON, with the input, warnings and explanations."""
    data = {"input": list(result.input), **layer_dict(result), "warnings": [diagnostic_dict(d) for d in warnings]}
    if explained is not None:
        data["explain"] = explained
    return document("query", data)


def rf_dict(report: Report) -> dict[str, Any]:
    """`cnncalc rf --format json`: a row per layer, a block before its own."""
    return document(
        "rf",
        {
            "name": report.name,
            "input": list(report.input),
            "layers": [
                {
                    "path": row.path,
                    "kind": row.kind,
                    "name": row.name,
                    "receptive_field": list(row.receptive_field),
                    "jump": jumps(row.jump),
                    "effective_padding": list(row.effective_padding),
                    "local_receptive_field": list(row.local_receptive_field),
                    "local_effective_padding": list(row.local_effective_padding),
                    "first_field": [span_dict(span) for span in first_field(row, report.input)],
                }
                for row in walk(report.layers)
            ],
        },
    )


def sliding_dict(found: Sliding) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in found._asdict().items()}


def span_dict(span: Span) -> dict[str, Any]:
    # the centre as a JSON number: exact while start + end is below 2**53 (a field of 4.5e15 pixels)
    centre = span.centre_twice / 2
    return {
        "start": span.start,
        "end": span.end,
        "centre": centre,
        "padding_before": span.padding_before,
        "padding_after": span.padding_after,
    }
