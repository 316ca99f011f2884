"""Blocks recovered from an imported graph's named skips: forks that meet again, and runs of the same layers.

The import writes a graph as a list of layers, each reading the one before it or naming the one it reads
(`from`, `with`). Where paths leave the same layer and meet again, and nothing else reads any layer between,
they are a block: two meeting at an add a `residual` (the longer path its `layers`, the other its `shortcut`,
none where the input itself is added, and an activation right after the add its `activation`); any number
meeting at a concat, an add or a multiply that block's `branches`, in the order the merge takes them. Then a
run of the same layers, one after another, is a `repeat`. The numbers are the same either way; the blocks are
what a person would write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

from .onnx_import import Layer
from .spec import ACTIVATIONS


def recovered(layers: Sequence[Layer]) -> list[Layer]:
    """The layers with every fork-and-add that allows it as a residual block."""
    reads = _reads(layers)
    out: list[Layer] = []
    for index, layer in enumerate(layers):
        block = _residual(out, layer, reads) if _joins_two(layer) else None
        if block is None and layer.merged and layer.kind in ("add", "concat", "multiply") and not layer.options:
            block = _branches(out, layer, reads)
        if block is not None:
            start, made = block
            out[start:] = [made]
            # the names the block's paths read are its own now
            reads = _reads([*out, *layers[index + 1 :]])
            continue
        last = out[-1] if out else None
        if (
            last is not None
            and last.kind == "residual"
            and "activation" not in last.options
            and layer.kind in ACTIVATIONS
            and layer.source is None
            and not layer.options
            and reads[last.name] == 0
        ):
            # the activation after the add: the block's own, under the name later layers read
            out[-1] = last._replace(name=layer.name, options={**last.options, "activation": layer.kind})
            continue
        out.append(layer)
    return _repeated(out, _reads(out))


def _joins_two(layer: Layer) -> bool:
    return layer.kind == "add" and len(layer.merged) == 1 and layer.source is None and not layer.options


def _reads(layers: Iterable[Layer]) -> Counter[str]:
    """How many times each name is read, by any layer at any depth."""
    found: Counter[str] = Counter()
    for layer in layers:
        found.update(layer.merged)
        if layer.source:
            found[layer.source] += 1
        found += _reads(layer.layers) + _reads(layer.shortcut)
        for branch in layer.branches:
            found += _reads(branch)
    return found


def _residual(out: list[Layer], add: Layer, reads: Counter[str]) -> tuple[int, Layer] | None:
    """Where the block that ends at `add` starts in `out`, and the block; None where the paths are no block."""
    (other,) = add.merged
    names = [layer.name for layer in out]
    if other not in names:
        return None
    at = names.index(other)
    later = out[at + 1 :]
    if later and later[0].source is not None and all(layer.source is None for layer in later[1:]):
        # two paths from the same layer: `other` ends the first, the current tensor the second, which names it
        fork = later[0].source
        if fork not in names[:at] or reads[fork] != 1 or reads[other] != 1:
            return None
        start = names.index(fork) + 1
        first = out[start : at + 1]
        second = [later[0]._replace(source=None), *later[1:]]
        if (
            not first
            or any(layer.source is not None or layer.merged for layer in first)
            or any(layer.merged for layer in second)
            or _read_outside(first + second, add, reads)
        ):
            return None
        main, shortcut = (first, second) if len(first) >= len(second) else (second, first)
        return start, Layer("residual", {}, add.name, None, layers=tuple(main), shortcut=tuple(shortcut))
    # the input added as it is: the layers after `other` are the block's, the shortcut the identity
    if not later or any(layer.source is not None or layer.merged for layer in later) or reads[other] != 1:
        return None
    if _read_outside(later, add, reads):
        return None
    return at + 1, Layer("residual", {}, add.name, None, layers=tuple(later))


def _read_outside(inside: list[Layer], add: Layer, reads: Counter[str]) -> bool:
    """Whether a layer outside the block (and its add) reads one of the block's own layers."""
    own = _reads([*inside, add])
    return any(reads[layer.name] > own[layer.name] for layer in inside)


def _branches(out: list[Layer], merge: Layer, reads: Counter[str]) -> tuple[int, Layer] | None:
    """Paths that all leave one layer and meet at `merge`, as its branches; None where they do not."""
    inputs = [merge.source or (out[-1].name if out else ""), *merge.merged]
    names = [layer.name for layer in out]
    candidates = dict.fromkeys([*(layer.source for layer in reversed(out) if layer.source), *inputs])
    for fork in candidates:
        if fork in names or fork == "input":  # the network's input comes before every layer
            at = names.index(fork) if fork in names else -1
            found = _paths_from(out, at, merge, inputs, reads, fork)
            if found is not None:
                return found
    return None


