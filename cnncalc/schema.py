"""The JSON Schema (draft 2020-12) of the spec format, generated from the loader's own tables.

A kind or an option added to `loader.KINDS`, `loader.EXPECT` or `loader.TOP_LEVEL` appears here by itself; a value
parser, a layer-list option or a top-level key that has no schema below stops the generation with a message saying
what to add, rather than leaving a hole editors would take for "anything goes".

A schema sees the data YAML makes, not the text, so the loader remains the judge: JSON Schema counts `2.0` as an
integer, duplicate keys are gone before a schema looks, and what needs the shapes (groups dividing the channels, a
dense layer's 1 x 1 x n input, pool padding at most half the window) is checked when the spec is computed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import loader
from .counts import COUNT_PATTERN
from .spec import ACTIVATIONS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Fragment = dict[str, Any]
_MAX = f"{loader.MAX_INT:,}"


class MissingSchema(LookupError):
    """Something the loader reads that has no schema here: a fault in cnncalc, found by its tests."""


def ref(name: str) -> Fragment:
    return {"$ref": f"#/$defs/{name}"}


# each value parser of the loader: the name of its definition, and the definition
PARSERS: dict[Callable[..., Any], tuple[str, Fragment]] = {
    loader.integer: (
        "positive_integer",
        {
            "description": f"An integer from 1 to {_MAX}, written in decimal.",
            "type": "integer",
            "minimum": 1,
            "maximum": loader.MAX_INT,
        },
    ),
    loader.natural: (
        "natural",
        {
            "description": f"An integer from 0 to {_MAX}, written in decimal.",
            "type": "integer",
            "minimum": 0,
            "maximum": loader.MAX_INT,
        },
    ),
    loader.pair: (
        "pair",
        {
            "description": "An integer for both axes, or [height, width].",
            "anyOf": [
                ref("positive_integer"),
                {"type": "array", "items": ref("positive_integer"), "minItems": 2, "maxItems": 2},
            ],
        },
    ),
    loader.padding: (
        "padding",
        {
            "description": "`valid` (none), `same` (out = ceil(h / s)), p on every side, [ph, pw], "
            "or [top, bottom, left, right].",
            "anyOf": [
                {"enum": ["valid", "same"]},
                ref("natural"),
                {"type": "array", "items": ref("natural"), "minItems": 2, "maxItems": 2},
                {"type": "array", "items": ref("natural"), "minItems": 4, "maxItems": 4},
            ],
        },
    ),
    loader.boolean: ("boolean", {"description": "true or false.", "type": "boolean"}),
    loader.activation: (
        "activation",
        {
            "description": "One of the activation kinds, or none.",
            # the loader reads `linear` and an empty value as none too
            "enum": [*ACTIVATIONS, "none", "linear", None],
        },
    ),
    loader.rate: (
        "rate",
        {"description": "A number with 0 <= rate < 1.", "type": "number", "minimum": 0, "exclusiveMaximum": 1},
    ),
    loader.text: ("text", {"description": "Text.", "type": "string"}),
    loader.count: (
        "count",
        {
            "description": "A count: an integer, or text such as 61,706, 70k, 1.2M or 3G.",
            "anyOf": [ref("natural"), {"type": "string", "pattern": f"^{COUNT_PATTERN}$"}],
        },
    ),
    loader.volume: (
        "volume",
        {
            "description": "[h, w, c], channels last.",
            "type": "array",
            "items": ref("positive_integer"),
            "minItems": 3,
            "maxItems": 3,
        },
    ),
}

# the options the loader reads as lists of layers itself (`Option(None)`), as `_Loader.nested` reads them
LAYER_LISTS: dict[str, Fragment] = {
    "layers": ref("layers"),
    "shortcut": {"anyOf": [ref("branch"), {"type": "null"}]},
    "branches": {"type": "array", "items": ref("branch"), "minItems": 2},
}

# the README's reference, a sentence for each kind, option, top-level key and expectation
KIND_TEXT = {
    "conv": "A convolution of K filters: output floor((h + top + bottom - k) / s) + 1 per axis, K channels; "
    "params K (fh fw c / groups) + K.",
    "maxpool": "The largest value in each window, per channel; no parameters.",
    "avgpool": "The mean of each window, per channel; no parameters.",
    "globalavgpool": "The mean of each channel: output 1 x 1 x c.",
    "globalmaxpool": "The largest value of each channel: output 1 x 1 x c.",
    "flatten": "Output 1 x 1 x (h w c): a vector of n is the volume 1 x 1 x n.",
    "dense": "A fully connected layer: params units (n + 1); its input must be 1 x 1 x n (`flatten` a volume first).",
    "batchnorm": "Batch normalisation: 2c trainable and 2c non-trainable parameters.",
    "dropout": "No shape change, no parameters.",
    **{name: f"The {name} activation: no shape change, no parameters." for name in ACTIVATIONS},
    "repeat": "Its layers applied `times` times in a row.",
    "residual": "layers(x) + shortcut(x), whose shapes must be equal, then the activation.",
    "concat": "Branches applied to the same input, their outputs stacked along the channels; h and w must agree.",
}
OPTION_TEXT = {
    "filters": "The number of filters K: the output's channels.",
    "kernel": "The filter: an integer, or [fh, fw].",
    "stride": "The step between windows: an integer or [sh, sw].",
    "padding": "Zero padding: `valid` (none), `same` (out = ceil(h / s), the odd pixel at the bottom/right), "
    "p on every side, [ph, pw] or [top, bottom, left, right].",
    "dilation": "The spacing of the filter's taps: the effective kernel is d (f - 1) + 1.",
    "groups": "Must divide the input channels and the filters; c groups make a depthwise conv.",
    "bias": "Whether the layer adds a bias to each output.",
    "activation": "Applied to the output: one of the activation kinds, or none.",
    "size": "The window: an integer or [height, width].",
    "ceil": "Round the output size up (PyTorch's ceil_mode); with explicit padding only.",
    "units": "The number of outputs.",
    "rate": "The fraction of values dropped while training: 0 <= rate < 1.",
    "times": "How many times the layers are applied in a row.",
    "layers": "The layers, applied in order.",
    "shortcut": "The shortcut's layers; none or [] is the identity.",
    "branches": "Two or more lists of layers, each applied to the block's input; [] is the identity.",
}
KIND_OPTION_TEXT = {
    ("maxpool", "stride"): "The step between windows: an integer or [sh, sw]; the window size if left out.",
    ("avgpool", "stride"): "The step between windows: an integer or [sh, sw]; the window size if left out.",
    ("maxpool", "padding"): "As for conv; explicit padding at most half the window.",
    ("avgpool", "padding"): "As for conv; explicit padding at most half the window.",
    ("residual", "activation"): "Applied after the add: one of the activation kinds, or none.",
    ("residual", "layers"): "The main path: the layers, applied in order.",
}
NAME_TEXT = "The layer's name, shown in the table: among the options or beside the kind, not both."
TOP_LEVEL_TEXT = {
    "name": "The network's name, shown above the table.",
    "description": "Free text about the spec.",
    "input": "The input volume [h, w, c], channels last.",
    "layers": "The layers, applied in order.",
    "expect": "What the spec must add up to, checked by `cnncalc check`; `summary` leaves it alone.",
}
EXPECT_TEXT = {
    "output": "The final volume [h, w, c].",
    "params": "The exact total of parameters, trainable and non-trainable (Keras's Total params).",
    "trainable_params": "The exact number of trainable parameters (PyTorch's count).",
    "non_trainable_params": "The exact number of non-trainable parameters (batchnorm's moving statistics).",
    "max_params": "At most this many parameters, e.g. 70k.",
    "max_macs": "At most this many multiply-accumulates, e.g. 1.2G.",
    "receptive_field": "At least this receptive field at the last layer: an integer, or [rh, rw].",
}
# the loader refuses a spec without these (`_Loader.document`), unless the command line gives the input
REQUIRED = ("input", "layers")


def value(parse: Callable[..., Any] | None, where: str) -> Fragment:
    """The schema of what `parse` reads, as a reference to its definition."""
    if parse not in PARSERS:
        name = getattr(parse, "__qualname__", repr(parse))
        raise MissingSchema(f"{where} is read by {name}, which has no schema: add it to PARSERS in cnncalc/schema.py")
    return ref(PARSERS[parse][0])


def described(fragment: Fragment, text: str | None, **more: Any) -> Fragment:
    return {**({"description": text} if text else {}), **fragment, **more}


def plain(default: Any) -> Any:
    """A record's default as the spec would write it: tuples as lists."""
    return [plain(item) for item in default] if isinstance(default, tuple) else default


