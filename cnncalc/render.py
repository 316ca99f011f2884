"""Plain-text renderers of a report: JSON, CSV and Markdown, and the pieces the rich table shares.

Renderers take a report and return text; only the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from .diagnostics import Diagnostic
from .exact import fixed
from .kinds import KINDS, ByKind, is_block, repetitions
from .report import SCHEMA_VERSION, LayerResult, Memory, Report, dense_view, walk
from .spec import (
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Pool,
    Repeat,
    Residual,
    Sides,
    Volume,
)

# per row's path, the formulas behind its numbers (see explain.py)
Explained = dict[str, list[str]]
TABLE_HEADERS = ("#", "layer", "config", "output", "params", "MACs", "RF", "jump", "P")
NUMERIC_HEADERS = frozenset({"params", "MACs", "RF", "jump", "P"})
FULL_FIELD_NOTE = (
    "RF, jump, P: receptive field, jump and effective padding in input pixels; *: a field as large as the input"
)


def padding_text(mode: object, sides: Sides | None) -> str:
    """`same(0,1,0,1)` for an asymmetric SAME, `pad 1` for an even one, nothing where none is applied."""
    if sides is None or not any(sides):
        return "same" if mode == "same" else ""
    top, bottom, left, right = sides
    even = top == bottom == left == right
    amounts = str(top) if even else f"{top},{bottom},{left},{right}"
    if mode == "same":
        return f"same({amounts})"
    return f"pad {amounts}" if even else f"pad({amounts})"


def axes(pair: tuple[int, int], sep: str = "x") -> str:
    """`7` where both axes agree, `7x5` where they differ; thousands separated."""
    return f"{pair[0]:,}" if pair[0] == pair[1] else f"{pair[0]:,}{sep}{pair[1]:,}"


def config(result: LayerResult) -> str:
    """A layer's resolved hyper-parameters in one short phrase, e.g. `64 3x3 /2 same(0,1,0,1)`."""
    parts: list[str] = CONFIG.of(result.layer)(result.layer, result)
    return " ".join(part for part in parts if part)


# each kind's phrase in the table's config column, as its parts
CONFIG = ByKind("render.CONFIG")


@CONFIG.register(Conv)
def _conv(layer: Conv, result: LayerResult) -> list[str]:
    return [
        f"{layer.filters}",
        *_window(layer, layer.kernel, result),
        f"dil {axes(layer.dilation)}" if layer.dilation != (1, 1) else "",
        f"groups {layer.groups}" if layer.groups != 1 else "",
        *_bias_and_activation(layer),
    ]


@CONFIG.register(Pool)
def _pool(layer: Pool, result: LayerResult) -> list[str]:
    return [*_window(layer, layer.size, result), "ceil" if layer.ceil else ""]


def _window(layer: Conv | Pool, window: tuple[int, int], result: LayerResult) -> list[str]:
    stride = f"/{axes(layer.stride)}" if layer.stride != (1, 1) else ""
    return [f"{window[0]}x{window[1]}", stride, padding_text(layer.padding, result.padding)]


def _bias_and_activation(layer: Conv | Dense) -> list[str]:
    return ["" if layer.bias else "no bias", layer.activation or ""]


@CONFIG.register(Dense)
def _dense(layer: Dense, result: LayerResult) -> list[str]:
    return [f"{layer.units}", *_bias_and_activation(layer)]


@CONFIG.register(Dropout)
def _dropout(layer: Dropout, result: LayerResult) -> list[str]:
    return [f"rate {layer.rate:g}"]


@CONFIG.register(GlobalPool, Flatten, BatchNorm, Activation)
def _nothing_to_set(layer: Layer, result: LayerResult) -> list[str]:
    return []


@CONFIG.register(Repeat)
def _repeat(layer: Repeat, result: LayerResult) -> list[str]:
    return [f"x{layer.times}"]


@CONFIG.register(Residual)
def _residual(layer: Residual, result: LayerResult) -> list[str]:
    return ["add" if layer.shortcut else "add identity", layer.activation or ""]