def _paths_from(
    out: list[Layer], at: int, merge: Layer, inputs: list[str], reads: Counter[str], fork: str
) -> tuple[int, Layer] | None:
    """The branches of `merge` where every path after `out[at]` (named `fork`) leaves it; None where some does
    not."""
    starts = [index for index in range(at + 1, len(out)) if out[index].source is not None]
    if any(out[index].source != fork for index in starts):
        return None
    # the paths after the fork, each up to the next that names the fork: the first may start right after it
    bounds = [at + 1, *[index for index in starts if index > at + 1], len(out)]
    paths = [out[start:end] for start, end in pairwise(bounds) if start < end]
    if any(layer.merged for path in paths for layer in path):
        return None  # a path that meets another on its way is no branch of this block
    ends = {path[-1].name: path for path in paths}
    if sorted(ends) != sorted(name for name in inputs if name != fork) or len(ends) != len(paths):
        return None
    explicit = sum(1 for path in paths if path[0].source == fork)
    if reads[fork] != explicit + inputs.count(fork) or any(reads[name] != 1 for name in ends if name != inputs[0]):
        return None
    if _read_outside([layer for path in paths for layer in path], merge, reads):
        return None
    branches = tuple(
        () if name == fork else tuple([ends[name][0]._replace(source=None), *ends[name][1:]]) for name in inputs
    )
    parts = [branch[0] for branch in branches if branch and branch[0].kind == "part"]
    if not parts:
        return at + 1, Layer(merge.kind, {}, merge.name, None, branches=branches)
    # a split's parts, each on a branch of its own, met in order at a concat: the concat's `split`
    split = parts[0].options["split"]
    if (
        merge.kind != "concat"
        or len(parts) != len(branches)
        or any(part.options["of"] != parts[0].options["of"] for part in parts)
        or [part.options["index"] for part in parts] != list(range(len(split)))
    ):
        return None
    return at + 1, Layer("concat", {"split": split}, merge.name, None, branches=tuple(b[1:] for b in branches))


def unmet_splits(layers: Iterable[Layer]) -> list[str]:
    """The split nodes whose parts are left as layers: their parts do not meet again at one concat, in order."""
    found: list[str] = []
    for layer in layers:
        if layer.kind == "part" and layer.options["of"] not in found:
            found.append(layer.options["of"])
        for held in (layer.layers, layer.shortcut, *layer.branches):
            found += [name for name in unmet_splits(held) if name not in found]
    return found


def _repeated(layers: list[Layer], reads: Counter[str]) -> list[Layer]:
    """Runs of the same layers, one after another, as repeats; the lists inside blocks too. Runs of one layer are
    found first, then of two, up to four, so that a repeated stage holds its own repeat (VGG's stages)."""
    layers = [_inner_repeats(layer, reads) for layer in layers]
    for longest in range(1, 5):
        layers = _runs(layers, reads, longest)
    return layers


def _runs(layers: list[Layer], reads: Counter[str], longest: int) -> list[Layer]:
    """One pass: each run of a body of up to `longest` layers, the run covering most first, as a repeat."""
    out: list[Layer] = []
    index = 0
    while index < len(layers):
        best = (1, 1)  # body length, times
        for length in range(1, longest + 1):
            body = layers[index : index + length]
            if len(body) < length or not _repeatable(body, reads, last=False):
                continue
            times = 1
            while _same(layers[index + times * length : index + (times + 1) * length], body):
                times += 1
            if times > 1 and times * length > best[0] * best[1]:
                best = (length, times)
        length, times = best
        run = layers[index : index + length * times]
        if times > 1 and _repeatable(run[:-1], reads, last=False) and _repeatable(run[-1:], reads, last=True):
            # the body's names are read by none: the repeat takes the name of the run's last layer
            out.append(Layer("repeat", {"times": times}, run[-1].name, None, layers=tuple(run[:length])))
        else:
            out.extend(run)
        index += length * times
    return out


def _inner_repeats(layer: Layer, reads: Counter[str]) -> Layer:
    return layer._replace(
        layers=tuple(_repeated(list(layer.layers), reads)) if layer.kind != "repeat" else layer.layers,
        shortcut=tuple(_repeated(list(layer.shortcut), reads)),
        branches=tuple(tuple(_repeated(list(branch), reads)) for branch in layer.branches),
    )


def _repeatable(layers: Sequence[Layer], reads: Counter[str], last: bool) -> bool:
    """Whether layers can go into a repeat's body: none reads by name, and none is read by name (but the last
    of the run, whose name the repeat takes)."""
    return all(
        layer.source is None and not layer.merged and (last or reads[layer.name] == 0) and not _names_inside(layer)
        for layer in layers
    )


def _names_inside(layer: Layer) -> bool:
    inner = [*layer.layers, *layer.shortcut, *(child for branch in layer.branches for child in branch)]
    return any(child.source is not None or child.merged or _names_inside(child) for child in inner)


def _same(layers: Sequence[Layer], body: Sequence[Layer]) -> bool:
    return len(layers) == len(body) and all(_signature(a) == _signature(b) for a, b in zip(layers, body, strict=True))


def _signature(layer: Layer) -> object:
    """What a layer does, its name left out."""
    options = tuple(sorted((key, repr(value)) for key, value in layer.options.items()))
    return (
        layer.kind,
        options,
        layer.source,
        layer.merged,
        tuple(_signature(child) for child in layer.layers),
        tuple(_signature(child) for child in layer.shortcut),
        tuple(tuple(_signature(child) for child in branch) for branch in layer.branches),
    )
