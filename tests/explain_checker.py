"""Checking `--explain`: each printed formula evaluated exactly, and each named result compared with the JSON row
it explains (used by test_explain_formulas.py)."""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, NamedTuple

from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.kinds import BLOCKS

Value = Fraction | tuple[Fraction, ...]
Record = dict[str, Any]


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
    assert 1 <= len(sides) <= 4, f"not a volume: {text!r}"
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
LETTERS = {1: "l", 2: "hw", 3: "dhw"}  # each rank's axes, as the lines name them


def axes_named(rank: int) -> dict[str, tuple[int, ...]]:
    """The axes each name of a line speaks of: `h'` of the height, `r` of all, `r (w)` of the width."""
    letters = LETTERS[rank]
    return {
        **{f"{letter}'": (axis,) for axis, letter in enumerate(letters)},
        "r": tuple(range(rank)),
        **{f"r ({letter})": (axis,) for axis, letter in enumerate(letters)},
    }


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
    rank = len(row["output"]) - 1
    named_axes = axes_named(rank)
    axes: tuple[int, ...] = tuple(range(rank))
    for clause in line.split("; "):
        names, result, done, trailer = chain(clause)
        equalities += done
        # the axes a clause speaks of (`h' = w' = ...`, `r (h) = ...`) hold for the clauses after it (`j = ...`)
        named = tuple(sorted({axis for name in names for axis in named_axes.get(name, ())}))
        axes = named or axes
        for name in names:
            facts += check_fact(name, result, axes, row, trailer)
    return Checked(equalities, facts)