def options_schema(kind: str) -> Fragment:
    """What a kind's value holds: its options and `name`, nothing else (or nothing at all, when none is required)."""
    record, options = loader.KINDS[kind]
    properties: Fragment = {"name": described(value(loader.text, "a layer's `name`"), NAME_TEXT)}
    for key, option in options.items():
        if option.parse is None:
            if key not in LAYER_LISTS:
                raise MissingSchema(
                    f"{kind} option {key!r} is a list the loader reads itself, which has no schema: "
                    "add it to LAYER_LISTS in cnncalc/schema.py"
                )
            fragment = LAYER_LISTS[key]
        else:
            fragment = value(option.parse, f"{kind} option {key!r}")
        text = KIND_OPTION_TEXT.get((kind, key), OPTION_TEXT.get(key))
        defaults = record._field_defaults
        more = {"default": plain(defaults[key])} if key in defaults and not option.required else {}
        properties[key] = described(fragment, text, **more)
    required = [key for key, option in options.items() if option.required]
    schema = described(
        {"type": "object" if required else ["object", "null"], "properties": properties, "additionalProperties": False},
        KIND_TEXT.get(kind),
    )
    return {**schema, "required": required} if required else schema


def layer_schema() -> Fragment:
    """A layer: a mapping of exactly one kind (and maybe `name`), or a kind alone where it needs no options."""
    kinds = list(loader.KINDS)
    alone = [kind for kind, (_, options) in loader.KINDS.items() if not any(o.required for o in options.values())]
    return {
        "description": "A layer: its kind and options (`conv: {filters: 8, kernel: 3}`), "
        "or a kind that needs no options alone (`flatten`).",
        "anyOf": [
            {"description": "A kind that needs no options.", "enum": alone},
            {
                "type": "object",
                "properties": {
                    "name": described(value(loader.text, "a layer's `name`"), NAME_TEXT),
                    **{kind: options_schema(kind) for kind in kinds},
                },
                "additionalProperties": False,
                # exactly one kind, and `name` beside it or among its options, not both
                "if": {"required": ["name"]},
                "then": {
                    "minProperties": 2,
                    "maxProperties": 2,
                    "additionalProperties": {"not": {"type": "object", "required": ["name"]}},
                },
                "else": {"minProperties": 1, "maxProperties": 1},
            },
        ],
    }


