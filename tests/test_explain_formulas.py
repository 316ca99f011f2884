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


# ---- blocks: a field made by composing rows, never one filter's ------------------------------------------


def block_lines(*args: str) -> dict[str, list[str]]:
    """`summary --explain`'s lines of each block's row, by its heading; nothing on stderr, exit 0."""
    code, out, err = run(["summary", *args, "--explain"])
    assert (code, err) == (0, "")
    _, _, section = out.partition("\nHow each number was found:\n")
    blocks: dict[str, list[str]] = {}
    heading = ""
    for line in section.splitlines():
        if not line.startswith("    "):
            heading = line
        elif re.match(r"[\w.]+ (repeat|residual|concat|add|multiply)\b", heading):
            blocks.setdefault(heading, []).append(line.strip())
    return blocks


def test_a_folded_block_is_its_rows_composed() -> None:
    # ResNet-18's layer1 on its 56 x 56 map: four 3x3 convs at jump 4, each adding (3 - 1) * 4 = 8 to 11
    blocks = block_lines(str(ROOT / "specs/resnet18.yaml"), "--depth", "0")
    assert blocks["5 repeat layer1:"][1] == (
        "r = 11 + 32 = 43: not one filter but 2 repetitions of its rows composed, each row widening the field it "
        "reads (folded: --depth 1 shows each row's part)"
    )
    assert blocks["6 residual layer2.0:"][1] == (
        "r = 43 + 24 = 67; j = 4 * 2 = 8: not one filter but its layers composed row by row, united with its "
        "shortcut's window (folded: --depth 1 shows each row's part)"
    )
    inception = block_lines(str(ROOT / "specs/googlenet_inception3a.yaml"), "--depth", "0")
    assert inception["1 concat inception_3a:"][1] == (
        "r = 1 + 4 = 5: not one filter but its 4 branches, each composed row by row, united (folded: --depth 1 "
        "shows each row's part)"
    )
    every = [line for lines in blocks.values() for line in lines]
    assert not [line for line in every if "a filter over the whole" in line]


def test_a_block_shows_each_rows_widening() -> None:
    blocks = block_lines(str(ROOT / "specs/resnet18.yaml"))
    # the repeat: its two residuals in turn; each residual: its two convs, the identity shortcut adding nothing
    assert blocks["5 repeat layer1:"][1] == "r = 11 + 16 + 16 = 43: its rows composed, each term one row's widening"
    assert blocks["5.1 residual:"][1] == (
        "r = 11 + max(8 + 8, 0) = 27: the wider of its layers' and its shortcut's fields, each composed row by row: "
        "its window holds the others'"
    )
    # a stride-2 block: the second conv reads at jump 8; the 1x1 shortcut widens nothing
    assert blocks["6 residual layer2.0:"][1] == (
        "r = 43 + max(8 + 16, 0) = 67; j = 4 * 2 = 8: the wider of its layers' and its shortcut's fields, each "
        "composed row by row: its window holds the others'"
    )
    # Inception 3a: 1x1; 1x1 then 3x3; 1x1 then 5x5; a 3x3 pool then 1x1
    inception = block_lines(str(ROOT / "specs/googlenet_inception3a.yaml"))
    assert inception["1 concat inception_3a:"][1] == (
        "r = 1 + max(0, 2, 4, 2) = 5: the widest of its 4 branches' fields, each composed row by row: its window "
        "holds the others'"
    )


BLOCKS_SPEC = """input: [16, 16, 8]
layers:
  - repeat:
      times: 6
      layers: [{conv: {filters: 8, kernel: 3, padding: 1}}, relu]
  - concat:
      split: [4, 4]
      branches:
        - [{conv: {filters: 4, kernel: 3, padding: 1}}]
        - [{conv: {filters: 4, kernel: 5, padding: 2}}, {conv: {filters: 4, kernel: 3, padding: 1}}]
  - multiply:
      branches:
        - [{conv: {filters: 8, kernel: 3, padding: 1}}]
        - [globalavgpool, {conv: {filters: 8, kernel: 1}}, sigmoid]
  - repeat:
      times: 2
      layers:
        - repeat: {times: 2, layers: [{conv: {filters: 8, kernel: 3, stride: 2, padding: 1}}]}
"""


