"""Residual blocks recovered from an imported graph's named skips: a fork that meets again at an add.

The import writes a graph as a list of layers, each reading the one before it or naming the one it reads
(`from`, `with`). Where two paths leave the same layer and meet at an add, and nothing else reads any layer
between, they are a `residual` block: the longer path its `layers`, the other its `shortcut` (none where the
input itself is added), and an activation right after the add its `activation`. The numbers are the same
either way; the block is what a person would write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .onnx_import import Layer
from .spec import ACTIVATIONS


def recovered(layers: Sequence[Layer]) -> list[Layer]:
    """The layers with every fork-and-add that allows it as a residual block."""
    reads = _reads(layers)
    out: list[Layer] = []
    for layer in layers:
        block = _residual(out, layer, reads) if _joins_two(layer) else None
        if block is not None:
            start, made = block
            out[start:] = [made]
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
    return out


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
        if not first or any(layer.source is not None for layer in first) or _read_outside(first + second, add, reads):
            return None
        main, shortcut = (first, second) if len(first) >= len(second) else (second, first)
        return start, Layer("residual", {}, add.name, None, layers=tuple(main), shortcut=tuple(shortcut))
    # the input added as it is: the layers after `other` are the block's, the shortcut the identity
    if not later or any(layer.source is not None for layer in later) or reads[other] != 1:
        return None
    if _read_outside(later, add, reads):
        return None
    return at + 1, Layer("residual", {}, add.name, None, layers=tuple(later))


def _read_outside(inside: list[Layer], add: Layer, reads: Counter[str]) -> bool:
    """Whether a layer outside the block (and its add) reads one of the block's own layers."""
    own = _reads([*inside, add])
    return any(reads[layer.name] > own[layer.name] for layer in inside)
