"""A report's rows as text: each row's config and label, its cells in the table and the fc view, the footers,
the `rf` rows, one-layer queries and `--explain`'s list; the documents (`documents`) and the rich table
(`table`) are made of them.

Renderers take a report and return text; only the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
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
# the key to the field's columns, for those a table shows
_FIELD_WORDS = {"RF": "receptive field", "jump": "jump", "P": "effective padding"}
FULL_MARK = "*: a field as large as the input"


def field_note(shown: Collection[str]) -> str | None:
    """`RF, jump, P: receptive field, jump and effective padding in input pixels; *: ...`, for the columns shown."""
    columns = [column for column in _FIELD_WORDS if column in shown]
    if not columns:
        return None
    words = [_FIELD_WORDS[column] for column in columns]
    named = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    return f"{', '.join(columns)}: {named} in input pixels" + (f"; {FULL_MARK}" if "RF" in shown else "")


FULL_FIELD_NOTE = field_note(_FIELD_WORDS) or ""

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
        macs_line(t.macs, batch),
        f"output: {t.output}   receptive field: {axes(t.receptive_field, ' x ')}, jump {axes(t.jump, ' x ')}",
        f"memory, {dtype}: params {human_bytes(mem.param_bytes)}, "
        f"activations {human_bytes(mem.activation_bytes)} (batch {batch}: input and every layer output)",
    ]


def macs_line(macs: int, batch: int) -> str:
    """MACs of one sample, as every row counts them, and of the batch where it is more than one (as memory is)."""
    line = f"MACs per sample: {macs:,} (FLOPs = 2 x MACs = {2 * macs:,})"
    return line + (f"; batch of {batch:,}: {batch:,} x {macs:,} = {batch * macs:,} MACs" if batch > 1 else "")


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


def fc_footer(rows: Iterable[LayerResult], every: bool = True) -> list[str]:
    """The network's convolutions against dense layers of the same shapes: how many times fewer parameters.

    `rows` are every row of the network, none folded, where `every` (the totals do not depend on folding);
    otherwise the rows kept, and the lines say that the convolutions inside folded blocks are left out.
    """
    convs = [(row, view) for row in rows if (view := dense_view(row))]
    which = "convolutions" if every else "convolutions of the rows shown (not those inside folded blocks)"
    if not convs:
        return [f"no {which}: nothing to set beside dense layers"]
    params = sum(row.params for row, _ in convs)
    dense = sum(view.dense_params for _, view in convs)
    connections = sum(view.connections for _, view in convs)
    return [
        f"{which}: {params:,} params for {connections:,} connections; dense layers joining the same volumes "
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
        field_text(result),
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


def _sides(rank: int, amounts: str) -> str:
    """`top 0, bottom 1, left 0, right 1`: padding written per side, named."""
    names = [name for pair in SIDE_NAMES.get(rank, ()) for name in pair]
    values = amounts.split(",")
    if len(values) != len(names):
        return amounts
    return ", ".join(f"{name} {value}" for name, value in zip(names, values, strict=True))


def _times(text: str) -> str:
    """`3 x 3` for the `3x3` of a window or a stride, `2` for `2`."""
    return text.replace("x", " x ")


def _window_text(text: str) -> str:
    """`3 x 3` for the `3x3` of a window; `length 3` for a 1-D window's `k3`."""
    return f"length {text[1:]}" if text.startswith("k") else _times(text)


def _each(amounts: str, rank: int) -> str:
    """`1 on every side` for `same(1)`, each side named for `same(0,1,0,1)`."""
    return f"{amounts} on every side" if "," not in amounts else _sides(rank, amounts)


def _count(number: str, thing: str) -> str:
    """`1 filter`, `64 filters`."""
    return f"{number} {thing}" if number == "1" else f"{number} {thing}s"


_WINDOWED = frozenset({"conv", "convtranspose", "maxpool", "avgpool"})
_SHRINKING = _WINDOWED - {"convtranspose"}  # whose padding adds zeros; a transposed conv's cuts from its output

