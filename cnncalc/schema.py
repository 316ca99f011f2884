"""The JSON Schema (draft 2020-12) of the spec format, generated from the format's own tables.

A kind or an option added to `kinds.KINDS`, or a key to `options.EXPECT` or `loader.TOP_LEVEL`, appears here by
itself; a value, a layer list or a top-level key that has no schema below stops the generation with a message
saying what to add, rather than leaving a hole editors would take for "anything goes".

A schema sees the data YAML makes, not the text, so the loader remains the judge: JSON Schema counts `2.0` as an
integer, duplicate keys are gone before a schema looks, a list given per axis may be as long as any rank's (the
input's rank sets it), and what needs the shapes (groups dividing the channels, a
dense layer's 1 x 1 x n input, pool padding at most half the window) is checked when the spec is computed.
"""

from __future__ import annotations

import json
from typing import Any

from . import loader, options
from .counts import COUNT_PATTERN
from .kinds import COMMON, KINDS, MAX_INT
from .spec import ACTIVATIONS, CROP_MODES, GATES, UPSAMPLE_MODES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Fragment = dict[str, Any]
_MAX = f"{MAX_INT:,}"


class MissingSchema(LookupError):
    """Something the loader reads that has no schema here: a fault in cnncalc, found by its tests."""


def words(values: list[Any]) -> Fragment:
    """One of a few words, in any case as the loader reads them (`SAME` is same): the words themselves first, for
    an editor to offer."""
    texts = [value for value in values if isinstance(value, str)]
    pattern = "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in text) for text in texts)
    return {"anyOf": [{"enum": values}, {"type": "string", "pattern": f"^(?:{pattern})$"}]}


def ref(name: str) -> Fragment:
    return {"$ref": f"#/$defs/{name}"}


# each value the loader reads (`options.PARSERS`), by name: its definition
DEFINITIONS: dict[str, Fragment] = {
    "positive_integer": {
        "description": f"An integer from 1 to {_MAX}, written in decimal.",
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_INT,
    },
    "natural": {
        "description": f"An integer from 0 to {_MAX}, written in decimal.",
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_INT,
    },
    "per_axis": {
        "description": "An integer for every axis, or one per axis: [length] in 1-D, [height, width] in 2-D, "
        "[depth, height, width] in 3-D (as many as the input has spatial axes).",
        "anyOf": [
            ref("positive_integer"),
            {"type": "array", "items": ref("positive_integer"), "minItems": 1, "maxItems": 3},
        ],
    },
    "natural_per_axis": {
        "description": "An integer >= 0 for every axis, or one per axis (as many as the input has spatial axes).",
        "anyOf": [
            ref("natural"),
            {"type": "array", "items": ref("natural"), "minItems": 1, "maxItems": 3},
        ],
    },
    "padding": {
        "description": "`valid` (none), `same` (out = ceil(h / s)), p on every side, one per axis ([ph, pw]), "
        "or two per axis, before and after ([top, bottom, left, right] in 2-D, [before, after] in 1-D, six in 3-D).",
        "anyOf": [
            words(["valid", "same"]),
            ref("natural"),
            {"type": "array", "items": ref("natural"), "minItems": 1, "maxItems": 6},
        ],
    },
    "sides": {
        "description": "p on every side, one per axis ([ph, pw]), or two per axis, before and after "
        "([top, bottom, left, right] in 2-D, [before, after] in 1-D, six in 3-D).",
        "anyOf": [
            ref("natural"),
            {"type": "array", "items": ref("natural"), "minItems": 1, "maxItems": 6},
        ],
    },
    "boolean": {"description": "true or false.", "type": "boolean"},
    "activation": {
        "description": "One of the activation kinds, or none.",
        # the loader reads `linear` and an empty value as none too
        **words([*ACTIVATIONS, "none", "linear", None]),
    },
    "rate": {"description": "A number with 0 <= rate < 1.", "type": "number", "minimum": 0, "exclusiveMaximum": 1},
    "upsample_mode": {"description": "How up-sampling fills the map.", **words(list(UPSAMPLE_MODES))},
    "crop_mode": {"description": "How the larger inputs of a merge are cut.", **words(list(CROP_MODES))},
    "gate": {"description": "The function that makes a gate of values between 0 and 1.", **words(list(GATES))},
    "counts": {
        "description": "A list of channel counts, each a positive integer.",
        "type": "array",
        "items": ref("positive_integer"),
        "minItems": 1,
    },
    "names": {
        "description": "A layer's name, or a list of them.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
    },
    "text": {"description": "Text.", "type": "string"},
    "count": {
        "description": "A count: an integer, or text such as 61,706, 70k, 1.2M or 3G.",
        "anyOf": [ref("natural"), {"type": "string", "pattern": f"^{COUNT_PATTERN}$"}],
    },
    "volume": {
        "description": "[l, c], [h, w, c] or [d, h, w, c], channels last.",
        "type": "array",
        "items": ref("positive_integer"),
        "minItems": 2,
        "maxItems": 4,
    },
}

# the values that are lists of layers (`kinds.LISTS`), as `_Loader.nested` reads them
LAYER_LISTS: dict[str, Fragment] = {
    "layers": ref("layers"),
    "shortcut": {"anyOf": [ref("branch"), {"type": "null"}]},
    "branches": {"type": "array", "items": ref("branch"), "minItems": 2},
}