def test_every_kind_of_block_is_its_rows_composed() -> None:
    code, out, err = run(["summary", "-", "--explain"], BLOCKS_SPEC)
    assert (code, err) == (0, "")
    fields = [line.strip() for line in out.splitlines() if line.startswith("    r")]
    # three or more equal widenings in a row are written as a product
    assert "r = 1 + 6*2 = 13: its rows composed, each term one row's widening" in fields
    # the split's second branch, 4 + 2, is the wider
    assert (
        "r = 13 + max(2, 4 + 2) = 19: the wider of branch 1's and branch 2's fields, each composed row by row: its "
        "window holds the others'" in fields
    )
    # the gate's global average reaches the whole map, from the map's first pixel to its last: the two branches'
    # windows are not centred alike
    assert (
        "r = 35: the union of its paths' windows (branch 1: 19 + 2, branch 2: 19 + 15), which are not centred alike: "
        "wider than the widest" in fields
    )
    # a repeat of repeats: each inner repeat one row of the outer, its stride changing the jump
    assert any(
        re.fullmatch(r"r = \d+ \+ \d+ \+ \d+ = \d+; j = 1 \* 16 = 16: its rows composed, .*", line) for line in fields
    )
    assert check_summary(BLOCKS_SPEC) > 0


def test_paths_whose_windows_are_not_centred_alike_are_united() -> None:
    # padded above and to the left, the layers read rows o - 2 to o; padded below and right, the shortcut o to o + 2
    spec = (
        "input: [8, 8, 4]\nlayers:\n  - residual:\n"
        "      layers: [{zeropad: {padding: [2, 0, 2, 0]}}, {conv: {filters: 4, kernel: 3}}]\n"
        "      shortcut: [{zeropad: {padding: [0, 2, 0, 2]}}, {conv: {filters: 4, kernel: 3}}]\n"
    )
    code, out, err = run(["summary", "-", "--explain"], spec)
    # the warning that the fields do not line up is under the table, and on standard error as the output is piped
    warned = "warning: layer 1 (residual): the receptive fields where the paths meet do not line up"
    assert code == 0 and warned in err and warned in out
    assert (
        "    r = 5: the union of its paths' windows (its layers: 1 + 2, its shortcut: 1 + 2), which are not centred "
        "alike: wider than the widest\n" in out
    )
    assert check_summary(spec) > 0


def test_a_block_line_that_does_not_compose_its_rows_fails() -> None:
    conv = {"kind": "conv", "output": [8, 8, 4], "receptive_field": [3, 3]}
    row: Record = {"kind": "repeat", "output": [8, 8, 4], "receptive_field": [5, 5], "layers": [conv, conv]}
    conv2 = {**conv, "receptive_field": [5, 5]}
    row["layers"] = [conv, conv2]
    assert check_explanation(["r = 1 + 2 + 2 = 5: its rows composed, each term one row's widening"], row, []) > 0
    for wrong in (
        "r = 1 + 4 = 5: its rows composed, each term one row's widening",  # adds up, but is not the rows'
        "r = 1 + (3 - 1) * 2 = 5: a filter over the whole 3-wide map",  # one filter's arithmetic
        "r = 1 + 4 = 5: not one filter but its rows composed (folded: --depth 1 shows each row's part)",  # not folded
    ):
        with pytest.raises(AssertionError):
            check_explanation([wrong], row, [])


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("sharing: the 1 filters serve all 64 positions", id="one-filters"),
        pytest.param("sparsity: each of the 9 outputs sees 1*1*1 = 1 inputs", id="one-inputs"),
        pytest.param("2 time its layers: params 0, MACs 0", id="two-time"),
    ],
)
def test_a_count_that_does_not_agree_with_its_noun_fails(line: str) -> None:
    with pytest.raises(AssertionError, match="does not agree"):
        check_explanation([line], {"output": [1, 1, 1]}, [])


