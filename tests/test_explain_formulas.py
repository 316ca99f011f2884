"""The formulas `--explain` prints add up: evaluated, each side equals the number it reports.

A line such as `h' = w' = floor((17 + 1 + 2 - 5) / 2) + 1 = floor(7.5) + 1 = 8` is cut at ` = `; every part
written in numbers alone is evaluated exactly (Fractions, with only + - * / //, parentheses, floor, ceil, max and
min: a parser of our own over `ast`, never `eval`) and all of them must be equal. The name the line starts with
(h', w', output, params, MACs, r, j, padding) must then hold the number the JSON reports for the same row, and the
lines of prose (`sparsity: ...`, `sharing: ...`, a repeat's totals) must agree with the arithmetic beside them.
Every line has to check at least one thing, so a line of a new shape fails here until it is understood.

The networks are generated: a few convs, pools, blocks and dense layers on random volumes, valid by
construction, and the queries `conv`, `pool`, `dense` and `pad` on random sizes.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from explain_checker import (
    Chain,
    Checked,
    Record,
    Symbolic,
    chain,
    check_explanation,
    check_line,
    check_summary,
    evaluate,
    number,
    run,
    volume,
)
from hypothesis import given, note, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


EXAMPLES = 50 * settings().max_examples // 100  # 50 in the default profile, 500 in the thorough one


# ---- generated networks, valid by construction -------------------------------------------------------------

Volume = tuple[int, int, int]


def conv_size(size: int, kernel: int, stride: int, before: int, after: int, dilation: int) -> int:
    return (size + before + after - (dilation * (kernel - 1) + 1)) // stride + 1


@st.composite
def convs(draw: st.DrawFn, shape: Volume, same_only: bool = False) -> tuple[dict[str, Any], Volume]:
    """A conv that fits the volume, and its output; `same_only` (in a repeat, where later repetitions see other
    channels): `same` padding and no groups, valid on any volume."""
    h, w, c = shape
    form = "same" if same_only else draw(st.sampled_from(["valid", "same", "int", "pair", "sides"]))
    # top, bottom, left, right
    sides: tuple[int, ...] = (0, 0, 0, 0)
    if form == "int":
        sides = (draw(st.integers(0, 2)),) * 4
    elif form == "pair":
        ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        sides = (ph, ph, pw, pw)
    elif form == "sides":
        sides = tuple(draw(st.integers(0, 2)) for _ in range(4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = []
    for axis, size in enumerate((h, w)):
        padded = size + sides[2 * axis] + sides[2 * axis + 1]
        largest = 5 if form == "same" else (padded - 1) // dilation[axis] + 1
        kernel.append(draw(st.integers(1, min(5, largest))))
    groups = 1 if same_only else draw(st.sampled_from([g for g in (1, 2, 3, 4) if c % g == 0]))
    filters = groups * draw(st.integers(1, 3))
    options: dict[str, Any] = {"filters": filters, "kernel": kernel[0] if kernel[0] == kernel[1] else kernel}
    if stride != (1, 1):
        options["stride"] = stride[0] if stride[0] == stride[1] else list(stride)
    if dilation != (1, 1):
        options["dilation"] = dilation[0] if dilation[0] == dilation[1] else list(dilation)
    if form != "valid" or draw(st.booleans()):
        options["padding"] = {
            "valid": "valid",
            "same": "same",
            "int": sides[0],
            "pair": [sides[0], sides[2]],
            "sides": list(sides),
        }[form]
    if groups > 1:
        options["groups"] = groups
    if draw(st.booleans()):
        options["bias"] = False
    if form == "same":
        out = tuple(-(-size // s) for size, s in zip((h, w), stride, strict=True))
    else:
        out = tuple(
            conv_size(size, k, s, sides[2 * axis], sides[2 * axis + 1], d)
            for axis, (size, k, s, d) in enumerate(zip((h, w), kernel, stride, dilation, strict=True))
        )
    return {"conv": options}, (out[0], out[1], filters)


@st.composite
def pools(draw: st.DrawFn, shape: Volume) -> tuple[dict[str, Any], Volume]:
    h, w, c = shape
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    form = draw(st.sampled_from(["valid", "same", "int"]))
    size = [draw(st.integers(1, min(4, h))), draw(st.integers(1, min(4, w)))]
    pad = draw(st.integers(0, min(size) // 2)) if form == "int" else 0  # at most half the window, as PyTorch takes
    stride = [draw(st.integers(1, 3)), draw(st.integers(1, 3))] if draw(st.booleans()) else list(size)
    options: dict[str, Any] = {"size": size[0] if size[0] == size[1] else size}
    if stride != size:
        options["stride"] = stride[0] if stride[0] == stride[1] else stride
    ceil = form != "same" and draw(st.booleans())
    if form != "valid":
        options["padding"] = "same" if form == "same" else pad
    if ceil:
        options["ceil"] = True
    out = []
    for n, k, s in zip((h, w), size, stride, strict=True):
        if form == "same":
            out.append(-(-n // s))
        elif ceil:
            count = -(-(n + 2 * pad - k) // s) + 1
            # PyTorch's ceil_mode: no last window that starts past the input and its leading padding
            out.append(count - 1 if (count - 1) * s >= n + pad else count)
        else:
            out.append((n + 2 * pad - k) // s + 1)
    return {kind: options}, (out[0], out[1], c)


@st.composite
def blocks(draw: st.DrawFn, shape: Volume) -> tuple[dict[str, Any], Volume]:
    h, w, c = shape
    kind = draw(st.sampled_from(["repeat", "residual", "concat"]))
    if kind == "repeat":
        times = draw(st.integers(1, 3))
        layers = [draw(convs(shape, same_only=True))[0] for _ in range(draw(st.integers(1, 2)))]
        now = shape
        for _ in range(times):
            for layer in layers:
                now = (-(-now[0] // stride(layer, 0)), -(-now[1] // stride(layer, 1)), layer["conv"]["filters"])
        if draw(st.booleans()):
            layers.append({"batchnorm": None})
        return {"repeat": {"times": times, "layers": layers}}, now
    if kind == "residual":
        downsample = draw(st.booleans())
        filters = draw(st.integers(1, 6)) if downsample else c
        s = 2 if downsample else 1
        main: list[dict[str, Any]] = [
            {"conv": {"filters": filters, "kernel": draw(st.sampled_from([1, 3])), "stride": s, "padding": "same"}}
        ]
        if draw(st.booleans()):
            main.append({"batchnorm": None})
        options: dict[str, Any] = {"layers": main}
        if downsample:
            options["shortcut"] = [{"conv": {"filters": filters, "kernel": 1, "stride": 2, "bias": False}}]
        if draw(st.booleans()):
            options["activation"] = "relu"
        return {"residual": options}, (-(-h // s), -(-w // s), filters)
    widths = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3)))]
    branches: list[list[dict[str, Any]]] = [[{"conv": {"filters": k, "kernel": 1}}] for k in widths]
    if draw(st.booleans()):
        branches.append([])  # the identity
        widths.append(c)
    if len(branches) == 1:
        branches.append([{"conv": {"filters": 2, "kernel": 3, "padding": "same"}}])
        widths.append(2)
    return {"concat": {"branches": branches}}, (h, w, sum(widths))


def stride(layer: dict[str, Any], axis: int) -> int:
    value = layer["conv"].get("stride", 1)
    return int(value if isinstance(value, int) else value[axis])


@st.composite
def networks(draw: st.DrawFn) -> str:
    """A spec's YAML text: a few layers on a random volume, then perhaps a classifier."""
    shape: Volume = (draw(st.integers(1, 24)), draw(st.integers(1, 24)), draw(st.integers(1, 6)))
    lines = ["name: generated", f"input: [{shape[0]}, {shape[1]}, {shape[2]}]", "layers:"]
    for index in range(draw(st.integers(1, 4))):
        # the first layer has formulas to check; later ones may be layers without (relu)
        choice = draw(st.sampled_from(["conv", "conv", "pool", "block", "batchnorm", "relu"][: 4 if index == 0 else 6]))
        if choice == "conv":
            layer, shape = draw(convs(shape))
        elif choice == "pool":
            layer, shape = draw(pools(shape))
        elif choice == "block":
            layer, shape = draw(blocks(shape))
        else:
            layer = {choice: None}
        lines.append(f"  - {to_yaml(layer)}")
    head = draw(st.sampled_from(["none", "flatten", "global"]))
    if head != "none":
        if head == "global":
            lines.append(f"  - {draw(st.sampled_from(['globalavgpool', 'globalmaxpool']))}")
        if head == "flatten" or draw(st.booleans()):
            lines.append("  - flatten")
        for _ in range(draw(st.integers(1, 2))):
            dense: dict[str, Any] = {"units": draw(st.integers(1, 12))}
            if draw(st.booleans()):
                dense["bias"] = False
            lines.append(f"  - {to_yaml({'dense': dense})}")
            if draw(st.booleans()):
                lines.append("  - dropout")
    return "\n".join(lines) + "\n"