@CONFIG.register(Concat)
def _concat(layer: Concat, result: LayerResult) -> list[str]:
    return [f"{len(layer.branches)} branches"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text from a spec, its control characters escaped (`\\x1b`, `\\n`): a name cannot drive the terminal."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def layer_label(result: LayerResult, indent: str = "  ") -> str:
    """The kind and name, indented by depth under the block that holds it."""
    label = f"{result.kind} {printable(result.name)}" if result.name else result.kind
    return indent * result.depth + label


def field_text(result: LayerResult) -> str:
    """`211`, or `211x195` where the axes differ; a `*` marks a field as large as the input."""
    return axes(result.receptive_field) + ("*" if all(result.covers_input) else "")


def human_bytes(count: int) -> str:
    """`527.8 MiB`: bytes in the largest unit up to TiB that leaves a number of at least 1, to a tenth."""
    for power, unit in enumerate(("B", "KiB", "MiB", "GiB", "TiB")):
        if count < 1024 ** (power + 1) or unit == "TiB":
            return f"{count:,} B" if unit == "B" else f"{fixed(count, 1024**power, 1)} {unit}"
    raise AssertionError("unreachable")


def footer(report: Report, mem: Memory, batch: int, dtype: str) -> list[str]:
    """The totals under the table, one line each."""
    t = report.totals
    return [
        f"params: {t.params:,} (trainable {t.trainable_params:,}, non-trainable {t.non_trainable_params:,})",
        f"MACs: {t.macs:,} (FLOPs = 2 x MACs = {t.flops:,})",
        f"output: {t.output}   receptive field: {axes(t.receptive_field, ' x ')}, jump {axes(t.jump, ' x ')}",
        f"memory, {dtype}: params {human_bytes(mem.param_bytes)}, "
        f"activations {human_bytes(mem.activation_bytes)} (batch {batch}: input and every layer output)",
    ]


def table_row(result: LayerResult, indent: str = "  ") -> tuple[str, ...]:
    """A row's cells in the table and Markdown views, numbers with thousands separators."""
    return (
        result.path,
        layer_label(result, indent),
        config(result),
        str(result.output),
        f"{result.params:,}",
        f"{result.macs:,}",
        field_text(result),
        axes(result.jump),
        axes(result.effective_padding),
    )


FC_HEADERS = ("#", "layer", "output", "params", "dense equivalent", "connections", "fewer params")
FC_NUMERIC = frozenset({"params", "dense equivalent", "connections", "fewer params"})


def fc_row(result: LayerResult, indent: str = "  ") -> tuple[str, ...]:
    """A row of `summary --view fc`: a conv beside the dense layer joining the same volumes."""
    view = dense_view(result)
    if view is None:
        return (result.path, layer_label(result, indent), str(result.output), f"{result.params:,}", "", "", "")
    ratio = f"{fixed(view.dense_params, result.params, 1)}x" if result.params else ""
    return (
        result.path,
        layer_label(result, indent),
        str(result.output),
        f"{result.params:,}",
        f"{view.dense_params:,}",
        f"{view.connections:,}",
        ratio,
    )


def fc_footer(report: Report) -> list[str]:
    """The network's convolutions against dense layers of the same shapes: how many times fewer parameters."""
    convs = [(row, view) for row in walk(report.layers) if (view := dense_view(row)) and not row.folded]
    if not convs:
        return ["no convolutions: nothing to set beside dense layers"]
    params = sum(row.params for row, _ in convs)
    dense = sum(view.dense_params for _, view in convs)
    connections = sum(view.connections for _, view in convs)
    return [
        f"convolutions: {params:,} params for {connections:,} connections; dense layers joining the same volumes "
        f"would need {dense:,} params",
        f"the convolutions need {fixed(dense, params, 1)} times fewer parameters (sparse connections, shared weights)",
    ]


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
        "config": config(result),
        "output": list(result.output),
        "params": result.params,
        "trainable_params": result.trainable_params,
        "non_trainable_params": result.non_trainable_params,
        "macs": result.macs,
        "flops": result.flops,
        "receptive_field": list(result.receptive_field),
        "jump": list(result.jump),
        "effective_padding": list(result.effective_padding),
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
        data[kind.repeated_by] = repetitions(result.layer)
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
    slid: dict[str, Any] | None = None,
    notes: Sequence[Diagnostic] = (),
) -> dict[str, Any]:
    """The report as JSON-ready data; every count an exact integer."""
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
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
            "jump": list(t.jump),
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
        **({"sliding": slid} if slid else {}),
    }


def render_json(report: Report, mem: Memory, batch: int, dtype: str, explained: Explained | None = None) -> str:
    return "".join(json_chunks(report, mem, batch, dtype, explained))


