"""The values an option takes, each read from a YAML node by a parser of the same name (`kinds.VALUES`), or Bad
saying what was wanted and what was found."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml

from .counts import parse_count
from .diagnostics import shown
from .kinds import MAX_INT
from .spec import ACTIVATIONS, CROP_MODES, GATES, RANKS, UPSAMPLE_MODES, PerAxis, Sides, Volume
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


def _ints(node: yaml.SequenceNode, minimum: int) -> tuple[int, ...]:
    return tuple(integer(item, minimum) for item in node.value)


# the lists a spatial option takes at each rank: one value per axis, or two sides per axis
_PER_AXIS = {
    1: "an integer or [length]",
    2: "an integer or a pair [height, width]",
    3: "an integer or [depth, height, width]",
}
_SIDES = {
    1: "[p] or [before, after]",
    2: "[ph, pw] or [top, bottom, left, right]",
    3: "[pd, ph, pw] or [front, back, top, bottom, left, right]",
}


def per_axis(node: yaml.Node, rank: int = 2, minimum: int = 1) -> PerAxis:
    """An int for every axis, or one per axis: [height, width] in 2-D."""
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) != rank:
            raise Bad(f"must be {_PER_AXIS[rank]}, got {describe(node)}", node)
        return _ints(node, minimum)
    return (integer(node, minimum),) * rank


def natural_per_axis(node: yaml.Node, rank: int = 2) -> PerAxis:
    """An int >= 0 for every axis, or one per axis."""
    return per_axis(node, rank, minimum=0)


def padding(node: yaml.Node, rank: int = 2) -> str | Sides:
    """`valid`, `same`, p, one per axis ([ph, pw]) or two sides per axis ([top, bottom, left, right])."""
    if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
        if node.value.lower() in ("same", "valid"):  # in any case, as Keras writes it and as the queries take it
            return str(node.value.lower())
        raise Bad(f"must be `same`, `valid`, {_amounts(rank)}, got {describe(node)}", node)
    if isinstance(node, yaml.SequenceNode):
        return sides(node, rank)
    try:
        return (natural(node),) * (2 * rank)
    except Bad:
        raise Bad(f"must be `same`, `valid`, {_amounts(rank)}, got {describe(node)}", node) from None


def _amounts(rank: int) -> str:
    return f"an integer or a list of {rank} or {2 * rank} integers"


def sides(node: yaml.Node, rank: int = 2) -> Sides:
    """p, one per axis or two sides per axis: padding as amounts only (no `same` or `valid`)."""
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) == rank:
            return tuple(p for p in _ints(node, 0) for _ in range(2))
        if len(node.value) == 2 * rank:
            return _ints(node, 0)
        raise Bad(f"must be {_SIDES[rank]}, got {describe(node)}", node)
    if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
        raise Bad(f"must be {_amounts(rank)}, got {describe(node)}", node)
    return (natural(node),) * (2 * rank)


def boolean(node: yaml.Node) -> bool:
    value = scalar(node, "true or false")
    if type(value) is not bool:
        raise wrong(node, "true or false")
    return value


def activation(node: yaml.Node) -> str | None:
    what = f"one of {', '.join(ACTIVATIONS)} or none"
    value = scalar(node, what)
    word = value.lower() if isinstance(value, str) else value  # in any case: `ReLU` is relu
    if word is None or word in ("none", "linear"):
        return None
    if not isinstance(word, str) or word not in ACTIVATIONS:
        raise Bad(f"must be {what}, got {describe(node)}{suggest(str(value), ACTIVATIONS)}", node)
    return word


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
        word = value.lower() if isinstance(value, str) else value  # in any case: `Bilinear` is bilinear
        if word not in values:
            raise Bad(f"must be {what}, got {describe(node)}{suggest(str(value), values)}", node)
        return str(word)

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
    """[l, c], [h, w, c] or [d, h, w, c]."""
    if not isinstance(node, yaml.SequenceNode) or len(node.value) - 1 not in RANKS:
        raise Bad(f"must be {VOLUMES}, positive integers, got {describe(node)}", node)
    return Volume(*(integer(item) for item in node.value))


VOLUMES = "[l, c], [h, w, c] or [d, h, w, c]"


# each value an option takes (`kinds.VALUES`), and the others the format has, by name: the parser that reads it
PARSERS: dict[str, Callable[[yaml.Node], Any]] = {
    "positive_integer": integer,
    "natural": natural,
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

# the values given per spatial axis, read at the input's rank
SPATIAL: dict[str, Callable[[yaml.Node, int], Any]] = {
    "per_axis": per_axis,
    "natural_per_axis": natural_per_axis,
    "padding": padding,
    "sides": sides,
}

# what `expect:` takes: the key and the value it holds
EXPECT: dict[str, str] = {
    "output": "volume",
    "params": "count",
    "trainable_params": "count",
    "non_trainable_params": "count",
    "max_params": "count",
    "max_macs": "count",
    "receptive_field": "per_axis",
}


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'stride'?)` for the nearest choice, ignoring case, or nothing."""
    import difflib  # only on the error path

    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