def test_one_filter_one_output_one_bias() -> None:
    code, out, err = run(["conv", "3x3x1", "-k", "1", "-f", "3", "--explain"])
    assert (code, err) == (0, "")
    assert out.splitlines()[-3:] == [
        "  as a dense layer from 3 x 3 x 1 to 1 x 1 x 1: (3*3*1) * (1*1*1) = 9 weights and 1 bias",
        "  sparsity: the 1 output sees 3*3*1 = 9 inputs, 9 connections in all: as many as dense",
        "  sharing: the 1 filter serves the 1*1 = 1 position, so 10 parameters make the 9 connections: as many "
        "weights as connections",
    ]


def test_zeropad_explain_adds_up() -> None:
    spec = (
        "input: [8, 6, 3]\nlayers:\n  - zeropad: {padding: [1, 2, 0, 3]}\n  - conv: {filters: 4, kernel: 3}\n"
        "  - zeropad: {padding: 1}\n  - maxpool: {size: 2}\n"
    )
    assert check_summary(spec) > 0


# ---- the up-sampling kinds: transposed convs, upsample, crop, adaptive pools -------------------------------

# a field's windows repeat every period outputs, the product of what each layer multiplies it by: kept below
# cnncalc's bound (4,096), so that every generated network has its field computed
PERIODS = 4096


@st.composite
def transposed_convs(draw: st.DrawFn, shape: Volume) -> tuple[dict[str, Any], Volume, tuple[int, int]]:
    """A transposed conv that fits the volume, its output, and per axis what it multiplies a period by (s)."""
    h, w, c = shape
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    form = draw(st.sampled_from(["valid", "same", "int", "sides"]))
    if form == "same" and any(span < s for span, s in zip(spans, stride, strict=True)):
        form = "valid"  # `same` cuts k - s from the output
    sides: tuple[int, ...] = (0, 0, 0, 0)
    if form == "int":
        sides = (draw(st.integers(0, 2)),) * 4
    elif form == "sides":
        sides = tuple(draw(st.integers(0, 2)) for _ in range(4))
    elif form == "same":
        cuts = [span - s for span, s in zip(spans, stride, strict=True)]
        sides = (cuts[0] // 2, cuts[0] - cuts[0] // 2, cuts[1] // 2, cuts[1] - cuts[1] // 2)
    extra = [0, 0]
    if form != "same":
        extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)]
    out = []
    for axis, size in enumerate((h, w)):
        spread = (size - 1) * stride[axis] + spans[axis] + extra[axis]
        out.append(spread - sides[2 * axis] - sides[2 * axis + 1])
    if min(out) < 1:  # the cut leaves nothing: no cut at all
        form, sides = "valid", (0, 0, 0, 0)
        out = [(size - 1) * s + span + e for size, s, span, e in zip((h, w), stride, spans, extra, strict=True)]
    groups = draw(st.sampled_from([g for g in (1, 2) if c % g == 0]))
    filters = groups * draw(st.integers(1, 3))
    options: dict[str, Any] = {"filters": filters, "kernel": list(kernel), "stride": list(stride)}
    options["dilation"] = list(dilation)
    if form != "valid":
        options["padding"] = {"same": "same", "int": sides[0], "sides": list(sides)}[form]
    if extra != [0, 0]:
        options["output_padding"] = extra
    if groups > 1:
        options["groups"] = groups
    if draw(st.booleans()):
        options["bias"] = False
    return {"convtranspose": options}, (out[0], out[1], filters), stride


