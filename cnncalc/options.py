"""The values an option takes, each read from a YAML node by a parser of the same name (`kinds.VALUES`), or Bad
saying what was wanted and what was found."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml

from .counts import parse_count
from .diagnostics import shown
from .kinds import MAX_INT
from .spec import ACTIVATIONS, CROP_MODES, GATES, UPSAMPLE_MODES, Volume
from .yamlvalues import STR_TAG, Bad, clip, describe, scalar, wrong


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


def natural_pair(node: yaml.Node) -> tuple[int, int]:
    """An int >= 0 for both axes, or [height, width]."""
    return pair(node, minimum=0)


def padding(node: yaml.Node) -> str | tuple[int, int, int, int]:
    """`valid`, `same`, p, [ph, pw] or [top, bottom, left, right]."""
    if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
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


def sides(node: yaml.Node) -> tuple[int, int, int, int]:
    """p, [ph, pw] or [top, bottom, left, right]: padding as amounts only (no `same` or `valid`)."""
    what = "an integer or a list of 2 or 4 integers"
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) == 2:
            ph, pw = (natural(n) for n in node.value)
            return ph, ph, pw, pw
        if len(node.value) == 4:
            top, bottom, left, right = (natural(n) for n in node.value)
            return top, bottom, left, right
        raise Bad(f"must be [ph, pw] or [top, bottom, left, right], got {describe(node)}", node)
    if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
        raise Bad(f"must be {what}, got {describe(node)}", node)
    p = natural(node)
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
        raise Bad(f"must be {what}, got {describe(node)}{suggest(str(value), ACTIVATIONS)}", node)
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


def one_of(values: tuple[str, ...]) -> Callable[[yaml.Node], str]:
    """The parser of a value that is one of a few words (an upsample's mode, a merge's crop, a gate)."""
    what = f"one of {', '.join(values)}"

    def parse(node: yaml.Node) -> str:
        value = scalar(node, what)
        if value not in values:
            raise Bad(f"must be {what}, got {describe(node)}{suggest(str(value), values)}", node)
        return str(value)

    return parse


def counts(node: yaml.Node) -> tuple[int, ...]:
    """A list of positive integers: a concat's channel split."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise Bad(f"must be a list of channel counts such as [58, 58], got {describe(node)}", node)
    return tuple(integer(item) for item in node.value)


def names(node: yaml.Node) -> tuple[str, ...]:
    """A name, or a list of names: the earlier layers a merge joins."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        raise Bad("must name at least one earlier layer, got []", node)
    return tuple(text(item) for item in items)


def text(node: yaml.Node) -> str:
    value = scalar(node, "a string")
    if not isinstance(value, str):
        raise wrong(node, "a string")
    return value


def count(node: yaml.Node) -> int:
    """A count: an integer, or text such as `70k`, `1.2M`, `3G`. A count is no size: 15.5 G MACs is a count."""
    if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
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


# each value an option takes (`kinds.VALUES`), and the others the format has, by name: the parser that reads it
PARSERS: dict[str, Callable[[yaml.Node], Any]] = {
    "positive_integer": integer,
    "natural": natural,
    "pair": pair,
    "natural_pair": natural_pair,
    "padding": padding,
    "sides": sides,
    "boolean": boolean,
    "activation": activation,
    "rate": rate,
    "upsample_mode": one_of(UPSAMPLE_MODES),
    "crop_mode": one_of(CROP_MODES),
    "gate": one_of(GATES),
    "counts": counts,
    "names": names,
    "text": text,
    "count": count,
    "volume": volume,
}

# what `expect:` takes: the key and the value it holds
EXPECT: dict[str, str] = {
    "output": "volume",
    "params": "count",
    "trainable_params": "count",
    "non_trainable_params": "count",
    "max_params": "count",
    "max_macs": "count",
    "receptive_field": "pair",
}


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'stride'?)` for the nearest choice, ignoring case, or nothing."""
    import difflib  # only on the error path

    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