# other frameworks' names of cnncalc's kinds (PyTorch's and Keras's), as `_framework_word` writes them: lower case,
# without a module path (`nn.`, `layers.`) or a rank (`2d`); a name that is a kind once written so is that kind
FOREIGN_KINDS = {
    "linear": "dense",
    "lazylinear": "dense",
    "lazyconv": "conv",
    "separableconv": "conv",
    "depthwiseconv": "conv",
    "convolution": "conv",
    "conv2dtranspose": "convtranspose",
    "deconv": "convtranspose",
    "deconvolution": "convtranspose",
    "maxpooling": "maxpool",
    "averagepooling": "avgpool",
    "avgpooling": "avgpool",
    "adaptiveaveragepool": "adaptiveavgpool",
    "globalaveragepooling": "globalavgpool",
    "globalavgpooling": "globalavgpool",
    "globalmaxpooling": "globalmaxpool",
    "batchnormalization": "batchnorm",
    "layernormalization": "layernorm",
    "groupnormalization": "groupnorm",
    "zeropadding": "zeropad",
    "constantpad": "zeropad",
    "upsampling": "upsample",
    "cropping": "crop",
    "squeezeexcitation": "squeeze_excite",
    "stochasticdepth": "droppath",
    "swish": "silu",
    "concatenate": "concat",
    "cat": "concat",
    "sequential": "repeat",
}

# other frameworks' names of cnncalc's options, by the kind that takes them (`*`: any kind that has that option)
_POOLS = {"maxpool": "size", "avgpool": "size"}
FOREIGN_OPTIONS: dict[str, dict[str, str]] = {
    "out_channels": {"*": "filters"},
    "kernel_size": {**_POOLS, "*": "kernel"},
    "pool_size": _POOLS,
    "kernel": _POOLS,  # a pool's window
    "window": _POOLS,
    "size": {"conv": "kernel", "convtranspose": "kernel"},  # a conv's filter
    "filters": {"dense": "units"},
    "units": {"*": "filters"},
    "out_features": {"*": "units"},
    "strides": {"*": "stride"},
    "dilation_rate": {"*": "dilation"},
    "use_bias": {"*": "bias"},
    "ceil_mode": {"*": "ceil"},
    "scale_factor": {"*": "scale"},
    "output_size": {"*": "size"},
    "num_groups": {"*": "groups"},
    "p": {"*": "rate"},
    "drop_prob": {"*": "rate"},
    "cropping": {"*": "sides"},
}

# options of other frameworks that cnncalc has no use for, and why
NOT_NEEDED = {
    "in_channels": "not needed: cnncalc takes the channels from the input",
    "in_features": "not needed: cnncalc takes the inputs from the previous layer",
    "num_features": "not needed: cnncalc takes the channels from the input",
    "num_channels": "not needed: cnncalc takes the channels from the input",
    "normalized_shape": "not needed: cnncalc takes the shape from the input",
    "input_shape": "not needed: the spec's `input` gives the first layer's input",
    "padding_mode": "not needed: what the padding holds changes no size or count",
    "eps": "not needed: it changes no size or count",
    "epsilon": "not needed: it changes no size or count",
    "momentum": "not needed: it changes no size or count",
    "inplace": "not needed: it changes no size or count",
    "negative_slope": "not needed: it changes no size or count",
    "track_running_stats": "not needed: cnncalc counts batchnorm's running statistics as non-trainable",
}


def _framework_word(word: str) -> str:
    """`nn.MaxPool2d` as `maxpool`, `layers.Conv2DTranspose` as `conv2dtranspose`: lower case, without a module
    path, and without the rank at its end."""
    import re  # only on the error path

    name = word.rsplit(".", 1)[-1].lower()
    return re.sub(r"[123]d$", "", name) if not name.endswith("transpose") else re.sub(r"[123]d", "", name)


def kind_hint(word: str, kinds: Iterable[str]) -> str:
    """`: cnncalc calls it `dense`` for another framework's name of a kind (`linear`, `nn.Conv2d`); else the nearest
    kind (` (did you mean 'conv'?)`), or nothing."""
    name = _framework_word(word)
    named = FOREIGN_KINDS.get(name, name if name in kinds and name != word else None)
    if named is not None:
        return f": cnncalc calls it `{named}`"
    return suggest(word, kinds)


def option_hint(word: str, kind: str, allowed: Iterable[str]) -> str:
    """`: cnncalc calls it `kernel`` for another framework's name of an option the layer takes, or why it needs
    none (`in_channels`); else the nearest option, or nothing."""
    taken = list(allowed)
    key = word.lower()
    if key in NOT_NEEDED:
        return f": {NOT_NEEDED[key]}"
    names = FOREIGN_OPTIONS.get(key, {})
    named = names.get(kind, names.get("*"))
    if named is None and key != word:
        named = key
    if named is not None and named in taken:
        return f": cnncalc calls it `{named}`"
    return suggest(word, taken)