def to_yaml(layer: dict[str, Any]) -> str:
    # JSON is YAML's flow style; a kind without options is a bare name
    ((kind, options),) = layer.items()
    return kind if options is None else json.dumps({kind: options})


# ---- the tests ---------------------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES)
@given(networks())
def test_summary_explain_adds_up_on_generated_networks(spec: str) -> None:
    note(spec)
    assert check_summary(spec) > 0


@pytest.mark.parametrize("path", SPECS, ids=[path.stem for path in SPECS])
def test_summary_explain_adds_up_on_the_shipped_specs(path: Path) -> None:
    assert check_summary(path.read_text(encoding="utf-8")) > 0


def query(args: list[str]) -> tuple[list[str], Record]:
    """A query's `how:` lines with --explain, and its JSON; the header lines checked against the JSON."""
    code, text, err = run([*args, "--explain"])
    assert code == 0, err
    code, out, err = run([*args, "--format", "json"])
    assert code == 0, err
    row = json.loads(out)
    head, marker, how = text.partition("\nhow:\n")
    assert marker, text
    fields = dict(line.split(": ", 1) for line in head.splitlines()[1:] if line)
    assert volume(fields["output"].strip()) == tuple(row["output"])
    assert number(fields["params"].strip()) == row["params"]
    if "padding" in fields:  # convs and pools
        top, bottom, left, right = row["padding"]
        assert fields["padding"].strip() == f"top {top}, bottom {bottom}, left {left}, right {right}"
    macs = number(row_macs := fields["MACs"].strip().split(" ")[0])
    assert macs == row["macs"] and fields["MACs"].strip() == f"{row_macs} (FLOPs = 2 x MACs = {2 * macs:,})"
    lines = how.splitlines()
    assert all(line.startswith("  ") for line in lines), how
    return [line[2:] for line in lines], row


