"""YAML in, a typed `Spec` out, with the line and column of every layer and option kept for messages.

Only YAML's node graph is used (no object construction), so a spec can never build Python objects, and every
value's type is checked here: PyYAML reads YAML 1.1, where `1e3` is text and `no` is false. Tags such as
`!!python/object`, self-containing aliases and alias bombs are refused before anything else is read.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import yaml

from .counts import MAX_DIGITS, parse_count
from .diagnostics import Diagnostic, SpecError, error, in_file_order, shown
from .record import Record
from .spec import (
    ACTIVATIONS,
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Expectation,
    Flatten,
    GlobalPool,
    Layer,
    Location,
    Pool,
    Repeat,
    Residual,
    Spec,
    Volume,
)

if TYPE_CHECKING:
    from importlib.abc import Traversable

MAX_INT = 2**31 - 1  # the frameworks' int32 sizes
# layers a spec may expand to through `repeat`: a thousand times the deepest real networks, and still seconds of work
MAX_INSTANCES = 1_000_000
# a spec is kilobytes (the largest example, MobileNetV2, is 6.7 KB); 256 KiB of `[relu, relu, ...]` is 43,690
# layers, read, computed and written as JSON in 4 s and 90 MB (a megabyte took 17 s and 300 MB)
MAX_SPEC_BYTES = 2**18
# errors reported for one file: a spec has a handful, and past a hundred the rest would only bury them
MAX_ERRORS = 100
STDIN = "-"

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
# YAML 1.1 also reads 010 as octal 8, 0x10 as 16 and 3:3 as base-60 183; only decimal is taken as written
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")


class Bad(Exception):
    """A value the spec format does not allow; `node` is where it was written."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


def where(node: yaml.Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


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


# -- reading -----------------------------------------------------------------------------------------


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


def instances_error(count: str, loc: Location | None, path: str | None = None) -> Diagnostic:
    message = f"this makes {count} layer instances, more than the {MAX_INSTANCES:,} cnncalc computes"
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


# -- scalar values -----------------------------------------------------------------------------------

_constructor = yaml.constructor.SafeConstructor()
_BOOLS = yaml.constructor.SafeConstructor.bool_values  # yes/no/on/off/true/false, any case
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def wrong(node: yaml.Node, what: str) -> Bad:
    return Bad(f"must be {what}, got {describe(node)}", node)


def scalar(node: yaml.Node, what: str) -> Any:
    """The Python value of a plain YAML scalar, by its resolved tag; Bad saying it must be `what` otherwise.

    Only decimal integers are converted, so a long base-60 number cannot take quadratic time.
    """
    if not isinstance(node, yaml.ScalarNode):
        raise wrong(node, what)
    if node.tag == _INT:
        if not _DECIMAL.fullmatch(node.value):
            raise wrong(node, what)
        digits = node.value.replace("_", "")
        if len(digits) > MAX_DIGITS:
            raise Bad(f"must be {what}, got a number of {len(digits):,} digits", node)
        return int(digits)
    if node.tag == _FLOAT:
        try:
            return _constructor.construct_yaml_float(node)
        except ValueError:  # an explicit `!!float abc`
            raise wrong(node, what) from None
    if node.tag == _BOOL and node.value.lower() in _BOOLS:
        return _BOOLS[node.value.lower()]
    if node.tag == _NULL:
        return None
    if node.tag == _STR:
        return node.value
    raise wrong(node, what)


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(node: yaml.Node) -> str:
    """What a value is, for a message: `the string '1e3'`, `the float 2.5`, `a list of 3`."""
    if isinstance(node, yaml.SequenceNode):
        return f"a list of {len(node.value)}"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == _STR:
        value = clip(node.value)
        hint = ""
        if _looks_numeric(node.value):
            hint = (
                " (YAML 1.1 reads this as text: write the number in full, e.g. 1000 for 1e3)"
                if getattr(node, "style", None) is None
                else " (quoted, so it is text: drop the quotes)"
            )
        return f"the string {value!r}{hint}"
    # what YAML resolves to these tags is one word, but an explicit tag (`!!int "8\n9"`) may put any text there
    value = shown(clip(node.value))
    if node.tag == _INT:
        return f"the integer {value}" if _DECIMAL.fullmatch(node.value) else f"{value}{_int_hint(node.value)}"
    if node.tag == _BOOL and node.value.lower() in _BOOLS:
        hint = f" (YAML 1.1 reads {node.value!r} as a boolean)" if node.value.lower() in _YAML11_BOOLS else ""
        return f"the boolean {value}{hint}"
    if node.tag == _NULL:
        return "nothing (null)"
    if node.tag == _FLOAT:
        return f"the float {value}"
    if node.tag == _TIMESTAMP:
        return f"{value} (YAML 1.1 reads this as a date)"
    if node.tag == _MERGE:
        return "the merge key << (not supported: write the options out)"
    return value


def _int_hint(text: str) -> str:
    """Why YAML 1.1 does not read an integer as decimal: `3:3` is base 60, `010` octal."""
    digits = text.lstrip("+-").lower()
    if ":" in digits:
        base = "a base-60 number"
    elif digits.startswith("0x"):
        base = "hexadecimal"
    elif digits.startswith("0b"):
        base = "binary"
    elif digits.startswith("0"):
        base = "octal"
    else:  # an explicit `!!int abc`
        return ""
    return f" (YAML 1.1 reads this as {base}: write integers in decimal)"


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- option parsers: each takes a node and returns a value, or raises Bad ----------------------------


def integer(node: yaml.Node, minimum: int = 1) -> int:
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    value = scalar(node, what)
    if type(value) is not int:
        raise wrong(node, what)
    if value < minimum:
        raise Bad(f"must be {what}, got {value}", node)
    if value > MAX_INT:
        size = f"{value:,}" if value < 10**40 else f"a number of {len(str(value)):,} digits"
        raise Bad(f"must be at most {MAX_INT:,}, got {size}", node)
    return value


def natural(node: yaml.Node) -> int:
    return integer(node, minimum=0)


def pair(node: yaml.Node, minimum: int = 1) -> tuple[int, int]:
    """An int for both axes, or [height, width]."""
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) != 2:
            raise Bad(f"must be an integer or a pair [height, width], got {describe(node)}", node)
        return integer(node.value[0], minimum), integer(node.value[1], minimum)
    value = integer(node, minimum)
    return value, value