def json_chunks(
    report: Report,
    mem: Memory,
    batch: int,
    dtype: str,
    explained: Explained | None = None,
    slid: dict[str, Any] | None = None,
    notes: Sequence[Diagnostic] = (),
) -> Iterator[str]:
    """The JSON text in pieces, so that a network of a million layers is written without building one string."""
    yield from laid_out_json(report_dict(report, mem, batch, dtype, explained, slid, notes))
    yield "\n"


def laid_out_json(value: Any) -> Iterator[str]:
    """JSON for reading and for scripts: a line per row, rows inside a block on the lines under it.

    `{"index": 1, "kind": "conv", ..., "output": [30, 30, 8], ...}` on one line is a row to read at a glance;
    json's own indented text gives every number its own line. The outer two levels of objects get a line per
    member; a row that holds rows (a block's `layers`) has its own members on its line, and its rows under it.
    The text of every value is json's own (its C encoder: fast for a big network).
    """
    import json

    encode = json.JSONEncoder(separators=(", ", ": ")).encode

    def rows(items: list[Any], indent: str, expand: int) -> Iterator[str]:
        inner = indent + "  "
        for n, item in enumerate(items):
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
        elif _holds_rows(value):
            yield from rows(value, indent, expand - 1)
        else:
            yield encode(value)

    return lay_out(value, "", 2)


def _holds_rows(value: Any) -> bool:
    """A list of objects (or of lists), or an object with one inside: what gets a line per item."""
    if isinstance(value, dict):
        for member in value.values():
            if isinstance(member, (dict, list)) and _holds_rows(member):
                return True
        return False
    return isinstance(value, list) and bool(value) and isinstance(value[0], (dict, list))


CSV_COLUMNS = (
    "path", "depth", "block", "index", "kind", "name", "config", "out_h", "out_w", "out_c", "params",
    "trainable_params", "non_trainable_params", "macs", "rf_h", "rf_w", "jump_h", "jump_w", "effective_padding_h",
    "effective_padding_w",
)  # fmt: skip


def render_csv(report: Report) -> str:
    """One row per layer (a block before its own), plain integers, for spreadsheets and pandas.

    A block's row sums its own rows: add up `params` over the rows with `block` 0, or over `depth` 0.
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in walk(report.layers):
        block = int(is_block(r.layer))
        writer.writerow(
            [r.path, r.depth, block, r.number, r.kind, printable(r.name or ""), config(r), *r.output, r.params,
             r.trainable_params, r.non_trainable_params, r.macs, *r.receptive_field, *r.jump, *r.effective_padding]
        )  # fmt: skip
    return out.getvalue()


def render_explained(report: Report, explained: Explained, bullet: str = "") -> str:
    """The formulas of every row under its path and kind."""
    lines = ["How each number was found:"]
    for row in walk(report.layers):
        if explained.get(row.path):
            lines.append(f"{bullet}{row.path} {layer_label(row, indent='')}:")
            lines += [f"{bullet and '  '}{bullet or '    '}{line}" for line in explained[row.path]]
    return "\n".join(lines) + "\n"


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
    lines = [f"**{title}**: input {report.input}", "", row(headers)]
    lines.append(row(tuple("---:" if h in numeric else "---" for h in headers)))
    # Markdown drops leading spaces in a cell: nested rows are indented with a visible mark
    lines += [row(make_row(r, indent="· ")) for r in walk(report.layers)]
    lines.append("")
    lines += [f"- {line}" for line in footer(report, mem, batch, dtype)]
    if view == "fc":
        lines += [f"- {line}" for line in fc_footer(report)]
    lines += [f"- {line}" for line in more]
    lines.append(f"- {FULL_FIELD_NOTE}")
    lines += [f"- {d.format(filename)}" for d in report.warnings]
    return "\n".join(lines) + "\n"


def render_query(result: LayerResult, warnings: tuple[Diagnostic, ...], explained: list[str] | None = None) -> str:
    """One layer on one volume, as `cnncalc conv` and its kin print it."""
    summary = f"{result.kind} {config(result)}".rstrip()
    lines = [f"{summary} on {result.input}", f"output:          {result.output}"]
    if result.padding is not None:
        top, bottom, left, right = result.padding
        lines.append(f"padding:         top {top}, bottom {bottom}, left {left}, right {right}")
    lines.append(f"params:          {result.params:,}")
    if result.non_trainable_params:
        lines[-1] += f" ({result.trainable_params:,} trainable, {result.non_trainable_params:,} non-trainable)"
    lines.append(f"MACs:            {result.macs:,} (FLOPs = 2 x MACs = {result.flops:,})")
    field = f"{axes(result.receptive_field, ' x ')}, jump {axes(result.jump, ' x ')}"
    lines.append(f"receptive field: {field}, effective padding {axes(result.effective_padding, ' x ')}")
    lines += [f"warning: {d.message}" for d in warnings]
    if explained:
        lines += ["", "how:"] + [f"  {line}" for line in explained]
    return "\n".join(lines) + "\n"


def query_dict(result: LayerResult, warnings: tuple[Diagnostic, ...], explained: list[str] | None) -> dict[str, Any]:
    """A query's JSON: the keys of a layer of `summary`'s JSON, with the input, warnings and explanations."""
    data = {"input": list(result.input), **layer_dict(result), "warnings": [diagnostic_dict(d) for d in warnings]}
    if explained is not None:
        data["explain"] = explained
    return data


def first_field(result: LayerResult, size: Volume) -> list[dict[str, Any]]:
    """Per axis, where the first output's field lies in the input: from -P to -P + r - 1, and how much is padding."""
    axes_found = []
    for axis in range(2):
        r, p = result.receptive_field[axis], result.effective_padding[axis]
        start, end = -p, -p + r - 1
        axes_found.append(
            {
                "start": start,
                "end": end,
                "centre": (start + end) / 2,
                "padding_before": max(0, -start),
                "padding_after": max(0, end - (size[axis] - 1)),
            }
        )
    return axes_found