sides = st.integers(1, 40)


@settings(max_examples=EXAMPLES)
@given(
    shape=st.tuples(sides, sides, st.integers(1, 8)),
    kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    dilation=st.integers(1, 3),
    padding=st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 3)),
    group_and_filters=st.tuples(st.sampled_from([1, 2, 4]), st.integers(1, 4)),
    bias=st.booleans(),
)
def test_conv_explain_adds_up(
    shape: tuple[int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: int,
    padding: str | int,
    group_and_filters: tuple[int, int],
    bias: bool,
) -> None:
    groups, times = group_and_filters
    h, w, c = shape
    c = c * groups  # the groups divide the channels
    pad = padding if isinstance(padding, int) else 0
    # a window no larger than the padded input: a smaller kernel where the drawn one does not fit
    fh, fw = (
        min(f, (size + 2 * pad - 1) // dilation + 1) if padding != "same" else f
        for f, size in zip(kernel, (h, w), strict=True)
    )
    args = ["conv", f"{h}x{w}x{c}", "-k", str(groups * times), "-f", f"{fh}x{fw}", "-s", f"{stride[0]}x{stride[1]}"]
    args += ["-p", str(padding), "-d", str(dilation), "-g", str(groups), "--bias" if bias else "--no-bias"]
    note(" ".join(args))
    lines, row = query(args)
    assert check_explanation(lines, row, []) > 0


@settings(max_examples=EXAMPLES)
@given(
    shape=st.tuples(sides, sides, st.integers(1, 8)),
    size=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    stride=st.none() | st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2)),
    kind=st.sampled_from(["max", "avg"]),
    ceil=st.booleans(),
)
def test_pool_explain_adds_up(
    shape: tuple[int, int, int],
    size: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: str | int,
    kind: str,
    ceil: bool,
) -> None:
    h, w, c = shape
    pad = min(padding, *(f // 2 for f in size)) if isinstance(padding, int) else 0  # at most half the window
    fh, fw = (min(f, n + 2 * pad) for f, n in zip(size, (h, w), strict=True))
    pad = min(pad, fh // 2, fw // 2)
    args = ["pool", f"{h}x{w}x{c}", "--size", f"{fh}x{fw}", "--kind", kind]
    args += ["-p", padding if isinstance(padding, str) else str(pad)]
    if stride is not None:
        args += ["-s", f"{stride[0]}x{stride[1]}"]
    if ceil and padding != "same":
        args.append("--ceil")
    note(" ".join(args))
    lines, row = query(args)
    assert check_explanation(lines, row, []) > 0


@settings(max_examples=EXAMPLES)
@given(
    shape=st.one_of(st.tuples(st.integers(1, 500)), st.tuples(sides, sides, st.integers(1, 8))),
    units=st.integers(1, 300),
    bias=st.booleans(),
)
def test_dense_explain_adds_up(shape: tuple[int, ...], units: int, bias: bool) -> None:
    args = ["dense", "x".join(map(str, shape)), "--units", str(units), "--bias" if bias else "--no-bias"]
    note(" ".join(args))
    lines, row = query(args)
    assert check_explanation(lines, row, []) > 0
    assert row["params"] == units * (math.prod(shape) + bias)


@settings(max_examples=EXAMPLES)
@given(
    size=st.integers(1, 64),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
    offset=st.none() | st.integers(-3, 8),
)
def test_pad_adds_up(size: int, kernel: int, stride: int, dilation: int, offset: int | None) -> None:
    args = ["pad", str(size), "--kernel", str(kernel), "--stride", str(stride), "--dilation", str(dilation)]
    same = -(-size // stride)
    if offset is not None:
        args += ["--output", str(max(1, same + offset))]
    note(" ".join(args))
    code, text, err = run(args)
    if code == 2:
        # an output no padding gives: refused as a usage error, and only with --output
        assert offset is not None and text == "" and "Error: no padding gives" in err, err
        return
    assert code == 0, err
    code, out, err = run([*args, "--format", "json"])
    assert code == 0, err
    answer = json.loads(out)
    lines = text.splitlines()
    span = dilation * (kernel - 1) + 1
    before, after = answer["padding"]
    assert before + after == answer["total"]
    padded = f"pad {answer['total']} in all, {before} before and {after} after"
    assert after - before in (0, 1)  # the odd pixel after, as TensorFlow and PyTorch put it
    if offset is None:
        assert lines[0] == f"SAME: ceil({size} / {stride}) = {same}: {padded}"
        assert chain(lines[0]) == Chain([], Fraction(same), 1, padded)
        assert answer["output"] == same
        assert answer["total"] == max((same - 1) * stride + span - size, 0)  # the README's SAME padding
    else:
        assert lines[0] == f"the output asked for, {answer['output']}: {padded}"
        assert answer["output"] == max(1, same + offset)
    if answer["total"] % 2:
        assert lines[1] == "an odd total: the extra row goes after (bottom/right), as TensorFlow and PyTorch put it"
    else:
        assert not lines[1].startswith("an odd total")
    # check: (size + before + after - span) / stride + 1 = output, and the arithmetic holds
    check = lines[-1]
    assert re.fullmatch(
        rf"check: (floor\()?\({size} \+ {before} \+ {after} - {span}\) / {stride}(\))? \+ 1 = {answer['output']}", check
    ), check
    assert chain(check) == Chain([], Fraction(answer["output"]), 1, "")


# ---- the checker itself, on worked examples ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("(32 + 2*0 - 5) / 1 + 1", 28, id="lecture"),
        pytest.param("6 * (5*5*1 + 1)", 156, id="lenet-c1-params"),
        pytest.param("floor((17 + 1 + 2 - 5) / 2) + 1", 8, id="floor"),
        pytest.param("floor(22/3) + 1", 8, id="floor-of-a-fraction"),
        pytest.param("floor(54.25) + 1", 55, id="decimal"),
        pytest.param("ceil((8 + 2*1 - 3) / 2) + 1", 5, id="ceil"),
        pytest.param("max((3 - 1)*2 + 2 - 5, 0)", 1, id="max"),
        pytest.param("max((112 - 1)*1 + 1 - 112, 0)", 0, id="max-clamped"),
        pytest.param("3*3*32/32", 9, id="groups"),
        pytest.param("7 // 2", 3, id="floor-division"),
    ],
)
def test_evaluate(text: str, value: int) -> None:
    assert evaluate(text) == value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("K * (3*3*3 + 1)", id="a-name"),
        pytest.param("h'*w'*K * 3*3*3", id="primes"),
        pytest.param("layers(x) + shortcut(x)", id="a-call"),
        pytest.param("__import__('os').system('true')", id="no-eval"),
        pytest.param("2**10", id="no-power"),
        pytest.param("'12'", id="no-strings"),
        pytest.param("floor(x=1)", id="no-keywords"),
    ],
)
def test_evaluate_takes_nothing_but_arithmetic(text: str) -> None:
    with pytest.raises(Symbolic):
        evaluate(text)