# each shorthand of the config column: the layers that write it, how it is found in their config text, and what it
# says, from what was found and the row's rank
_Shorthand = tuple[frozenset[str], "re.Pattern[str]", Callable[[re.Match[str], int], str]]
_SHORTHANDS: tuple[_Shorthand, ...] = (
    (
        frozenset({"conv", "convtranspose"}),
        re.compile(r"^(\d+) ((?:\d+x)+\d+|k\d+)(?= |$)"),
        lambda found, rank: f"{_count(found[1], 'filter')} of {_window_text(found[2])}",
    ),
    (
        frozenset({"maxpool", "avgpool"}),
        re.compile(r"^((?:\d+x)+\d+|k\d+)(?= |$)"),
        lambda found, rank: f"windows of {_window_text(found[1])}",
    ),
    (_WINDOWED, re.compile(r"(?<!\S)/(\S+)"), lambda found, rank: f"stride {_times(found[1])}"),
    (
        _SHRINKING,
        re.compile(r"(?<!\S)same\(([\d,]+)\)"),
        lambda found, rank: f"the padding SAME asks for (output = input / stride, rounded up): {_each(found[1], rank)}",
    ),
    (_SHRINKING, re.compile(r"(?<!\S)same(?= |$)"), lambda found, rank: "SAME, which needs no padding here"),
    (
        frozenset({"convtranspose"}),
        re.compile(r"(?<!\S)same\(([\d,]+)\)"),
        lambda found, rank: f"the padding SAME cuts from the output (output = input x stride): {_each(found[1], rank)}",
    ),
    (
        frozenset({"convtranspose"}),
        re.compile(r"(?<!\S)same(?= |$)"),
        lambda found, rank: "SAME, which cuts nothing here",
    ),
    (
        _SHRINKING | {"zeropad"},
        re.compile(r"(?<!\S)pad (\d+)"),
        lambda found, rank: f"{_count(found[1], 'zero')} added on every side",
    ),
    (
        _SHRINKING | {"zeropad"},
        re.compile(r"(?<!\S)pad\(([\d,]+)\)"),
        lambda found, rank: f"zeros added: {_sides(rank, found[1])}",
    ),
    (
        frozenset({"convtranspose"}),
        re.compile(r"(?<!\S)pad (\d+)"),
        lambda found, rank: f"{found[1]} cut from every side of the output",
    ),
    (
        frozenset({"convtranspose"}),
        re.compile(r"(?<!\S)pad\(([\d,]+)\)"),
        lambda found, rank: f"cut from the output: {_sides(rank, found[1])}",
    ),
    (frozenset({"crop"}), re.compile(r"(?<!\S)pad (\d+)"), lambda found, rank: f"{found[1]} taken from every side"),
    (
        frozenset({"crop"}),
        re.compile(r"(?<!\S)pad\(([\d,]+)\)"),
        lambda found, rank: f"taken from the sides: {_sides(rank, found[1])}",
    ),
    (
        frozenset({"convtranspose"}),
        re.compile(r"(?<!\S)out\+(\S+)"),
        lambda found, rank: f"output padding: {_times(found[1])} added after the last position along each axis",
    ),
    (
        frozenset({"conv", "convtranspose"}),
        re.compile(r"(?<!\S)dil (\S+)"),
        lambda found, rank: f"dilation {_times(found[1])}: the window's taps {_times(found[1])} apart",
    ),
    (
        frozenset({"maxpool", "avgpool"}),
        re.compile(r"(?<!\S)ceil(?= |$)"),
        lambda found, rank: "a last partial window counts (rounded up)",
    ),
    (
        frozenset({"repeat"}),
        re.compile(r"^x(\d+)"),
        lambda found, rank: (
            "a repeat's layers, once" if found[1] == "1" else f"a repeat's layers, {found[1]} times over"
        ),
    ),
    (
        frozenset({"upsample"}),
        re.compile(r"^x(\S+)"),
        lambda found, rank: f"up-sampled, {_times(found[1])} times as many positions along each axis",
    ),
)


def config_key(rows: Iterable[LayerResult]) -> str | None:
    """A key to the config column's shorthand, for what these rows write, each with the first one written:
    `config: 6 5x5 = 6 filters of 5 x 5; /2 = stride 2`; None where they write none."""
    found: dict[int, str] = {}
    for row in rows:
        if row.kind not in _KEYED:
            continue
        text = row.config
        for number, (kinds, pattern, meaning) in enumerate(_SHORTHANDS):
            if number not in found and row.kind in kinds and (match := pattern.search(text)):
                found[number] = f"{match[0]} = {meaning(match, row.input.rank)}"
        if len(found) == len(_SHORTHANDS):
            break
    if not found:
        return None
    return "config: " + "; ".join(found[number] for number in sorted(found))


_KEYED = frozenset(kind for kinds, _, _ in _SHORTHANDS for kind in kinds)