def rf_row(result: LayerResult, size: Volume) -> tuple[str, ...]:
    """A row of `cnncalc rf`: r, j and P, the first output's field in the input, its centre, how much is padding."""
    h, w = first_field(result, size)
    spans = [f"[{a['start']:,}, {a['end']:,}]" for a in (h, w)]
    centres = [f"{a['centre']:g}" for a in (h, w)]
    padding = [f"{a['padding_before']:,} + {a['padding_after']:,}" for a in (h, w)]
    return (
        result.path,
        layer_label(result),
        axes(result.receptive_field),
        axes(result.jump),
        axes(result.effective_padding),
        spans[0] if spans[0] == spans[1] else " x ".join(spans),
        centres[0] if centres[0] == centres[1] else " x ".join(centres),
        padding[0] if padding[0] == padding[1] else " x ".join(padding),
    )


def rf_dict(report: Report) -> dict[str, Any]:
    """`cnncalc rf --format json`: a row per layer, a block before its own."""
    return {
        "name": report.name,
        "input": list(report.input),
        "layers": [
            {
                "path": row.path,
                "kind": row.kind,
                "name": row.name,
                "receptive_field": list(row.receptive_field),
                "jump": list(row.jump),
                "effective_padding": list(row.effective_padding),
                "first_field": first_field(row, report.input),
            }
            for row in walk(report.layers)
        ],
    }


def sliding(report: Report, crop: Report) -> dict[str, Any] | None:
    """A network made for `crop`'s input, run on a larger one: the classifier at many positions in one pass."""
    oh, ow, _ = report.totals.output
    if (crop.totals.output.h, crop.totals.output.w) != (1, 1) or oh * ow <= 1:
        return None
    last = report.layers[-1]
    return {
        "positions": [oh, ow],
        "window": list(report.totals.receptive_field),
        "step": list(report.totals.jump),
        "offset": [-last.effective_padding[0], -last.effective_padding[1]],
        "crop": list(crop.input),
        "macs_one_pass": report.totals.macs,
        "macs_per_crop": crop.totals.macs,
        "macs_all_crops": oh * ow * crop.totals.macs,
    }


def sliding_lines(found: dict[str, Any]) -> list[str]:
    """The footer of a summary that slides a classifier over a larger input."""
    oh, ow = found["positions"]
    crop = "{} x {}".format(*found["crop"][:2])
    return [
        f"sliding: the classifier made for {crop} runs at {oh} x {ow} = {oh * ow:,} positions in one pass: "
        f"windows of {axes(tuple(found['window']), ' x ')} input pixels (the receptive field), "
        f"{axes(tuple(found['step']), ' x ')} apart (the jump), the first at {axes(tuple(found['offset']), ', ')} "
        "(the effective padding)",
        f"MACs: {found['macs_one_pass']:,} for the one pass, against {oh * ow:,} x {found['macs_per_crop']:,} = "
        f"{found['macs_all_crops']:,} for {oh * ow:,} separate {crop} crops",
    ]
