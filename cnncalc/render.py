"""A report's rows as text: each row's config and label, its cells in the table and the fc view, the footers,
the `rf` rows, one-layer queries and `--explain`'s list; the documents (`documents`) and the rich table
(`table`) are made of them.

Renderers take a report and return text; only the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .config import axes
from .diagnostics import Diagnostic
from .exact import fixed, halves
from .report import LayerResult, Memory, Report, dense_view, first_field, walk
from .spec import (
    SIDE_NAMES,
    Volume,
)

if TYPE_CHECKING:
    from .pipeline import Sliding

# per row's path, the formulas behind its numbers (see explain.py)
Explained = dict[str, list[str]]
TABLE_HEADERS = ("#", "layer", "config", "output", "params", "MACs", "RF", "jump", "P")
NUMERIC_HEADERS = frozenset({"params", "MACs", "RF", "jump", "P"})
FULL_FIELD_NOTE = (
    "RF, jump, P: receptive field, jump and effective padding in input pixels; *: a field as large as the input"
)

# under a table holding rows after up-sampling
UNEVEN_NOTE = (
    "~: outputs see windows of different sizes (up-sampled, or an adaptive pool's uneven windows): RF is the "
    "widest, the jump an average; `cnncalc rf` shows where the first output's window lies"
)

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
    return axes(result.receptive_field) + ("~" if result.uneven else "") + ("*" if all(result.covers_input) else "")


def human_bytes(count: int) -> str:
    """`527.8 MiB`: bytes in the largest unit up to TiB that leaves a number of at least 1, to a tenth."""
    for power, unit in enumerate(("B", "KiB", "MiB", "GiB", "TiB")):
        if count < 1024 ** (power + 1) or unit == "TiB":
            return f"{count:,} B" if unit == "B" else f"{fixed(count, 1024**power, 1)} {unit}"
    raise AssertionError("unreachable")


def footer(report: Report, mem: Memory, batch: int, dtype: str) -> list[str]:
    """The totals under the table, one line each."""
    t = report.totals
    # batchnorm's moving statistics are the only parameters not learned: Keras counts them, PyTorch keeps buffers
    split = f" = {t.trainable_params:,} trainable + {t.non_trainable_params:,} batchnorm statistics"
    return [
        f"params: {t.params:,}{split if t.non_trainable_params else ''}",
        f"MACs: {t.macs:,} (FLOPs = 2 x MACs = {t.flops:,})",
        f"output: {t.output}   receptive field: {axes(t.receptive_field, ' x ')}, jump {axes(t.jump, ' x ')}",
        f"memory, {dtype}: params {human_bytes(mem.param_bytes)}, "
        f"activations {human_bytes(mem.activation_bytes)} (batch {batch}: input and every layer output)",
    ]


LOCAL_HEADER = "local RF"
LOCAL_NOTE = (
    "local RF: the receptive field with the statistics of whole maps held constant (a group or instance norm's, "
    "a squeeze-and-excitation gate's): theirs reach every output from every pixel"
)


def has_local(results: Iterable[LayerResult]) -> bool:
    """Whether statistics of a whole map reach some row: its tables then show the local field beside RF."""
    return any(result.local is not None for result in results)


def local_text(result: LayerResult) -> str:
    return axes(result.local_receptive_field)


def table_row(result: LayerResult, indent: str = "  ") -> tuple[str, ...]:
    """A row's cells in the table and Markdown views, numbers with thousands separators."""
    return (
        result.path,
        layer_label(result, indent),
        result.config,
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


def render_explained(report: Report, explained: Explained, bullet: str = "") -> str:
    """The formulas of every row under its path and kind."""
    lines = ["How each number was found:"]
    for row in walk(report.layers):
        if explained.get(row.path):
            lines.append(f"{bullet}{row.path} {layer_label(row, indent='')}:")
            lines += [f"{bullet and '  '}{bullet or '    '}{line}" for line in explained[row.path]]
    return "\n".join(lines) + "\n"


def render_query(result: LayerResult, warnings: tuple[Diagnostic, ...], explained: list[str] | None = None) -> str:
    """One layer on one volume, as `cnncalc conv` and its kin print it."""
    summary = f"{result.kind} {result.config}".rstrip()
    lines = [f"{summary} on {result.input}", f"output:          {result.output}"]
    if result.padding is not None:
        names = [name for pair in SIDE_NAMES[result.input.rank] for name in pair]
        # a transposed conv's padding is cut from its output, as PyTorch's padding is
        label = "cut from output:" if result.kind == "convtranspose" else "padding:        "
        lines.append(f"{label} {', '.join(f'{name} {side}' for name, side in zip(names, result.padding, strict=True))}")
    lines.append(f"params:          {result.params:,}")
    if result.non_trainable_params:
        lines[-1] += f" ({result.trainable_params:,} trainable, {result.non_trainable_params:,} non-trainable)"
    lines.append(f"MACs:            {result.macs:,} (FLOPs = 2 x MACs = {result.flops:,})")
    field = f"{axes(result.receptive_field, ' x ')}, jump {axes(result.jump, ' x ')}"
    lines.append(f"receptive field: {field}, effective padding {axes(result.effective_padding, ' x ')}")
    if result.uneven:
        lines.append("                 (outputs see windows of different sizes: the field is the widest)")
    lines += [f"warning: {d.message}" for d in warnings]
    if explained:
        lines += ["", "how:"] + [f"  {line}" for line in explained]
    return "\n".join(lines) + "\n"


def rf_row(result: LayerResult, size: Volume) -> tuple[str, ...]:
    """A row of `cnncalc rf`: r, j and P, the first output's field in the input, its centre, how much is padding."""
    found = first_field(result, size)
    spans = [f"[{a.start:,}, {a.end:,}]" for a in found]
    centres = [halves(a.centre_twice) for a in found]
    padding = [f"{a.padding_before:,} + {a.padding_after:,}" for a in found]
    return (
        result.path,
        layer_label(result),
        axes(result.receptive_field) + ("~" if result.uneven else ""),
        axes(result.jump),
        axes(result.effective_padding),
        _alike(spans),
        _alike(centres),
        _alike(padding),
    )


def _alike(texts: list[str]) -> str:
    """One text where every axis says the same, else each axis's, joined by ` x `."""
    return texts[0] if len(set(texts)) == 1 else " x ".join(texts)


def sliding_lines(found: Sliding) -> list[str]:
    """The footer of a summary that slides a classifier over a larger input."""
    count = found.positions_count
    crop = " x ".join(map(str, found.crop.spatial))
    at = " x ".join(map(str, found.positions))
    return [
        f"sliding: the classifier made for {crop} runs at {at} = {count:,} positions in one pass: "
        f"windows of {axes(found.window, ' x ')} input pixels (the receptive field), "
        f"{axes(found.step, ' x ')} apart (the jump), the first at {axes(found.offset, ', ')} "
        "(the effective padding)",
        f"MACs: {found.macs_one_pass:,} for the one pass, against {count:,} x {found.macs_per_crop:,} = "
        f"{found.macs_all_crops:,} for {count:,} separate {crop} crops",
    ]