def test_a_wrong_formula_fails() -> None:
    row: Record = {"output": [28, 28, 6], "params": 156, "macs": 117_600, "receptive_field": [5, 5], "jump": [1, 1]}
    assert check_line("h' = w' = (32 + 2*0 - 5) / 1 + 1 = 27 + 1 = 28", row, []) == Checked(2, 2)
    assert check_line("params = K * (5*5*1 + 1) = 6 * (5*5*1 + 1) = 156", row, []) == Checked(1, 1)
    assert check_line("r = 1 + (5 - 1) * 1 = 5; j = 1 * 1 = 1", row, []) == Checked(2, 2)
    for wrong in (
        "h' = w' = (32 + 2*0 - 5) / 1 + 1 = 27 + 1 = 29",  # the sum is wrong
        "h' = w' = (32 + 2*0 - 5) / 2 + 1 = 27 + 1 = 28",  # a side is wrong: 14.5
        "params = K * (5*5*1 + 1) = 6 * (5*5*1 + 1) = 1,56",  # not a number as printed
        "params = K * (5*5*1 + 1) = 6 * (5*5*1 + 2) = 162",  # adds up, but not to the JSON's
        "r = 1 + (5 - 1) * 1 = 5; j = 1 * 2 = 2",
        "h' = w' = (32 + 2*0 - 5) / 1 + 1) = 28",  # arithmetic that does not parse
    ):
        with pytest.raises(AssertionError):
            check_line(wrong, row, [])
    with pytest.raises(AssertionError):
        check_explanation(["a sentence with no numbers to check"], row, [])


def test_zeropad_explain_adds_up() -> None:
    spec = (
        "input: [8, 6, 3]\nlayers:\n  - zeropad: {padding: [1, 2, 0, 3]}\n  - conv: {filters: 4, kernel: 3}\n"
        "  - zeropad: {padding: 1}\n  - maxpool: {size: 2}\n"
    )
    assert check_summary(spec) > 0
