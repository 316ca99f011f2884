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

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner
from hypothesis import given, note, settings
from hypothesis import strategies as st

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))

Value = Fraction | tuple[Fraction, ...]
Record = dict[str, Any]

EXAMPLES = 50 * settings().max_examples // 100  # 50 in the default profile, 500 in the thorough one


# ---- exact arithmetic over the printed text ----------------------------------------------------------------


class Symbolic(Exception):
    """A part of a formula written with letters (h', K, layers(x)): not a number to evaluate."""


OPERATORS: dict[type[ast.operator], Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,  # exact: Fractions
    ast.FloorDiv: lambda a, b: Fraction(a // b),
}


def _floor(*args: Fraction) -> Fraction:
    (x,) = args
    return Fraction(math.floor(x))


def _ceil(*args: Fraction) -> Fraction:
    (x,) = args
    return Fraction(math.ceil(x))


def _max(*args: Fraction) -> Fraction:
    return max(args)


def _min(*args: Fraction) -> Fraction:
    return min(args)


FUNCTIONS: dict[str, Callable[..., Fraction]] = {"floor": _floor, "ceil": _ceil, "max": _max, "min": _min}


def evaluate(text: str) -> Fraction:
    """`(32 + 2*0 - 5) / 1 + 1` -> 28, exactly; Symbolic for anything but numbers, + - * / //, () and FUNCTIONS."""
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise Symbolic(text) from None

    def value(node: ast.expr) -> Fraction:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            # the digits as printed (54.25), never a float's approximation of them
            segment = ast.get_source_segment(source, node)
            assert segment is not None
            return Fraction(segment)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and not node.keywords
            and node.args
        ):
            return FUNCTIONS[node.func.id](*(value(arg) for arg in node.args))
        raise Symbolic(text)

    return value(tree.body)


def number(text: str) -> int:
    """`442,368` -> 442368: a count as printed, with its thousands separators."""
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), f"not a count as cnncalc prints them: {text!r}"
    return int(text.replace(",", ""))


def volume(text: str) -> tuple[int, ...]:
    """`1 x 1 x 1024` -> (1, 1, 1024): a volume's sides print without separators, but for the `dense` query's
    `flatten: 4 x 32 x 8 -> 1 x 1 x 1,024`, which has them."""
    sides = text.split(" x ")
    assert len(sides) == 3, f"not a volume: {text!r}"
    return tuple(int(side) if side.isdigit() else number(side) for side in sides)