def generate() -> Fragment:
    """The schema of a spec file, built afresh from the loader's tables."""
    expect = {
        key: described(value(parse, f"expect {key!r}"), EXPECT_TEXT.get(key)) for key, parse in loader.EXPECT.items()
    }
    top = {
        "name": value(loader.text, "the top-level `name`"),
        "description": value(loader.text, "the top-level `description`"),
        "input": value(loader.volume, "the top-level `input`"),
        "layers": ref("layers"),
        "expect": {"type": "object", "properties": expect, "additionalProperties": False},
    }
    unknown = [key for key in loader.TOP_LEVEL if key not in top]
    if unknown:
        raise MissingSchema(
            f"the top-level key {unknown[0]!r} has no schema: add it to generate() in cnncalc/schema.py"
        )
    definitions: Fragment = {name: fragment for name, fragment in PARSERS.values()}
    definitions["layer"] = layer_schema()
    definitions["layers"] = {
        "description": "A list of layers, applied in order.",
        "type": "array",
        "items": ref("layer"),
        "minItems": 1,
    }
    definitions["branch"] = {
        "description": "A list of layers, applied in order; [] is the identity.",
        "type": "array",
        "items": ref("layer"),
    }
    return {
        "$schema": DRAFT,
        "title": "cnncalc spec (v1)",
        "description": "A convolutional network for cnncalc: the input volume and the layers applied to it in order.",
        "type": "object",
        "properties": {key: described(top[key], TOP_LEVEL_TEXT.get(key)) for key in loader.TOP_LEVEL},
        "required": [key for key in REQUIRED if key in loader.TOP_LEVEL],
        "additionalProperties": False,
        "$defs": definitions,
    }


def schema_text() -> str:
    """The schema as `cnncalc schema` prints it and cnncalc/spec.schema.json holds it."""
    return json.dumps(generate(), indent=2) + "\n"