def padding(node: yaml.Node) -> str | tuple[int, int, int, int]:
    """`valid`, `same`, p, [ph, pw] or [top, bottom, left, right]."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        if node.value in ("same", "valid"):
            return str(node.value)
        if node.value.lower() in ("same", "valid"):
            raise Bad(f"must be `same` or `valid` in lower case, got {node.value!r}", node)
        raise Bad(f"must be `same`, `valid`, an integer or a list of 2 or 4 integers, got {describe(node)}", node)
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) == 2:
            ph, pw = (natural(n) for n in node.value)
            return ph, ph, pw, pw
        if len(node.value) == 4:
            top, bottom, left, right = (natural(n) for n in node.value)
            return top, bottom, left, right
        raise Bad(f"must be [ph, pw] or [top, bottom, left, right], got {describe(node)}", node)
    try:
        p = natural(node)
    except Bad:
        raise Bad(
            f"must be `same`, `valid`, an integer or a list of 2 or 4 integers, got {describe(node)}", node
        ) from None
    return p, p, p, p


def boolean(node: yaml.Node) -> bool:
    value = scalar(node, "true or false")
    if type(value) is not bool:
        raise wrong(node, "true or false")
    return value


def activation(node: yaml.Node) -> str | None:
    what = f"one of {', '.join(ACTIVATIONS)} or none"
    value = scalar(node, what)
    if value is None or value in ("none", "linear"):
        return None
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise Bad(f"must be {what}, got {describe(node)}{_suggest(str(value), ACTIVATIONS)}", node)
    return value


def rate(node: yaml.Node) -> float:
    what = "a number with 0 <= rate < 1"
    value = scalar(node, what)
    if type(value) not in (int, float):
        raise wrong(node, what)
    if not 0 <= value < 1:  # also refuses NaN
        rounded = f", which is {value!r} as a float" if str(value) != node.value else ""
        raise Bad(f"must be {what}, got {shown(clip(node.value))}{rounded}", node)
    return float(value)


def text(node: yaml.Node) -> str:
    value = scalar(node, "a string")
    if not isinstance(value, str):
        raise wrong(node, "a string")
    return value


def count(node: yaml.Node) -> int:
    """A count: an integer, or text such as `70k`, `1.2M`, `3G`. A count is no size: 15.5 G MACs is a count."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        try:
            return parse_count(node.value)
        except ValueError as exc:
            raise Bad(f"must be a count such as 61706, 70k or 1.2M, got {describe(node)}", node) from exc
    value = scalar(node, "an integer >= 0")
    if type(value) is not int:
        raise wrong(node, "an integer >= 0")
    if value < 0:
        raise Bad(f"must be an integer >= 0, got {value}", node)
    return value