# the README's reference: a sentence for each kind and option is in `kinds.KINDS`; here, the rest
COMMON_TEXT = {
    "name": "The layer's name, shown in the table and read by `from` and `with`: among the options or beside the "
    "kind, not both.",
    "from": "The name of an earlier layer whose output this layer reads, instead of the previous row's (`input`: the "
    "network's input).",
}
TOP_LEVEL_TEXT = {
    "name": "The network's name, shown above the table.",
    "description": "Free text about the spec.",
    "input": "The input volume, channels last: [h, w, c]; [l, c] in 1-D (audio, text, series), [d, h, w, c] in 3-D "
    "(video, volumes). Every spatial option then takes one value per axis.",
    "layers": "The layers, applied in order.",
    "expect": "What the spec must add up to, checked by `cnncalc check`; `summary` leaves it alone.",
}
EXPECT_TEXT = {
    "output": "The final volume, [h, w, c] ([l, c] in 1-D, [d, h, w, c] in 3-D).",
    "params": "The exact total of parameters, trainable and non-trainable (Keras's Total params).",
    "trainable_params": "The exact number of trainable parameters (PyTorch's count).",
    "non_trainable_params": "The exact number of non-trainable parameters (batchnorm's moving statistics).",
    "max_params": "At most this many parameters, e.g. 70k.",
    "max_macs": "At most this many multiply-accumulates, e.g. 1.2G.",
    "receptive_field": "At least this receptive field at the last layer: an integer, or [rh, rw].",
}
# the loader refuses a spec without these (`_Loader.document`), unless the command line gives the input
REQUIRED = ("input", "layers")


def value(name: str, where: str) -> Fragment:
    """The schema of a value the loader reads, as a reference to its definition."""
    if name not in DEFINITIONS:
        raise MissingSchema(
            f"{where} takes {name!r} values, which have no schema: add it to DEFINITIONS in cnncalc/schema.py"
        )
    return ref(name)


def described(fragment: Fragment, text: str | None, **more: Any) -> Fragment:
    return {**({"description": text} if text else {}), **fragment, **more}


def plain(default: Any) -> Any:
    """A record's default as the spec would write it: tuples as lists."""
    return [plain(item) for item in default] if isinstance(default, tuple) else default


def options_schema(kind: str) -> Fragment:
    """What a kind's value holds: its options and `name`, nothing else (or nothing at all, when none is required)."""
    declared = KINDS[kind]
    properties: Fragment = {key: described(value("text", f"a layer's `{key}`"), COMMON_TEXT[key]) for key in COMMON}
    for option in declared.options:
        if option.value in LAYER_LISTS:
            fragment = LAYER_LISTS[option.value]
        else:
            fragment = value(option.value, f"{kind} option {option.name!r}")
        defaults = declared.record._field_defaults
        field = declared.field(option.name)
        more = (
            {"default": plain(defaults[field])}
            if field in defaults and not option.required and not option.same_as
            else {}
        )
        properties[option.name] = described(fragment, option.doc, **more)
    required = [option.name for option in declared.options if option.required]
    schema = described(
        {"type": "object" if required else ["object", "null"], "properties": properties, "additionalProperties": False},
        declared.doc,
    )
    return {**schema, "required": required} if required else schema


def layer_schema() -> Fragment:
    """A layer: a mapping of exactly one kind (and maybe `name`), or a kind alone where it needs no options."""
    kinds = list(KINDS)
    alone = [name for name, kind in KINDS.items() if not any(option.required for option in kind.options)]
    return {
        "description": "A layer: its kind and options (`conv: {filters: 8, kernel: 3}`), "
        "or a kind that needs no options alone (`flatten`).",
        "anyOf": [
            {"description": "A kind that needs no options.", "enum": alone},
            {
                "type": "object",
                "properties": {
                    **{key: described(value("text", f"a layer's `{key}`"), COMMON_TEXT[key]) for key in COMMON},
                    **{kind: options_schema(kind) for kind in kinds},
                },
                "additionalProperties": False,
                # exactly one kind; `name` and `from` beside it or among its options, not both
                "minProperties": 1,
                "maxProperties": 1 + len(COMMON),
                "oneOf": [{"required": [kind]} for kind in kinds],
                "allOf": [
                    {
                        "if": {"required": [key]},
                        "then": {"additionalProperties": {"not": {"type": "object", "required": [key]}}},
                    }
                    for key in COMMON
                ],
            },
        ],
    }


def generate() -> Fragment:
    """The schema of a spec file, built afresh from the loader's tables."""
    expect = {
        key: described(value(name, f"expect {key!r}"), EXPECT_TEXT.get(key)) for key, name in options.EXPECT.items()
    }
    top = {
        "name": value("text", "the top-level `name`"),
        "description": value("text", "the top-level `description`"),
        "input": value("volume", "the top-level `input`"),
        "layers": ref("layers"),
        "expect": {"type": "object", "properties": expect, "additionalProperties": False},
    }
    unknown = [key for key in loader.TOP_LEVEL if key not in top]
    if unknown:
        raise MissingSchema(
            f"the top-level key {unknown[0]!r} has no schema: add it to generate() in cnncalc/schema.py"
        )
    definitions: Fragment = dict(DEFINITIONS)
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