def plain(text: str) -> str:
    """The text as arithmetic: thousands separators and `(about 7.333)` approximations taken out."""
    text = re.sub(r" \(about [^()]*\)", "", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def part_value(text: str) -> Value | None:
    """A part between ` = `: a number, a volume `a x b x c`, or None where it is written in letters."""
    arithmetic = plain(text)
    try:
        pieces = arithmetic.split(" x ")
        if len(pieces) > 1:
            return tuple(evaluate(piece) for piece in pieces)
        return evaluate(arithmetic)
    except Symbolic:
        # only letters make a part symbolic: digits and operators that do not parse are a fault in the text
        assert re.search(r"[A-Za-z]", re.sub(r"\b(floor|ceil|max|min)\(", "(", arithmetic)), (
            f"arithmetic that does not parse: {text!r}"
        )
        return None


def ratio(text: str) -> Fraction:
    """`40.96`, `12,544` or `1024/9 (about 113.8)`: exact, and the approximation close to it."""
    match = re.fullmatch(r"(\d+)/(\d+) \(about ([0-9.,e+]+)\)", text)
    if match is None:
        assert re.fullmatch(r"[\d,]+(\.\d+)?", text), f"not a ratio: {text!r}"
        return Fraction(text.replace(",", ""))
    exact = Fraction(int(match[1]), int(match[2]))
    assert (exact.numerator, exact.denominator) == (int(match[1]), int(match[2])) and exact.denominator > 1, text
    about = float(match[3].replace(",", ""))
    assert abs(about - exact) <= exact * Fraction(1, 1000), f"{text}: {about} is not about {float(exact)}"
    return exact


# ---- the lines of --explain, checked against the JSON row they explain ----------------------------------------

LESS_ONE = re.compile(r"(\d+), less the last window, which would start past the input: (\d+)")
AXES = {"h'": (0,), "w'": (1,), "r": (0, 1), "r (h)": (0,), "r (w)": (1,)}


class Checked(NamedTuple):
    equalities: int  # sides found equal by evaluation
    facts: int  # numbers found equal to the JSON's


class Chain(NamedTuple):
    names: list[str]  # the parts in letters: h', w', params, `K * (3*3*3 + 1)`
    result: Value  # what every part in numbers evaluates to
    equalities: int
    trailer: str  # the words after the result: `the last partial window is dropped`


def chain(clause: str) -> Chain:
    """`h' = w' = (32 + 2*1 - 3) / 1 + 1 = 31 + 1 = 32`: every part in numbers equal, and what it equals."""
    parts = re.sub(r"^(SAME|check): ", "", clause).split(" = ")
    less_one = LESS_ONE.fullmatch(parts[-1])
    if less_one is not None:
        # PyTorch's ceil_mode: `= ceil(0.5) + 1 = 2, less the last window, which would start past the input: 1`
        parts[-1] = less_one[1]
    trailer = ""
    if ": " in parts[-1]:
        parts[-1], trailer = parts[-1].split(": ", 1)
    values = [part_value(part) for part in parts]
    known = [value for value in values if value is not None]
    assert known, f"nothing to evaluate in {clause!r}"
    assert all(value == known[0] for value in known), f"{clause!r} evaluates to {known}"
    equalities = len(known) - 1
    result = known[-1]
    if less_one is not None:
        assert isinstance(result, Fraction) and number(less_one[2]) == result - 1, clause
        result = Fraction(number(less_one[2]))
        equalities += 1
    names = [part.strip() for part, value in zip(parts, values, strict=True) if value is None]
    return Chain(names, result, equalities, trailer)


def check_line(line: str, row: Record, children: list[Record]) -> Checked:
    """Check one line of a row's explanation against itself and the row's JSON; AssertionError where it fails."""
    special = check_prose(line, row, children)
    if special is not None:
        return special
    equalities = facts = 0
    axes: tuple[int, ...] = (0, 1)
    for clause in line.split("; "):
        names, result, done, trailer = chain(clause)
        equalities += done
        # the axes a clause speaks of (`h' = w' = ...`, `r (h) = ...`) hold for the clauses after it (`j = ...`)
        named = tuple(sorted({axis for name in names for axis in AXES.get(name, ())}))
        axes = named or axes
        for name in names:
            facts += check_fact(name, result, axes, row, trailer)
    return Checked(equalities, facts)


def check_fact(name: str, result: Value, axes: tuple[int, ...], row: Record, trailer: str) -> int:
    """The named number against the row's JSON: the count of facts checked."""
    out = tuple(row["output"])
    if name in ("h'", "w'"):
        assert isinstance(result, Fraction)
        assert result == out[AXES[name][0]], f"{name} = {result}, the JSON has {out}"
        return 1
    if name == "output":
        assert result == out, f"output {result}, the JSON has {out}"
        if trailer.startswith("a vector of "):
            assert number(trailer.removeprefix("a vector of ")) == out[2]
        if match := re.fullmatch(r"one value per channel of the ([\d, x]+) input", trailer):
            assert volume(match[1])[2] == out[2]
        return 1
    if name == "output channels":
        assert result == out[2]
        return 1
    if name in ("params", "MACs"):
        key = name.lower()
        assert result == row[key], f"{name} = {result}, the JSON has {row[key]}"
        return 1
    if name in ("r", "r (h)", "r (w)", "j"):
        key = "jump" if name == "j" else "receptive_field"
        for axis in axes:
            assert result == Fraction(row[key][axis]), f"{name} = {result}, the JSON has {key} {row[key]}"
        return 1
    if name == "padding":
        match = re.fullmatch(r"(\d+) before, (\d+) after", trailer)
        assert match is not None, trailer
        before, after = int(match[1]), int(match[2])
        assert before + after == result and after - before in (0, 1), f"{result}: {trailer}"
        if row.get("padding") is not None:
            sides = row["padding"]
            for axis in axes:
                assert (before, after) == (sides[2 * axis], sides[2 * axis + 1]), f"{trailer}: the JSON has {sides}"
        return 1
    return 0  # a formula in letters (`K * (3*3*3 + 1)`), or k, the dilated window, checked by evaluation alone


DENSE = re.compile(
    r"as a dense layer from ([\d, x]+) to ([\d, x]+): \((.+)\) \* \((.+)\) = ([\d,]+) weights and ([\d,]+) biases"
)
SPARSITY = re.compile(
    r"sparsity: each of the ([\d,]+) outputs sees (.+) = ([\d,]+) inputs, ([\d,]+) connections in all: (.+) times fewer"
    r" than dense"
)
SHARING = re.compile(
    r"sharing: the (\d+) filters serve all (.+) = ([\d,]+) positions, so ([\d,]+) parameters make the ([\d,]+)"
    r" connections: ([\d,]+) times fewer weights than connections"
)
REPEAT = re.compile(r"(\d+) times its layers: params ([\d,]+), MACs ([\d,]+)")
BATCHNORM = re.compile(
    r"params = 2\*(\d+) trainable \(gamma, beta\) \+ 2\*(\d+) non-trainable \(moving mean and variance\) = ([\d,]+)"
)
FLATTEN = re.compile(r"flatten: ([\d, x]+) -> ([\d, x]+)")


def check_prose(line: str, row: Record, children: list[Record]) -> Checked | None:
    """The lines that are sentences around their numbers; None for a line of formulas."""
    out = tuple(row["output"])
    if match := DENSE.fullmatch(line):
        before, after = volume(match[1]), volume(match[2])
        weights, biases = number(match[5]), number(match[6])
        assert evaluate(match[3]) == math.prod(before) and evaluate(match[4]) == math.prod(after) == biases
        assert weights == math.prod(before) * math.prod(after) and after == out
        assert row["dense_equivalent_params"] == weights + biases
        return Checked(3, 2)
    if match := SPARSITY.fullmatch(line):
        outputs, inputs, connections = number(match[1]), number(match[3]), number(match[4])
        assert evaluate(plain(match[2])) == inputs and outputs == math.prod(out)
        assert connections == outputs * inputs == row["connections"] == row["macs"]
        weights = row["dense_equivalent_params"] - math.prod(out)  # as the dense line says: weights and biases
        assert ratio(match[5]) == Fraction(weights, connections), f"{line}: {weights} weights"
        return Checked(2, 3)
    if match := SHARING.fullmatch(line):
        # a number of filters is a size, as a volume's sides, and prints without separators (`the 1024 filters`)
        filters = int(match[1])
        positions, params, connections, fewer = (number(match[i]) for i in (3, 4, 5, 6))
        assert evaluate(plain(match[2])) == positions == out[0] * out[1] and filters == out[2]
        assert params == row["params"] and connections == row["macs"]
        # each weight (a bias is not one) is used once at every position
        assert fewer == positions and connections / fewer in (params, params - filters), line
        return Checked(1, 4)
    if match := REPEAT.fullmatch(line):
        times, params, macs = int(match[1]), number(match[2]), number(match[3])
        assert (times, params, macs) == (row["times"], row["params"], row["macs"])
        assert params == sum(child["params"] for child in children)
        assert macs == sum(child["macs"] for child in children)
        return Checked(2, 3)
    if line == "params and MACs: the sums of its layers":
        assert row["params"] == sum(child["params"] for child in children)
        assert row["macs"] == sum(child["macs"] for child in children)
        return Checked(2, 0)
    if match := BATCHNORM.fullmatch(line):
        trainable, moving, total = int(match[1]), int(match[2]), number(match[3])
        assert trainable == moving == out[2] and total == 4 * out[2]
        assert (row["trainable_params"], row["non_trainable_params"], row["params"]) == (
            2 * trainable,
            2 * moving,
            total,
        )
        return Checked(1, 3)
    if match := FLATTEN.fullmatch(line):
        before, after = volume(match[1]), volume(match[2])
        assert after == (1, 1, math.prod(before)) and before == tuple(row["input"])
        return Checked(1, 1)
    return None


def check_explanation(lines: list[str], row: Record, children: list[Record]) -> int:
    """Check each line of a row's explanation; the number of things checked in all."""
    total = 0
    for line in lines:
        # a residual's `output = ...; params and MACs: ...` is a formula and a sentence
        clauses = line.split("; params and MACs: ")
        checked = [check_line(clauses[0], row, children)]
        if len(clauses) == 2:
            special = check_prose(f"params and MACs: {clauses[1]}", row, children)
            assert special is not None
            checked.append(special)
        done = sum(c.equalities + c.facts for c in checked)
        assert done > 0, f"a line that checks nothing: {line!r}"
        total += done
    return total


# ---- running cnncalc ---------------------------------------------------------------------------------------


def run(args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def rows(layers: list[Record]) -> Iterator[tuple[Record, list[Record]]]:
    """Every row of the JSON, blocks' inner rows included, with the rows a block sums (its children)."""
    for row in layers:
        inner = row.get("layers", []) + row.get("shortcut", [])
        children = inner + [child for branch in row.get("branches", []) for child in branch]
        yield row, children
        yield from rows(children)


def explanations(text: str) -> dict[str, list[str]]:
    """`summary --explain`'s section after the table: each row's path and its lines."""
    _, marker, section = text.partition("\nHow each number was found:\n")
    assert marker, "no explanations after the table"
    explained: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in section.splitlines():
        if line.startswith("    "):
            lines.append(line[4:])
        else:
            match = re.fullmatch(r"(\S+) [a-z]+( .*)?:", line)
            assert match is not None, f"not a row's heading: {line!r}"
            lines = explained.setdefault(match[1], [])
            assert not lines, f"row {match[1]} explained twice"
    return explained


# the kinds whose rows have formulas: every other kind (relu, dropout) changes no number
EXPLAINED = {"conv", "maxpool", "avgpool", "globalavgpool", "globalmaxpool", "flatten", "dense", "batchnorm"}
EXPLAINED |= {"repeat", "residual", "concat"}


def check_summary(spec: str) -> int:
    """Run `summary --explain` on a spec's text, check every line against the JSON; the number of checks."""
    code, text, err = run(["summary", "-", "--explain"], spec)
    assert code == 0, err
    code, out, err = run(["summary", "-", "--explain", "--format", "json"], spec)
    assert code == 0, err
    report = json.loads(out)
    explained = explanations(text)
    every = dict((row["path"], (row, children)) for row, children in rows(report["layers"]))
    unexplained = [path for path, (row, _) in every.items() if row["kind"] in EXPLAINED and path not in explained]
    assert unexplained == [], f"rows with numbers and no formulas: {unexplained}"
    # the table's explanations are the JSON's, row by row
    assert explained == {path: row["explain"] for path, (row, _) in every.items() if row.get("explain")}
    checks = 0
    for path, lines in explained.items():
        row, children = every[path]
        checks += check_explanation(lines, row, children)
    return checks


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