@st.composite
def resamplings(draw: st.DrawFn, shape: Volume) -> tuple[dict[str, Any], Volume, tuple[int, int]]:
    """An upsample, a crop or an adaptive pool that fits the volume, its output, and per axis what it multiplies a
    period by (at most)."""
    h, w, c = shape
    kind = draw(st.sampled_from(["upsample", "crop", "adaptiveavgpool", "adaptivemaxpool"]))
    if kind == "crop":
        size = [draw(st.integers(1, h)), draw(st.integers(1, w))]
        form = draw(st.sampled_from(["centred", "offset", "sides"]))
        if form == "sides":
            top, left = draw(st.integers(0, h - size[0])), draw(st.integers(0, w - size[1]))
            sides = [top, h - size[0] - top, left, w - size[1] - left]
            return {"crop": {"sides": sides}}, (size[0], size[1], c), (1, 1)
        options: dict[str, Any] = {"size": size}
        if form == "offset":
            options["offset"] = [draw(st.integers(0, h - size[0])), draw(st.integers(0, w - size[1]))]
        return {"crop": options}, (size[0], size[1], c), (1, 1)
    if kind != "upsample":
        size = [draw(st.integers(1, 8)), draw(st.integers(1, 8))]
        return {kind: {"size": size}}, (size[0], size[1], c), (size[0], size[1])
    mode = draw(st.sampled_from(["nearest", "bilinear"]))
    options = {"mode": mode}
    if mode == "bilinear" and draw(st.booleans()):
        options["align_corners"] = True
    if draw(st.booleans()):
        scale = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
        options["scale"] = scale
        out = [h * scale[0], w * scale[1]]
    else:
        out = [draw(st.integers(1, 16)), draw(st.integers(1, 16))]
        options["size"] = out
    return {"upsample": options}, (out[0], out[1], c), (2 * out[0], 2 * out[1])


