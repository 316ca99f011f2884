"""A spec written back out as YAML, in the format the loader reads: options at their defaults are left out.

Pure: records in, text out. Each layer may carry a comment (`comments`, by the layer's identity).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from .kinds import COMMON, KINDS, LISTS
from .spec import Layer, Spec

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_. -]*[A-Za-z0-9_.]|[A-Za-z_]")
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "none"}


def scalar(value: Any) -> str:
    """A value as YAML writes it: `3`, `[3, 5]`, `same`, `true`, `"no"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(scalar(item) for item in value) + "]"
    text = str(value)
    # a plain scalar only where YAML 1.1 would read it back as this very text
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML11_WORDS:
        return text
    # else double-quoted, escaped by YAML's own emitter (JSON's escapes differ: `\ud83d\ude00` is no YAML)
    return yaml.safe_dump(text, default_style='"', width=float("inf"), allow_unicode=True).removesuffix("\n")


def comment(text: str) -> str:
    """`# text`, on one line whatever the text holds (a layer's name may hold a line feed)."""
    return "# " + (text if text.isprintable() else text.encode("unicode_escape").decode("ascii"))


def _per_axis(values: tuple[int, ...]) -> Any:
    """One number where every axis has it, else one per axis."""
    return values[0] if len(set(values)) == 1 else values


def _padding(padding: Any) -> Any:
    """`same` or `valid`; p where every side has it, one per axis where both sides of each do, else every side."""
    if isinstance(padding, str):
        return padding
    if len(set(padding)) == 1:
        return padding[0]
    befores, afters = padding[::2], padding[1::2]
    return befores if befores == afters else padding


def _is_default(value: Any, default: Any) -> bool:
    """Whether a value is its option's default, a per-axis default (written for 2-D) at any rank."""
    if isinstance(value, tuple) and isinstance(default, tuple) and value and len(set(default)) == 1:
        return set(value) == {default[0]}
    return bool(value == default)


def options(layer: Layer) -> dict[str, Any]:
    """The options of a leaf layer that differ from their defaults, in the order the format lists them."""
    defaults = type(layer)._field_defaults
    found: dict[str, Any] = {}
    kind = KINDS[layer.kind]
    for option in kind.options:
        field = kind.field(option.name)
        value = getattr(layer, field)
        if field in defaults and _is_default(value, defaults[field]):
            continue
        if option.same_as and value == getattr(layer, option.same_as):
            continue  # a pool's stride defaults to its size
        if option.value == "padding":
            value = _padding(value)
        elif isinstance(value, tuple):
            value = _per_axis(value)
        found[option.name] = value
    for key, field in COMMON.items():
        if getattr(layer, field) is not None:
            found[key] = getattr(layer, field)
    return found


def write(spec: Spec, comments: Mapping[int, str] | None = None, header: str = "") -> str:
    """The spec as YAML text; `comments` maps id(layer) to the comment written after it."""
    notes = comments or {}
    lines = [comment(line) if line else "#" for line in header.splitlines()]
    if spec.name is not None:
        lines.append(f"name: {scalar(spec.name)}")
    if spec.description is not None:
        lines.append(f"description: {scalar(spec.description)}")
    lines.append(f"input: {scalar(tuple(spec.input))}")
    lines.append("layers:")
    lines += _layers(spec.layers, "  ", notes)
    if spec.expect:
        lines.append("expect:")
        lines += [
            f"  {e.key}: {scalar(tuple(e.value) if isinstance(e.value, tuple) else e.value)}" for e in spec.expect
        ]
    return "\n".join(lines) + "\n"


def _layers(layers: tuple[Layer, ...], indent: str, notes: Mapping[int, str]) -> list[str]:
    lines: list[str] = []
    for layer in layers:
        note = "  " + comment(notes[id(layer)]) if id(layer) in notes else ""
        if KINDS[layer.kind].lists:
            lines.append(f"{indent}- {layer.kind}:{note}")
            lines += _block(layer, indent + "    ", notes)
            continue
        found = options(layer)
        if not found:
            lines.append(f"{indent}- {layer.kind}{note}")
        else:
            written = ", ".join(f"{key}: {scalar(value)}" for key, value in found.items())
            lines.append(f"{indent}- {layer.kind}: {{{written}}}{note}")
    return lines


def _block(layer: Layer, inner: str, notes: Mapping[int, str]) -> list[str]:
    """A block's options, one a line: its name, then each option given or required, its layer lists in block style."""
    lines = [f"{inner}{key}: {scalar(getattr(layer, field))}" for key, field in COMMON.items()
             if getattr(layer, field) is not None]  # fmt: skip
    defaults = type(layer)._field_defaults
    kind = KINDS[layer.kind]
    for option in kind.options:
        value = getattr(layer, kind.field(option.name))
        if option.value == "branches":
            if not value:  # a merge of named outputs (`with`) holds no branches
                continue
            lines.append(f"{inner}{option.name}:")
            for branch in value:
                if not branch:
                    lines.append(f"{inner}  - []")
                    continue
                body = _layers(branch, inner + "    ", notes)
                lines.append(f"{inner}  - {body[0].lstrip()}")
                lines += body[1:]
        elif option.value in LISTS:
            if value or option.required:  # an empty shortcut is the identity, as when it is left out
                lines.append(f"{inner}{option.name}:")
                lines += _layers(value, inner + "  ", notes)
        elif option.required or value != defaults.get(kind.field(option.name)):
            lines.append(f"{inner}{option.name}: {scalar(value)}")
    return lines