def check_fact(name: str, result: Value, axes: tuple[int, ...], row: Record, trailer: str) -> int:
    """The named number against the row's JSON: the count of facts checked."""
    out = tuple(row["output"])
    named_axes = axes_named(len(out) - 1)
    if name.endswith("'") and name in named_axes:
        assert isinstance(result, Fraction)
        assert result == out[named_axes[name][0]], f"{name} = {result}, the JSON has {out}"
        return 1
    if name == "output":
        assert result == out, f"output {result}, the JSON has {out}"
        if trailer.startswith("a vector of "):
            assert number(trailer.removeprefix("a vector of ")) == out[-1]
        if match := re.fullmatch(r"one value per channel of the ([\d, x]+) input", trailer):
            assert volume(match[1])[-1] == out[-1]
        return 1
    if name == "output channels":
        assert result == out[-1]
        return 1
    if name in ("params", "MACs"):
        key = name.lower()
        assert result == row[key], f"{name} = {result}, the JSON has {row[key]}"
        return 1
    if name == "j" or (name.startswith("r") and name in named_axes):
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
    r"as a dense layer from ([\d, x]+) to ([\d, x]+): \((.+)\) \* \((.+)\) = ([\d,]+) weights and ([\d,]+) bias(?:es)?"
)
SPARSITY = re.compile(
    r"sparsity: (?:each of the ([\d,]+) outputs|the (1) output) sees (.+) = ([\d,]+) inputs?, ([\d,]+) connections? in "
    r"all: (?:(.+) times fewer than dense|(as many as dense))"
)
SHARING = re.compile(
    r"sharing: the (\d+) filters? serves? (?:all|the) (?:(.+) = )?([\d,]+) positions?, so ([\d,]+) parameters? makes? "
    r"the ([\d,]+) connections?: (?:([\d,]+) times fewer weights than connections|(as many weights as connections))"
)
REPEAT = re.compile(r"(\d+) times? its layers: params ([\d,]+), MACs ([\d,]+)")
# a merge of earlier outputs by name: `the current tensor (56 x 56 x 512) and 'enc4', ..., stacked ...: 56 x 56 x 1024`
JOINED = re.compile(
    r"the current tensor \(([\d, x]+)\) and (.+?)(, cut to ([\d x]+) around the centre,)? "
    r"(added|stacked along the channels|multiplied.*): ([\d, x]+)"
)
BATCHNORM = re.compile(
    r"params = 2\*(\d+) trainable \(gamma, beta\) \+ 2\*(\d+) non-trainable \(moving mean and variance\) = ([\d,]+)"
)
FLATTEN = re.compile(r"flatten: ([\d, x]+) -> ([\d, x]+)")
SHUFFLE = re.compile(
    r"channels read as (\d+) groups? of (\d+) and interleaved: channel g\*(\d+) \+ i goes to i\*(\d+) \+ g; params = 0"
)
GATE = re.compile(
    r"gate = (sigmoid|hardsigmoid)\(conv 1(?:x1)* (\d+) -> (\d+)(, [a-z0-9]+)?\(conv 1(?:x1)* (\d+) -> (\d+)"
    r"\(globalavgpool\(x\)\)\)\): (?:1 x )+(\d+), times the map: output ([\d, x]+)"
)
STATISTICS = (
    "the whole map's statistics reach every output: its receptive field holds every input pixel the map sees; the "
    "local field holds them constant"
)
LOCAL = re.compile(r"local field, the statistics of whole maps held constant: r = ([\d x]+), P = ([-\d x]+)")


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
        outputs, inputs, connections = number(match[1] or match[2]), number(match[4]), number(match[5])
        assert evaluate(plain(match[3])) == inputs and outputs == math.prod(out)
        assert connections == outputs * inputs == row["connections"] == row["macs"]
        weights = row["dense_equivalent_params"] - math.prod(out)  # as the dense line says: weights and biases
        # no fewer (one output): said in words, never as `1 times fewer`
        assert (ratio(match[6]) if match[6] else 1) == Fraction(weights, connections), f"{line}: {weights} weights"
        assert (match[6] is None) == (weights == connections), line
        return Checked(2, 3)
    if match := SHARING.fullmatch(line):
        # a number of filters is a size, as a volume's sides, and prints without separators (`the 1024 filters`)
        filters = int(match[1])
        positions, params, connections = (number(match[i]) for i in (3, 4, 5))
        fewer = number(match[6]) if match[6] else 1
        assert (match[6] is None) == (fewer == 1), line  # one position: said in words, never as `1 times fewer`
        # in 1-D the positions are the length, with no product to show
        assert positions == math.prod(out[:-1]) and filters == out[-1]
        assert match[2] is None if len(out) == 2 else evaluate(plain(match[2])) == positions, line
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
        assert trainable == moving == out[-1] and total == 4 * out[-1]
        assert (row["trainable_params"], row["non_trainable_params"], row["params"]) == (
            2 * trainable,
            2 * moving,
            total,
        )
        return Checked(1, 3)
    if match := JOINED.fullmatch(line):
        current, joined = volume(match[1]), volume(match[6])
        assert joined == out, line
        if match[3]:
            assert volume(match[4]) == current[:-1] == joined[:-1], line
        if match[5] == "added":
            assert joined == current, line
        elif match[5].startswith("stacked"):
            assert joined[:-1] == current[:-1] and joined[-1] > current[-1], line
        return Checked(0, 2)
    if match := SHUFFLE.fullmatch(line):
        groups, per_group = int(match[1]), int(match[2])
        assert groups * per_group == out[-1] and (int(match[3]), int(match[4])) == (per_group, groups), line
        assert row["params"] == 0
        return Checked(1, 2)
    if match := GATE.fullmatch(line):
        squeeze, channels = int(match[2]), int(match[3])
        assert (int(match[5]), int(match[6])) == (channels, squeeze) and int(match[7]) == channels == out[-1], line
        assert volume(match[8]) == out and row["params"] == 2 * channels * squeeze + squeeze + channels
        return Checked(0, 3)
    if line == STATISTICS:
        fields, local = row["receptive_field"], row["local_receptive_field"]
        assert all(r >= rl for r, rl in zip(fields, local, strict=True)), row["path"]
        return Checked(0, 1)
    if match := LOCAL.fullmatch(line):
        # one number where every axis agrees
        rank = len(out) - 1
        fields = [int(n) for n in match[1].split(" x ")]
        paddings = [int(n) for n in match[2].split(" x ")]
        fields, paddings = (values * rank if len(values) == 1 else values for values in (fields, paddings))
        assert (fields, paddings) == (row["local_receptive_field"], row["local_effective_padding"]), line
        return Checked(0, 2)
    if match := FLATTEN.fullmatch(line):
        before, after = volume(match[1]), volume(match[2])
        assert after == (*(1,) * (len(before) - 1), math.prod(before)) and before == tuple(row["input"])
        return Checked(1, 1)
    return None