@st.composite
def upsampling_networks(draw: st.DrawFn) -> str:
    """A spec's YAML text: the up-sampling kinds among convs and relus on a random volume, perhaps after a flatten
    (a generator's noise vector), perhaps before a classifier."""
    shape: Volume = (draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 4)))
    lines = ["name: generated", f"input: [{shape[0]}, {shape[1]}, {shape[2]}]", "layers:"]
    if draw(st.booleans()):
        lines.append("  - flatten")
        shape = (1, 1, shape[0] * shape[1] * shape[2])
    periods = [1, 1]
    choices = ["convtranspose", "convtranspose", "resampling", "resampling", "conv", "relu"]
    for index in range(draw(st.integers(1, 4))):
        # the first layer is one of the up-sampling kinds; later ones may be others, or layers without formulas
        choice = draw(st.sampled_from(choices[: 4 if index == 0 else 6]))
        if choice == "relu":
            lines.append("  - relu")
            continue
        if choice == "conv":
            layer, shape = draw(convs(shape))
            grows = (stride(layer, 0), stride(layer, 1))
        elif choice == "convtranspose" or max(shape[:2]) > 48:
            layer, shape, grows = draw(transposed_convs(shape)) if max(shape[:2]) <= 48 else draw(resamplings(shape))
        else:
            layer, shape, grows = draw(resamplings(shape))
        if any(period * grow > PERIODS for period, grow in zip(periods, grows, strict=True)):
            break
        periods = [period * grow for period, grow in zip(periods, grows, strict=True)]
        lines.append(f"  - {to_yaml(layer)}")
    if draw(st.booleans()):
        lines += ["  - globalavgpool", f"  - {to_yaml({'dense': {'units': draw(st.integers(1, 4))}})}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES)
@given(upsampling_networks())
def test_summary_explain_adds_up_on_generated_upsampling_networks(spec: str) -> None:
    note(spec)
    assert check_summary(spec) > 0


@settings(max_examples=EXAMPLES)
@given(
    shape=st.tuples(sides, sides, st.integers(1, 8)),
    kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    dilation=st.integers(1, 3),
    padding=st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2)),
    group_and_filters=st.tuples(st.sampled_from([1, 2, 4]), st.integers(1, 4)),
    bias=st.booleans(),
)
def test_convtranspose_explain_adds_up(
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
    c = c * groups
    spans = [dilation * (k - 1) + 1 for k in kernel]
    spreads = [(size - 1) * s + span for size, s, span in zip((h, w), stride, spans, strict=True)]
    if padding == "same" and any(span < s for span, s in zip(spans, stride, strict=True)):
        padding = "valid"  # `same` cuts k - s from the output
    if isinstance(padding, int) and min(spreads) <= 2 * padding:
        padding = "valid"  # a cut that leaves nothing
    args = ["convtranspose", f"{h}x{w}x{c}", "-k", str(groups * times), "-f", f"{kernel[0]}x{kernel[1]}"]
    args += ["-s", f"{stride[0]}x{stride[1]}", "-p", str(padding), "-d", str(dilation), "-g", str(groups)]
    args.append("--bias" if bias else "--no-bias")
    note(" ".join(args))
    lines, row = query(args)
    assert check_explanation(lines, row, []) > 0
    assert row["output"][0] == spreads[0] - sum(row["padding"][:2])
    assert row["params"] == c * (kernel[0] * kernel[1] * times) + (groups * times if bias else 0)


@settings(max_examples=EXAMPLES)
@given(
    shape=st.tuples(st.integers(1, 30), st.integers(1, 30), st.integers(1, 8)),
    resize=st.one_of(
        st.tuples(st.just("--scale"), st.integers(1, 4), st.integers(1, 4)),
        st.tuples(st.just("--size"), st.integers(1, 40), st.integers(1, 40)),
    ),
    mode=st.sampled_from(["nearest", "bilinear", "aligned"]),
)
def test_upsample_explain_adds_up(shape: tuple[int, int, int], resize: tuple[str, int, int], mode: str) -> None:
    h, w, c = shape
    option, first, second = resize
    interpolation = "nearest" if mode == "nearest" else "bilinear"
    args = ["upsample", f"{h}x{w}x{c}", option, f"{first}x{second}", "--mode", interpolation]
    if mode == "aligned":
        args.append("--align-corners")
    note(" ".join(args))
    lines, row = query(args)
    assert check_explanation(lines, row, []) > 0


UPSAMPLING = """\
input: [7, 7, 16]
layers:
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same, groups: 2}
  - upsample: {size: [20, 14], mode: bilinear}
  - crop: {size: [15, 10]}
  - crop: {sides: [1, 2, 0, 3]}
  - adaptiveavgpool: {size: [5, 7]}
  - adaptivemaxpool: {size: 1}
"""


def test_the_upsampling_kinds_explain_their_numbers() -> None:
    assert check_summary(UPSAMPLING) > 0
    code, out, err = run(["summary", "-", "--explain", "--format", "json"], UPSAMPLING)
    assert code == 0, err
    explained = [row["explain"] for row in json.loads(out)["layers"]]
    assert explained[0][:5] == [
        "SAME: h' = w' = h s = 7*2 = 14; padding = d (k - 1) + 1 - s = 1*(3 - 1) + 1 - 2 = 1: 0 before, 1 after",
        "h' = w' = (h - 1) s - (p_before + p_after) + d (k - 1) + output_padding + 1 = "
        "(7 - 1)*2 - (0 + 1) + 1*(3 - 1) + 0 + 1 = 14",
        "output = h' x w' x K = 14 x 14 x 8: one channel per filter",
        "params = K * (kh*kw*c/g) + K = 8 * (3*3*16/2) + 8 = 584",
        "MACs = h*w*c * (K/g)*kh*kw = 7*7*16 * (8/2)*3*3 = 28,224: each input value meets every weight of its filters",
    ]
    # output 0 reads input -1 (padding) and 0; output 1 input 0 alone: each a period of 2, half a pixel on
    assert explained[0][5].startswith("r = 2: the widest window, carried output by output")
    assert "j = 1/2: the windows repeat every 2 outputs, 1 input pixel on (0: -1 to 0, 1: 0 to 0)" in explained[0][5]
    assert explained[1][1:3] == [
        "bilinear (height): output o = 10 reads the inputs around x = (o + 1/2) h / H - 1/2 = (10 + 1/2)*14/20 - 1/2 "
        "= 6.85: inputs 6 and 7, weighted 0.15 and 0.85",
        "bilinear (width): output o = 7 reads the inputs around x = (o + 1/2) w / W - 1/2 = (7 + 1/2)*14/14 - 1/2 "
        "= 7: input 7",
    ]
    assert explained[2][:2] == [
        "top = floor((h - h') / 2) = floor((20 - 15) / 2) = 2; bottom = h - h' - top = 20 - 15 - 2 = 3",
        "left = floor((w - w') / 2) = floor((14 - 10) / 2) = 2; right = w - w' - left = 14 - 10 - 2 = 2",
    ]
    assert explained[3][:2] == ["h' = h - top - bottom = 15 - 1 - 2 = 12", "w' = w - left - right = 10 - 0 - 3 = 7"]
    assert explained[4][1:3] == [
        "height: windows [floor(i h / n), ceil((i + 1) h / n)), window 1: start = floor(1*12/5) = 2; "
        "end = ceil(2*12/5) = 5; size = 5 - 2 = 3: windows 3, 3, 4, 3, 3 wide, the same again every 5 outputs",
        "width: windows [floor(i w / n), ceil((i + 1) w / n)), window 1: start = floor(1*7/7) = 1; "
        "end = ceil(2*7/7) = 2; size = 2 - 1 = 1: every window 1 wide: the identity",
    ]
    assert explained[5][1] == (
        "height: windows [floor(i h / n), ceil((i + 1) h / n)), window 0: start = floor(0*5/1) = 0; "
        "end = ceil(1*5/1) = 5; size = 5 - 0 = 5: one window, the whole map"
    )


@pytest.mark.parametrize(
    "spec",
    [
        # a generator from a noise vector: the transposed conv reads every position the flatten folded
        pytest.param(
            "input: [4, 4, 3]\nlayers:\n  - flatten\n  - convtranspose: {filters: 4, kernel: 4}\n", id="flatten"
        ),
        # a stride-1 transposed conv is a conv: r += (k - 1) j
        pytest.param(
            "input: [6, 6, 2]\nlayers:\n  - convtranspose: {filters: 2, kernel: 3, dilation: 2}\n", id="stride-1"
        ),
        # an adaptive pool whose windows all match: r and j as for a pool of that window
        pytest.param("input: [8, 8, 2]\nlayers:\n  - adaptiveavgpool: {size: 4}\n", id="adaptive-even"),
        pytest.param("input: [8, 8, 2]\nlayers:\n  - upsample: {size: 4}\n", id="nearest-down"),
        pytest.param("input: [8, 8, 2]\nlayers:\n  - upsample: {scale: [1, 2]}\n  - relu\n", id="one-axis"),
    ],
)
def test_the_fields_of_the_upsampling_kinds_add_up(spec: str) -> None:
    assert check_summary(spec) > 0


def test_a_stride_1_transposed_conv_grows_its_field_as_a_conv() -> None:
    spec = (
        "input: [6, 6, 2]\nlayers:\n  - conv: {filters: 2, kernel: 3, stride: 2}\n"
        "  - convtranspose: {filters: 2, kernel: 3}\n"
    )
    code, out, err = run(["summary", "-", "--explain", "--format", "json"], spec)
    assert code == 0, err
    assert json.loads(out)["layers"][1]["explain"][-1] == "r = 3 + (3 - 1) * 2 = 7; j = 2 * 1 = 2"
    spec = "input: [8, 8, 2]\nlayers:\n  - adaptivemaxpool: {size: 2}\n"
    code, out, err = run(["summary", "-", "--explain", "--format", "json"], spec)
    assert code == 0, err
    assert json.loads(out)["layers"][0]["explain"][-1] == (
        "r = 1 + (4 - 1) * 1 = 4; j = 1 * 4 = 4: each output reads 4 of its input's positions, the next output 4 "
        "further on"
    )