def volume(node: yaml.Node) -> Volume:
    """[h, w, c]."""
    if not isinstance(node, yaml.SequenceNode) or len(node.value) != 3:
        raise Bad(f"must be [h, w, c], three positive integers, got {describe(node)}", node)
    h, w, c = (integer(item) for item in node.value)
    return Volume(h, w, c)


# what `expect:` takes: the key and how its value is read
EXPECT: dict[str, Callable[[yaml.Node], Any]] = {
    "output": volume,
    "params": count,
    "trainable_params": count,
    "non_trainable_params": count,
    "max_params": count,
    "max_macs": count,
    "receptive_field": pair,
}


class Option(Record):
    parse: Callable[[yaml.Node], Any] | None  # None: a list of layers, which the loader reads itself
    required: bool = False


_CONV = {
    "filters": Option(integer, required=True),
    "kernel": Option(pair, required=True),
    "stride": Option(pair),
    "padding": Option(padding),
    "dilation": Option(pair),
    "groups": Option(integer),
    "bias": Option(boolean),
    "activation": Option(activation),
}
_POOL = {
    "size": Option(pair, required=True),
    "stride": Option(pair),
    "padding": Option(padding),
    "ceil": Option(boolean),
}
_DENSE = {"units": Option(integer, required=True), "bias": Option(boolean), "activation": Option(activation)}

# every layer kind: the record it builds and the options it takes (besides `name`)
KINDS: dict[str, tuple[type[Layer], dict[str, Option]]] = {
    "conv": (Conv, _CONV),
    "maxpool": (Pool, _POOL),
    "avgpool": (Pool, _POOL),
    "globalavgpool": (GlobalPool, {}),
    "globalmaxpool": (GlobalPool, {}),
    "flatten": (Flatten, {}),
    "dense": (Dense, _DENSE),
    "batchnorm": (BatchNorm, {}),
    "dropout": (Dropout, {"rate": Option(rate)}),
    **{name: (Activation, {}) for name in ACTIVATIONS},
    "repeat": (Repeat, {"times": Option(integer, required=True), "layers": Option(None, required=True)}),
    "residual": (
        Residual,
        {"layers": Option(None, required=True), "shortcut": Option(None), "activation": Option(activation)},
    ),
    "concat": (Concat, {"branches": Option(None, required=True)}),
}


def instances(layers: tuple[Layer, ...]) -> int:
    """How many layers the engine computes for `layers`: each block counts itself and all it holds."""
    count = 0
    for layer in layers:
        count += 1
        if isinstance(layer, Repeat):
            count += layer.times * instances(layer.layers)
        elif isinstance(layer, Residual):
            count += instances(layer.layers) + instances(layer.shortcut)
        elif isinstance(layer, Concat):
            count += sum(instances(branch) for branch in layer.branches)
    return count


TOP_LEVEL = ("name", "description", "input", "layers", "expect")


