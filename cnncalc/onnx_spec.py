"""An imported graph's layers written as a spec: where it came from, its input, and a layer a line (a block's
lists indented under it), named where another layer reads it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .diagnostics import Diagnostic
from .onnx_import import Layer
from .spec import Volume
from .writer import comment, scalar


def written(path: str, model: Any, volume: Volume, layers: Sequence[Layer], warnings: Sequence[Diagnostic]) -> str:
    """The spec's text: where it came from, the input, and a layer a line, named and reading as the graph does."""
    producer = model.producer_name + (f" {model.producer_version}" if model.producer_version else "")
    lines = [
        comment(f"imported by `cnncalc import` from {os.path.basename(path)}"
                + (f", made by {producer}" if producer.strip() else "") + f", opset {_opset(model)}"),
        comment("each layer is named after the ONNX node it stands for; a repeat, after its last"),
    ]  # fmt: skip
    for found in warnings:
        lines.append(comment(f"warning: {found.message}"))
    name = model.graph.name if model.graph.name not in _EXPORTERS_NAMES else os.path.splitext(os.path.basename(path))[0]
    if name:
        lines.append(f"name: {scalar(name)}")
    lines.append(f"input: {scalar(tuple(volume))}")
    lines.append("layers:")
    lines += layer_lines(layers, "  ", read_by(layers))
    return "\n".join(lines) + "\n"


def read_by(layers: Sequence[Layer]) -> set[str]:
    """The names some layer reads (`from`, `with`), in blocks too: only those are written."""
    found: set[str] = set()
    for layer in layers:
        found.update(layer.merged)
        if layer.source:
            found.add(layer.source)
        found |= read_by(layer.layers) | read_by(layer.shortcut)
        for branch in layer.branches:
            found |= read_by(branch)
    return found


def layer_lines(layers: Sequence[Layer], indent: str, read_by: set[str], named: bool = True) -> list[str]:
    """The layers' lines, each named after its node (`named`: but in a repeat's body, which stands for several,
    where a name is written only for a layer another reads)."""
    lines = []
    for layer in layers:
        options = {key: value for key, value in layer.options.items() if key != "cut"}
        if named or layer.name in read_by:
            options = {"name": layer.name, **options}
        if layer.source is not None:
            options["from"] = layer.source
        if layer.merged:
            options["with"] = list(layer.merged)
        written = ", ".join(f"{key}: {_value(value)}" for key, value in options.items())
        if not (layer.layers or layer.shortcut or layer.branches):
            lines.append(f"{indent}- {layer.kind}: {{{written}}}" if written else f"{indent}- {layer.kind}")
            continue
        lines.append(f"{indent}- {layer.kind}:")
        inner = indent + "    "
        lines += [f"{inner}{key}: {_value(value)}" for key, value in options.items()]
        inside = named and layer.kind != "repeat"
        for key, held in (("layers", layer.layers), ("shortcut", layer.shortcut)):
            if held:
                lines.append(f"{inner}{key}:")
                lines += layer_lines(held, inner + "  ", read_by, inside)
        if layer.branches:
            lines.append(f"{inner}branches:")
            for branch in layer.branches:
                if not branch:
                    lines.append(f"{inner}  - []")
                    continue
                body = layer_lines(branch, inner + "    ", read_by, inside)
                lines += [f"{inner}  - {body[0].lstrip()}", *body[1:]]
    return lines


# the names exporters give every graph, which say nothing of the network
_EXPORTERS_NAMES = frozenset({"", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx"})


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return scalar(value)


def _opset(model: Any) -> int:
    return max((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), default=0)
