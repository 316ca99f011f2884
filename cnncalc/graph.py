"""Named skips: which earlier output each `from` and `with` names, checked before anything is computed, and the
layers whose output never reaches the network's output.

A name is seen by the layers after it in its own list, and inside the blocks among them; a block's own name is
seen after it, the names inside it are not; `input` is the network's input. References go backwards only.
"""

from __future__ import annotations

from collections.abc import Iterator

from .diagnostics import Diagnostic, error, warning
from .kinds import children, layer_tree
from .spec import Layer, Spec

INPUT = "input"  # the name of the network's input


def references(layer: Layer, shapes_too: bool = True) -> Iterator[tuple[str, str]]:
    """The names a layer reads, each with the option that names it: its `from`, a merge's `with`, and (with
    `shapes_too`) a crop's `like`, which reads the size of an output, not its values."""
    if layer.source is not None:
        yield "from", layer.source
    for name in getattr(layer, "merged", ()):
        yield "with", name
    like = getattr(layer, "like", None)
    if shapes_too and like is not None:
        yield "like", like


def reads_outside(layers: tuple[Layer, ...]) -> bool:
    """Whether any of `layers`, or the layers they hold, reads a name bound outside them (`input` included)."""
    bound = {layer.name for _, layer in layer_tree(layers) if layer.name is not None}
    return any(name not in bound for _, layer in layer_tree(layers) for _, name in references(layer))


def check(spec: Spec) -> list[Diagnostic]:
    """Every reference that names no output this layer can see, and (warnings) the layers that lead nowhere."""
    found: list[Diagnostic] = []
    tree = list(layer_tree(spec.layers))
    if not any(layer.name == INPUT or next(references(layer), None) for _, layer in tree):
        return found  # a plain chain: each layer reads the one before, and every one reaches the output
    everywhere = {layer.name: path for path, layer in tree if layer.name is not None}
    targets: dict[str, list[str]] = {}  # per reading layer's path, the paths it reads by name
    _resolve(spec.layers, "", {INPUT: [INPUT]}, set(), everywhere, found, targets)
    if not any(d.severity == "error" for d in found):
        found += _dead(spec, targets)
    return found


def _resolve(
    layers: tuple[Layer, ...],
    prefix: str,
    scope: dict[str, list[str]],
    ahead: set[str],
    everywhere: dict[str, str],
    found: list[Diagnostic],
    targets: dict[str, list[str]],
) -> None:
    """Check the references of `layers` against the names `scope` holds (each with the paths of the layers that
    bear it); `ahead` holds the names that come later in the enclosing lists."""
    seen = dict(scope)
    later = ahead | {layer.name for layer in layers if layer.name is not None}
    for number, layer in enumerate(layers, start=1):
        path = f"{prefix}{number}"
        loc_of = layer.option_locs
        for option, name in references(layer):
            loc = loc_of.get(option, layer.loc)
            paths = seen.get(name)
            if paths is None:
                found.append(error("reference", _unseen(name, later, everywhere, seen), loc, path, layer.kind))
            elif len(paths) > 1:
                listed = ", ".join(paths)
                message = f"more than one layer before this one is named {name!r} (layers {listed}): rename all but one"
                found.append(error("reference", message, loc, path, layer.kind))
            elif option != "like":  # a crop's `like` reads a size: it carries no output on
                targets.setdefault(path, []).append(paths[0])
        if layer.name == INPUT:
            message = "`input` names the network's input: give this layer another name"
            found.append(error("reference", message, layer.option_locs.get("name", layer.loc), path, layer.kind))
        for suffix, held in children(layer):
            _resolve(held, path + suffix, seen, later, everywhere, found, targets)
        if layer.name is not None and layer.name != INPUT:
            seen[layer.name] = [*seen.get(layer.name, []), path]


def _unseen(name: str, later: set[str], everywhere: dict[str, str], seen: dict[str, list[str]]) -> str:
    if name in later:
        return f"{name!r} comes after this layer: a layer reads only outputs computed before it"
    if name in everywhere:
        return (
            f"{name!r} is inside a block (layer {everywhere[name]}): the names inside a block are not seen outside "
            "it; name the block instead, or read it from inside"
        )
    from .options import suggest

    return f"no layer before this one is named {name!r}{suggest(name, seen)}"


def _dead(spec: Spec, targets: dict[str, list[str]]) -> list[Diagnostic]:
    """The layers whose output no path carries to the network's output: a warning at the first of each run."""
    feeds: dict[str, list[str]] = {}  # per path, the paths whose outputs it reads
    layers_at: dict[str, tuple[Layer, str]] = {}  # per path, its layer and the path of the list's block

    def lists(layers: tuple[Layer, ...], prefix: str, block: str) -> None:
        previous = block  # the first layer of a list reads the block's input: the block stands for it
        for number, layer in enumerate(layers, start=1):
            path = f"{prefix}{number}"
            layers_at[path] = (layer, block)
            feeds[path] = ([] if layer.source is not None else [previous]) + targets.get(path, [])
            for suffix, held in children(layer):
                lists(held, path + suffix, path)
                if held:
                    feeds[path].append(f"{path}{suffix}{len(held)}")  # the block reads its lists' last layers
            previous = path

    lists(spec.layers, "", "")
    live = set()
    stack = [str(len(spec.layers))]
    while stack:
        path = stack.pop()
        if path in live or path not in feeds:
            continue
        live.add(path)
        stack += feeds[path]
    found = []
    for path, (layer, block) in layers_at.items():
        if path in live or (block and block not in live):
            continue
        before = path.rsplit(".", 1)
        number = int(before[-1]) if before[-1].isdigit() else 0
        previous = f"{before[0]}.{number - 1}" if len(before) == 2 else str(number - 1)
        if number > 1 and previous in layers_at and previous not in live:
            continue  # said at the first of the run
        message = "its output never reaches the network's output: no later layer reads it"
        found.append(warning("dead", message, layer.loc, path, layer.kind))
    return found