# the nouns a count is put before: 1 takes the singular, any other count the plural
NOUNS = {"filter", "output", "input", "connection", "parameter", "position", "group", "channel", "pixel", "time"}
# a count, not a volume's last side (`1 x 1 x 2 input`)
COUNTED = re.compile(r"(?<![\w,.*/+-])(?<!x )(\d{1,3}(?:,\d{3})*) (?:input )?([a-z]+)\b(?! fewer)")


def check_agreement(line: str) -> int:
    """Every count in the line agrees with its noun: `1 filter`, `64 filters`; the number of counts checked."""
    checked = 0
    for match in COUNTED.finditer(line):
        count, word = number(match[1]) if "," in match[1] else int(match[1]), match[2]
        singular = word.removesuffix("es") if word == "biases" else word.removesuffix("s")
        if singular not in NOUNS | {"bias"}:
            continue
        assert (word == singular) == (count == 1), f"{match[0]!r} does not agree: {line!r}"
        checked += 1
    return checked


# a block's field, its rows composed: one path's widenings in turn, or the widest of its paths (a residual's
# layers and shortcut, a merge's branches), each path's widenings in turn
COMPOSED = re.compile(
    r"r(?: \((\w)\))? = (\d+) \+ (.+?) = (\d+)(?:; j = [^:]+)?: its rows composed, each term one row's widening"
)
WIDEST = re.compile(r"r(?: \((\w)\))? = (\d+) \+ max\((.+)\) = (\d+)(?:; j = [^:]+)?: the wide(?:r|st) of .+")
FOLDED = re.compile(
    r"r(?: \((\w)\))? = (\d+) \+ (\d+) = (\d+)(?:; j = [^:]+)?: not one filter but .+ \(folded: --depth (\d+) .+\)"
)


def widenings(text: str) -> list[int]:
    """`3*16 + 32` -> [16, 16, 16, 32]; `0` -> []."""
    if text == "0":
        return []
    added: list[int] = []
    for term in text.split(" + "):
        count, _, value = term.rpartition("*")
        added += [int(value)] * (int(count) if count else 1)
    return added


def grown(r_in: int, rows: list[Record], axis: int) -> list[int]:
    """What each row of a path adds to the field along an axis, from the JSON; the rows that add nothing left out."""
    added, before = [], r_in
    for child in rows:
        r = child["receptive_field"][axis]
        if r != before:
            added.append(r - before)
        before = r
    return added


def check_composition(line: str, row: Record) -> int:
    """A block's field line against its rows in the JSON: each term a row's widening; the number of paths checked."""
    assert "a filter over the whole" not in line, f"a block's field as one filter's: {line!r}"
    rank = len(row["output"]) - 1
    if match := FOLDED.fullmatch(line):
        assert not any(key in row for key in ("layers", "shortcut", "branches")), f"not folded: {line!r}"
        return 1
    composed, widest = COMPOSED.fullmatch(line), WIDEST.fullmatch(line)
    match = composed or widest
    if match is None:
        return 0
    axes = [LETTERS[rank].index(match[1])] if match[1] else list(range(rank))
    if composed:
        paths, said = [row["layers"]], [composed[3]]
    else:
        paths = [row["layers"], row["shortcut"]] if row["kind"] == "residual" else row["branches"]
        said = match[3].split(", ")
    assert len(said) == len(paths), line
    for axis in axes:
        for text, rows in zip(said, paths, strict=True):
            assert widenings(text) == grown(int(match[2]), rows, axis), f"{text} is not its rows' widenings: {line!r}"
    return len(paths)


def check_explanation(lines: list[str], row: Record, children: list[Record]) -> int:
    """Check each line of a row's explanation; the number of things checked in all."""
    total = 0
    for line in lines:
        total += check_agreement(line)
        if row.get("kind") in BLOCKS:
            total += check_composition(line, row)
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
            match = re.fullmatch(r"(\S+) [a-z_]+( .*)?:", line)
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