def _suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'stride'?)` for the nearest choice, ignoring case, or nothing."""
    import difflib  # only on the error path

    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


# -- the document ------------------------------------------------------------------------------------


class _Stop(Exception):
    """More than MAX_ERRORS errors: the reading stops at the last."""


class _Loader:
    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.partial: Spec | None = None

    def fail(self, message: str, node: yaml.Node | None, layer: str | None = None, kind: str | None = None) -> None:
        self.report(error("spec", message, where(node) if node is not None else None, layer, kind))

    def report(self, diagnostic: Diagnostic) -> None:
        self.errors.append(diagnostic)
        if len(self.errors) > MAX_ERRORS:  # a file of a million unknown kinds would take minutes to say so
            raise _Stop

    def items(
        self, node: yaml.MappingNode, layer: str | None = None, kind: str | None = None
    ) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        """The key/value pairs of a mapping; a duplicate or non-string key is reported, not silently kept."""
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR):
                self.fail(f"keys must be names, got {describe(key_node)}", key_node, layer, kind)
                continue
            key = key_node.value
            if key in seen:
                first = where(seen[key]).line
                self.fail(f"duplicate key {clip(key)!r} (first given on line {first})", key_node, layer, kind)
                continue
            seen[key] = key_node
            yield key, key_node, value_node

    def document(self, root: yaml.Node | None, input_volume: Volume | None = None) -> Spec | None:
        """The spec, or None with the errors recorded; `self.partial` keeps what could be read before the first."""
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
            self.fail("empty spec: expected a mapping with `input` and `layers`", None)
            return None
        if not isinstance(root, yaml.MappingNode):
            self.fail(f"a spec is a mapping with `input` and `layers`, got {describe(root)}", root)
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, key_node, value_node in self.items(root):
            if key not in TOP_LEVEL:
                message = f"unknown top-level key {clip(key)!r}{_suggest(key, TOP_LEVEL)}"
                self.fail(f"{message}; allowed: {', '.join(TOP_LEVEL)}", key_node)
            else:
                found[key] = (key_node, value_node)
        for key in ("input", "layers"):
            if key not in found and not (key == "input" and input_volume):
                self.fail(f"missing `{key}`", root)
        name = self.top_text(found.get("name"))
        description = self.top_text(found.get("description"))
        volume = self.volume(found["input"][1]) if "input" in found else None
        input_loc = where(found["input"][1]) if "input" in found else None
        built = self.built(found["layers"][1]) if "layers" in found else []
        expect = self.expect(found["expect"][1]) if "expect" in found else ()
        layers = tuple(layer for layer in built if layer is not None)
        # every repeat is bounded on its own; together they must be too, or nothing is computed
        if not self.bounded(instances(layers), where(found["layers"][1]) if layers else None, None):
            return None
        volume = input_volume or volume
        if volume is None:
            return None
        # the layers before the first that failed can still be computed, to report their errors too
        readable: list[Layer] = []
        for layer in built:
            if layer is None:
                break
            readable.append(layer)
        self.partial = Spec(volume, tuple(readable), name, description, expect, input_loc)
        return None if self.errors else self.partial

    def top_text(self, entry: tuple[yaml.Node, yaml.Node] | None) -> str | None:
        if entry is None:
            return None
        try:
            return text(entry[1])
        except Bad as exc:
            self.fail(f"`{entry[0].value}` {exc}", exc.node)
            return None

    def volume(self, node: yaml.Node) -> Volume | None:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 3:
            self.fail(f"`input` must be [h, w, c], three positive integers, got {describe(node)}", node)
            return None
        sizes = []
        for axis, item in zip("hwc", node.value, strict=True):
            try:
                sizes.append(integer(item))
            except Bad as exc:
                self.fail(f"input {axis} {exc}", exc.node)
        return Volume(*sizes) if len(sizes) == 3 else None

    def expect(self, node: yaml.Node) -> tuple[Expectation, ...]:
        """What the spec must add up to, each value typed and located."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(f"`expect` must be a mapping, got {describe(node)}", node)
            return ()
        found = []
        for key, key_node, value_node in self.items(node):
            if key not in EXPECT:
                message = (
                    f"unknown expectation {clip(key)!r}{_suggest(key, EXPECT)}; `expect` takes: {', '.join(EXPECT)}"
                )
                self.fail(message, key_node)
                continue
            try:
                found.append(Expectation(key, EXPECT[key](value_node), where(value_node)))
            except Bad as exc:
                self.fail(f"expect {key} {exc}", exc.node)
        return tuple(found)

    def built(
        self, node: yaml.Node, prefix: str = "", what: str = "`layers`", block: tuple[str, str] | None = None
    ) -> list[Layer | None]:
        """Each layer of a list, or None where it failed; `block` is the (path, kind) of the block it belongs to."""
        path, kind = block or (None, None)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(f"{what} must be a list of layers, got {describe(node)}", node, path, kind)
            return []
        if not node.value and what == "`layers`":  # an empty shortcut or branch is the identity
            self.fail(f"{what} is empty", node, path, kind)
        return [self.layer(f"{prefix}{number}", item) for number, item in enumerate(node.value, start=1)]

    def layer(self, path: str, node: yaml.Node) -> Layer | None:
        name: str | None = None
        options_node: yaml.Node | None = None
        kind_node: yaml.Node
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            kind, kind_node = node.value, node
        elif isinstance(node, yaml.MappingNode):
            entries = [(key, key_node, value) for key, key_node, value in self.items(node, path)]
            name_entries = [e for e in entries if e[0] == "name"]
            kinds = [e for e in entries if e[0] != "name"]
            if len(kinds) != 1:
                self.fail(self._kind_count_message(kinds), node, path)
                return None
            kind, kind_node, options_node = kinds[0]
            if name_entries:
                name = self.layer_name(name_entries[0][2], path, kind)
        else:
            shapes = "a kind (e.g. `flatten`) or a mapping (e.g. `conv: {...}`)"
            self.fail(f"a layer is {shapes}, got {describe(node)}", node, path)
            return None
        if kind not in KINDS:
            self.fail(f"unknown layer kind {clip(kind)!r}{_suggest(kind, KINDS)}", kind_node, path)
            return None
        record, allowed = KINDS[kind]
        errors_before = len(self.errors)
        options: dict[str, Any] = {}
        option_locs: dict[str, Location] = {}
        misspelt = False
        if options_node is not None and not (isinstance(options_node, yaml.ScalarNode) and options_node.tag == _NULL):
            if not isinstance(options_node, yaml.MappingNode):
                message = f"the options of {kind} must be a mapping, got {describe(options_node)}"
                self.fail(message, options_node, path, kind)
                return None
            for key, key_node, value_node in self.items(options_node, path, kind):
                if key == "name":
                    if name is not None:
                        self.fail("`name` is given twice", key_node, path, kind)
                    name = self.layer_name(value_node, path, kind)
                elif key not in allowed:
                    known = ", ".join(allowed) if allowed else "none besides name"
                    message = f"unknown option {clip(key)!r}{_suggest(key, allowed)}; {kind} takes: {known}"
                    self.fail(message, key_node, path, kind)
                    misspelt = True
                else:
                    option_locs[key] = where(value_node)
                    parse = allowed[key].parse
                    try:
                        options[key] = self.nested(key, value_node, path, kind) if parse is None else parse(value_node)
                    except Bad as exc:
                        self.fail(f"{key} {exc}", exc.node, path, kind)
        missing = [key for key, option in allowed.items() if option.required and key not in option_locs]
        # beside an unknown option, a missing one is most likely that option misspelt: say that only
        if missing and not misspelt:
            listed = " and ".join(f"`{key}`" for key in missing)
            self.fail(f"{kind} needs {listed}", kind_node, path, kind)
        if len(self.errors) > errors_before:
            return None
        if record is Pool:
            options.setdefault("stride", options["size"])
        if record is Repeat and not self.bounded(
            options["times"] * instances(options["layers"]), option_locs["times"], path
        ):
            return None
        return record(kind=kind, name=name, loc=where(kind_node), option_locs=option_locs, **options)

    def nested(self, key: str, node: yaml.Node, path: str, kind: str) -> Any:
        """A block's layer lists: `layers`, a residual's `shortcut` (none: the identity), a concat's `branches`."""
        block = (path, kind)
        if key == "layers":
            return self.kept(self.built(node, f"{path}.", "`layers`", block))
        if key == "shortcut":
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
                return ()  # written out but left empty: the identity, as when it is left out
            return self.kept(self.built(node, f"{path}.s", "`shortcut`", block))
        if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
            raise Bad(f"must be a list of at least 2 branches, each a list of layers, got {describe(node)}", node)
        return tuple(
            self.kept(self.built(branch, f"{path}.b{k}.", f"branch {k}", block))
            for k, branch in enumerate(node.value, start=1)
        )

    @staticmethod
    def kept(built: list[Layer | None]) -> tuple[Layer, ...]:
        return tuple(layer for layer in built if layer is not None)

    def bounded(self, count: int, loc: Location | None, path: str | None) -> bool:
        """Whether `count` layer instances are few enough to compute; refused before any work otherwise."""
        if count <= MAX_INSTANCES:
            return True
        self.report(instances_error(f"{count:,}", loc, path))
        return False

    def layer_name(self, node: yaml.Node, path: str, kind: str) -> str | None:
        try:
            return text(node)
        except Bad as exc:
            self.fail(f"name {exc}", exc.node, path, kind)
            return None

    @staticmethod
    def _kind_count_message(kinds: list[tuple[str, yaml.Node, yaml.Node]]) -> str:
        if not kinds:
            return "a layer needs a kind, e.g. `conv: {filters: 8, kernel: 3}`"
        keys = [key for key, _, _ in kinds]
        message = f"a layer has exactly one kind, got {len(keys)} keys: {', '.join(shown(clip(key)) for key in keys)}"
        if keys[0] in KINDS and any(key not in KINDS for key in keys[1:]):
            message += f" (indent the options under `{keys[0]}:`)"
        return message


def load(source: str, input_volume: Volume | None = None) -> Spec:
    """Parse the text of a spec; raise SpecError with every problem found, each with its line and column.

    `input_volume` overrides the spec's input, which may then be left out. The SpecError's `partial` holds the
    layers before the first that failed, which can still be computed.
    """
    root = compose(source)
    loader = _Loader()
    try:
        spec = loader.document(root, input_volume)
    except _Stop:
        raise SpecError(capped(loader.errors)) from None
    if loader.errors or spec is None:
        raise SpecError(in_file_order(loader.errors), loader.partial)
    return spec


def load_file(path: str, input_volume: Volume | None = None) -> Spec:
    """Read and parse a spec file (`-` for standard input)."""
    return load(read_source(path), input_volume)
