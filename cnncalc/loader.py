"""YAML in, a typed `Spec` out, with the line and column of every layer and option kept for messages.

Only YAML's node graph is used (no object construction), so a spec can never build Python objects, and every
value's type is checked here: PyYAML reads YAML 1.1, where `1e3` is text and `no` is false. Tags such as
`!!python/object`, self-containing aliases and alias bombs are refused before anything else is read. The text is
read in `reading`, each value in `options` (over `yamlvalues`), and each kind's options come from `kinds`; here,
the walk over the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from . import reading
from .diagnostics import Diagnostic, SpecError, error, in_file_order, shown, warning
from .kinds import COMMON, KINDS, LISTS, Option, instance_counts
from .options import EXPECT, PARSERS, SPATIAL, VOLUMES, integer, kind_hint, option_hint, suggest, text
from .reading import MAX_ERRORS, capped, compose, instances_error, read_source
from .spec import AXIS_LETTERS, RANKS, Expectation, Layer, Location, Spec, Volume
from .yamlvalues import NULL_TAG, STR_TAG, Bad, clip, describe, where

TOP_LEVEL = ("name", "description", "input", "layers", "expect")


class _Stop(Exception):
    """More than MAX_ERRORS errors: the reading stops at the last."""


class _Loader:
    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.partial: Spec | None = None
        self.rank = 2  # the input's spatial axes: every spatial option is read with one value (or two sides) per axis

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
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == STR_TAG):
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
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == NULL_TAG):
            self.fail("empty spec: expected a mapping with `input` and `layers`", None)
            return None
        if not isinstance(root, yaml.MappingNode):
            self.fail(f"a spec is a mapping with `input` and `layers`, got {describe(root)}", root)
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, key_node, value_node in self.items(root):
            if key not in TOP_LEVEL:
                message = f"unknown top-level key {clip(key)!r}{suggest(key, TOP_LEVEL)}"
                self.fail(f"{message}; allowed: {', '.join(TOP_LEVEL)}", key_node)
            else:
                found[key] = (key_node, value_node)
        for key in ("input", "layers"):
            if key not in found and not (key == "input" and input_volume):
                self.fail(f"missing `{key}`", root)
        name = self.top_text(found.get("name"))
        description = self.top_text(found.get("description"))
        volume = self.volume(found["input"][1]) if "input" in found else None
        self.rank = (input_volume or volume or Volume(1, 1, 1)).rank
        input_loc = where(found["input"][1]) if "input" in found else None
        if volume is not None and input_volume is None and (meant := volume.channels_last()) is not None:
            written, wanted = (f"[{', '.join(map(str, sizes))}]" for sizes in (volume, meant))
            message = f"input {written} looks channels-first; did you mean {wanted}? cnncalc sizes are h x w x c"
            self.warnings.append(warning("input", message, input_loc))
        built = self.built(found["layers"][1]) if "layers" in found else []
        expect = self.expect(found["expect"][1]) if "expect" in found else ()
        layers = tuple(layer for layer in built if layer is not None)
        # every repeat is bounded on its own; together they must be too, or nothing is computed
        if not self.bounded(instance_counts(layers), where(found["layers"][1]) if layers else None, None):
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
        self.partial = Spec(volume, tuple(readable), name, description, expect, input_loc, tuple(self.warnings))
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
        if not isinstance(node, yaml.SequenceNode) or len(node.value) - 1 not in RANKS:
            self.fail(f"`input` must be {VOLUMES}, positive integers, got {describe(node)}", node)
            return None
        sizes = []
        names = (*AXIS_LETTERS[len(node.value) - 1], "c")
        for axis, item in zip(names, node.value, strict=True):
            try:
                sizes.append(integer(item))
            except Bad as exc:
                self.fail(f"input {axis} {exc}", exc.node)
        return Volume(*sizes) if len(sizes) == len(node.value) else None

    def expect(self, node: yaml.Node) -> tuple[Expectation, ...]:
        """What the spec must add up to, each value typed and located."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(f"`expect` must be a mapping, got {describe(node)}", node)
            return ()
        found = []
        for key, key_node, value_node in self.items(node):
            if key not in EXPECT:
                message = (
                    f"unknown expectation {clip(key)!r}{suggest(key, EXPECT)}; `expect` takes: {', '.join(EXPECT)}"
                )
                self.fail(message, key_node)
                continue
            try:
                value = EXPECT[key]
                parsed = SPATIAL[value](value_node, self.rank) if value in SPATIAL else PARSERS[value](value_node)
                found.append(Expectation(key, parsed, where(value_node)))
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
        beside: dict[str, yaml.Node] = {}
        options_node: yaml.Node | None = None
        kind_node: yaml.Node
        if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
            kind, kind_node = node.value, node
        elif isinstance(node, yaml.MappingNode):
            entries = [(key, key_node, value) for key, key_node, value in self.items(node, path)]
            beside = {key: value for key, _, value in entries if key in COMMON}
            kinds = [e for e in entries if e[0] not in COMMON]
            if len(kinds) != 1:
                self.fail(self._kind_count_message(kinds), node, path)
                return None
            kind, kind_node, options_node = kinds[0]
        else:
            shapes = "a kind (e.g. `flatten`) or a mapping (e.g. `conv: {...}`)"
            self.fail(f"a layer is {shapes}, got {describe(node)}", node, path)
            return None
        if kind not in KINDS:
            self.fail(f"unknown layer kind {clip(kind)!r}{kind_hint(kind, KINDS)}", kind_node, path)
            return None
        declared = KINDS[kind]
        allowed: dict[str, Option] = {option.name: option for option in declared.options}
        errors_before = len(self.errors)
        options: dict[str, Any] = {}
        option_locs: dict[str, Location] = {}
        misspelt = False
        if options_node is not None and not (
            isinstance(options_node, yaml.ScalarNode) and options_node.tag == NULL_TAG
        ):
            if not isinstance(options_node, yaml.MappingNode):
                message = f"the options of {kind} must be a mapping, got {describe(options_node)}"
                self.fail(message, options_node, path, kind)
                return None
            for key, key_node, value_node in self.items(options_node, path, kind):
                if key in COMMON:
                    if key in beside:
                        self.fail(
                            f"`{key}` is given twice: beside the kind and among its options", key_node, path, kind
                        )
                    beside[key] = value_node
                    option_locs[key] = where(value_node)
                elif key not in allowed:
                    known = ", ".join(allowed) if allowed else "none besides name"
                    message = f"unknown option {clip(key)!r}{option_hint(key, kind, allowed)}; {kind} takes: {known}"
                    self.fail(message, key_node, path, kind)
                    misspelt = True
                else:
                    option_locs[key] = where(value_node)
                    value = allowed[key].value
                    try:
                        if value in LISTS:
                            options[key] = self.nested(value, value_node, path, kind)
                        elif value in SPATIAL:
                            options[key] = SPATIAL[value](value_node, self.rank)
                        else:
                            options[key] = PARSERS[value](value_node)
                    except Bad as exc:
                        self.fail(f"{key} {exc}", exc.node, path, kind)
        missing = [key for key, option in allowed.items() if option.required and key not in option_locs]
        # beside an unknown option, a missing one is most likely that option misspelt: say that only
        if missing and not misspelt:
            listed = " and ".join(f"`{key}`" for key in missing)
            self.fail(f"{kind} needs {listed}", kind_node, path, kind)
        if len(self.errors) > errors_before:
            return None
        for option in declared.options:
            if option.same_as and option.name not in options:
                options[option.name] = options[option.same_as]
        common: dict[str, Any] = {COMMON[key]: self.layer_name(value, path, kind, key) for key, value in beside.items()}
        if len(self.errors) > errors_before:
            return None
        for key, given in beside.items():
            option_locs.setdefault(key, where(given))
        fields = {declared.field(key): value for key, value in options.items()}
        if self.rank != 2:  # a record's defaults are given per axis in 2-D
            for option in declared.options:
                field = declared.field(option.name)
                default = declared.record._field_defaults.get(field)
                if option.value in SPATIAL and field not in fields and isinstance(default, tuple):
                    fields[field] = default[:1] * self.rank
        layer = declared.record(kind=kind, loc=where(kind_node), option_locs=option_locs, **common, **fields)
        # what the block holds, repeated: bounded on its own before it is counted with the rest
        if declared.repeated_by:
            leaves, blocks = instance_counts((layer,))
            if not self.bounded((leaves, blocks - 1), option_locs[declared.repeated_by], path):
                return None
        return layer

    def nested(self, value: str, node: yaml.Node, path: str, kind: str) -> Any:
        """A block's layer lists (`kinds.LISTS`): `layers`; a `shortcut`, none being the identity; `branches`."""
        block = (path, kind)
        if value == "layers":
            return self.kept(self.built(node, path + LISTS[value], "`layers`", block))
        if value == "shortcut":
            if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
                return ()  # written out but left empty: the identity, as when it is left out
            return self.kept(self.built(node, path + LISTS[value], "`shortcut`", block))
        if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
            raise Bad(f"must be a list of at least 2 branches, each a list of layers, got {describe(node)}", node)
        return tuple(
            self.kept(self.built(branch, path + LISTS[value].format(k), f"branch {k}", block))
            for k, branch in enumerate(node.value, start=1)
        )

    @staticmethod
    def kept(built: list[Layer | None]) -> tuple[Layer, ...]:
        return tuple(layer for layer in built if layer is not None)

    def bounded(self, parts: tuple[int, int], loc: Location | None, path: str | None) -> bool:
        """Whether the layer instances, `parts` of them layers and blocks, are few enough to compute; refused
        before any work otherwise."""
        count = sum(parts)
        if count <= reading.MAX_INSTANCES:  # read when used: a test may lower it
            return True
        self.report(instances_error(f"{count:,}", loc, path, parts))
        return False

    def layer_name(self, node: yaml.Node, path: str, kind: str, key: str = "name") -> str | None:
        try:
            return text(node)
        except Bad as exc:
            self.fail(f"{key} {exc}", exc.node, path, kind)
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
