"""The JSON Schema (draft 2020-12) of every JSON document cnncalc prints, generated beside the documents.

The block keys a row may hold (a repeat's `times`, its `layers`, a residual's `shortcut`, a merge's `branches`) come
from `kinds.KINDS`, the dtypes from `report.DTYPE_BYTES` and the version from `report.SCHEMA_VERSION`, so a new kind
or key appears here by itself; `tests/test_report_schema.py` checks every shipped spec's document against it, every
object closed to keys it does not name.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .kinds import KINDS
from .pipeline import Sliding
from .report import DTYPE_BYTES, SCHEMA_VERSION
from .schema import DRAFT, Fragment, MissingSchema, ref
from .values import MODES, OPERATIONS

NATURAL: Fragment = {"type": "integer", "minimum": 0}
POSITIVE: Fragment = {"type": "integer", "minimum": 1}
TEXT: Fragment = {"type": "string"}


def per_axis(item: Fragment, text: str) -> Fragment:
    """One value per spatial axis: [height, width] in 2-D, one in 1-D, three in 3-D."""
    return {"description": text, "type": "array", "items": item, "minItems": 1, "maxItems": 3}


def closed(properties: dict[str, Fragment], text: str, optional: tuple[str, ...] = ()) -> Fragment:
    """An object with exactly these keys (less the `optional` ones, which may be left out)."""
    return {
        "description": text,
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }


DEFINITIONS: dict[str, Fragment] = {
    "count": {"description": "An exact count: JSON integers may pass 2**53; read them as such.", **NATURAL},
    "volume": {
        "description": "[h, w, c], channels last; [l, c] in 1-D, [d, h, w, c] in 3-D.",
        "type": "array",
        "items": POSITIVE,
        "minItems": 2,
        "maxItems": 4,
    },
    "jump": {
        "description": "How far the windows move from one output to the next, in input pixels: an integer, or after "
        'up-sampling a fraction in lowest terms written as a string, "1/16" (new in schema_version 2).',
        "anyOf": [POSITIVE, {"type": "string", "pattern": "^[1-9][0-9]*/[1-9][0-9]*$"}],
    },
    "diagnostic": closed(
        {
            "severity": {"enum": ["error", "warning", "note"]},
            "code": {"description": "Stable across versions: match on it, not on the message.", **TEXT},
            "message": TEXT,
            "layer": {"description": "The row's path, or null for the whole spec.", "type": ["string", "null"]},
            "kind": {"type": ["string", "null"]},
            "line": {"description": "1-based, in the spec; null where there is no place.", "type": ["integer", "null"]},
            "column": {"type": ["integer", "null"]},
        },
        "A warning or a note, located in the spec.",
    ),
}


def layer_properties() -> tuple[dict[str, Fragment], list[str]]:
    """A row's keys, and those it may leave out."""
    properties: dict[str, Fragment] = {
        "index": {"description": "1-based, among the row's siblings.", **POSITIVE},
        "path": {
            "description": '"3"; "3.2" inside block 3, "3.s1" in its shortcut, "3.b2.1" in its second branch.',
            **TEXT,
        },
        "kind": {"enum": list(KINDS)},
        "name": {"type": ["string", "null"]},
        "config": {"description": "Its resolved options in one short phrase, as the table shows them.", **TEXT},
        "output": ref("volume"),
        "params": ref("count"),
        "trainable_params": ref("count"),
        "non_trainable_params": ref("count"),
        "macs": ref("count"),
        "flops": ref("count"),
        "receptive_field": per_axis(NATURAL, "[rh, rw]: the widest window any output sees, first pixel to last."),
        "jump": per_axis(ref("jump"), "[jh, jw]"),
        "effective_padding": per_axis(
            {"type": "integer"}, "[ph, pw]: minus the first input pixel of the first output's window."
        ),
        "local_receptive_field": per_axis(
            NATURAL,
            "[rh, rw] with the statistics of whole maps held constant (a group or instance norm's, a gate's); "
            "receptive_field where there are none.",
        ),
        "local_effective_padding": per_axis({"type": "integer"}, "[ph, pw] of the local field."),
        "padding": {
            "description": "Before and after per axis ([top, bottom, left, right] in 2-D): the zeros a windowed layer "
            "adds; null for other layers.",
            "anyOf": [{"type": "array", "items": NATURAL, "minItems": 2, "maxItems": 6}, {"type": "null"}],
        },
        "covers_input": {"description": "Whether the field is at least as large as the input.", "type": "boolean"},
        "explain": {
            "description": "With --explain: the formulas, with this row's numbers.",
            "type": "array",
            "items": TEXT,
        },
        "dense_equivalent_params": {
            "description": "A conv's parameters as a dense layer would have them.",
            **ref("count"),
        },
        "connections": {"description": "A conv's input-output connections.", **ref("count")},
    }
    optional = ["explain", "dense_equivalent_params", "connections"]
    for kind in KINDS.values():
        if kind.repeated_by:
            properties[kind.repeated_by] = {"description": f"A {kind.name}'s count.", **POSITIVE}
            optional.append(kind.repeated_by)
        for option in kind.lists:
            rows = {"type": "array", "items": ref("layer")}
            if option.value == "branches":
                rows = {"type": "array", "items": rows}
            properties.setdefault(option.name, {"description": "The block's own rows (absent where folded).", **rows})
            optional.append(option.name)
    return properties, optional


def layer_schema() -> Fragment:
    """A row: a layer's numbers, and a block's own rows unless `--depth` folded them."""
    properties, optional = layer_properties()
    return closed(properties, "A row of the table: a layer, or a block and its own rows.", tuple(optional))


def summary_schema() -> Fragment:
    """`cnncalc summary --format json`."""
    totals = {
        "params": ref("count"),
        "trainable_params": ref("count"),
        "non_trainable_params": ref("count"),
        "macs": ref("count"),
        "flops": ref("count"),
        "output": ref("volume"),
        "receptive_field": per_axis(NATURAL, "[rh, rw]"),
        "jump": per_axis(ref("jump"), "[jh, jw]"),
    }
    memory = {
        "batch": POSITIVE,
        "dtype": {"enum": list(DTYPE_BYTES)},
        "param_bytes": ref("count"),
        "activation_bytes": ref("count"),
    }
    sliding = {
        "positions": per_axis(POSITIVE, "How many positions the classifier is applied at, down and across."),
        "window": per_axis(POSITIVE, "The receptive field of each position."),
        "step": per_axis(POSITIVE, "The jump between positions."),
        "offset": per_axis({"type": "integer"}, "Where the first window starts: minus the effective padding."),
        "crop": ref("volume"),
        "macs_one_pass": ref("count"),
        "macs_per_crop": ref("count"),
        "macs_all_crops": ref("count"),
    }
    if list(sliding) != list(Sliding._fields):
        raise MissingSchema(
            "`sliding` has keys with no schema: add them to summary_schema() in cnncalc/report_schema.py"
        )
    properties: dict[str, Fragment] = {
        "name": {"type": ["string", "null"]},
        "input": ref("volume"),
        "layers": {"type": "array", "items": ref("layer")},
        "totals": closed(totals, "The whole network's counts, and its last output's field."),
        "memory": closed(memory, "Bytes of parameters, and of activations for the batch."),
        "warnings": {"type": "array", "items": ref("diagnostic")},
        "kept_depth": {
            "description": "Null: every row is here; N: blocks nested deeper than N are folded into their rows.",
            "type": ["integer", "null"],
        },
        "notes": {"type": "array", "items": ref("diagnostic")},
        "sliding": closed(sliding, "With --input larger than a classifier's own: the classifier at every position."),
    }
    return _document("summary", properties, "A network's rows, totals and memory.", ("sliding",))


def rf_schema() -> Fragment:
    """`cnncalc rf --format json`."""
    span = closed(
        {
            "start": {"description": "The first input pixel the first output sees (negative: in the padding).",
                      "type": "integer"},
            "end": {"description": "The last one.", "type": "integer"},
            "centre": {"description": "(start + end) / 2: a whole or a half.", "type": "number"},
            "padding_before": NATURAL,
            "padding_after": NATURAL,
        },
        "Where the first output's field lies along an axis.",
    )  # fmt: skip
    properties, _ = layer_properties()
    keys = ("path", "kind", "name", "receptive_field", "jump", "effective_padding", "local_receptive_field",
            "local_effective_padding")  # fmt: skip
    row = {key: properties[key] for key in keys}
    row["first_field"] = {"description": "Per axis.", "type": "array", "items": span, "minItems": 1, "maxItems": 3}
    rows = {"type": "array", "items": closed(row, "A row, a block before its own rows.")}
    return _document(
        "rf",
        {"name": {"type": ["string", "null"]}, "input": ref("volume"), "layers": rows},
        "How the receptive field grows, layer by layer.",
    )


def query_schema() -> Fragment:
    """`cnncalc conv`, `convtranspose`, `upsample`, `pool` and `dense` with `--format json`."""
    properties, optional = layer_properties()
    properties = {"input": ref("volume"), **properties, "warnings": {"type": "array", "items": ref("diagnostic")}}
    return _document(
        "query", properties, "One layer on a volume: the keys of a summary's row, with its input.", tuple(optional)
    )


def pad_schema() -> Fragment:
    """`cnncalc pad --format json`."""
    properties: dict[str, Fragment] = {
        "size": POSITIVE,
        "kernel": POSITIVE,
        "stride": POSITIVE,
        "dilation": POSITIVE,
        "output": {"description": "The output wanted: SAME's, or --output's.", **POSITIVE},
        "padding": {"description": "[before, after].", "type": "array", "items": NATURAL, "minItems": 2,
                    "maxItems": 2},
        "total": NATURAL,
    }  # fmt: skip
    return _document("pad", properties, "The padding that gives an output size.")


def apply_schema() -> Fragment:
    """`cnncalc apply --format json`."""
    value: Fragment = {
        "description": 'An exact value: an integer, or its text ("5.25", "1/3", "-inf").',
        "type": ["integer", "string"],
    }
    matrix: Fragment = {"type": "array", "items": {"type": "array", "items": value}}
    two = {"type": "array", "items": NATURAL, "minItems": 2, "maxItems": 2}
    places = {"type": "array", "items": two}
    terms = closed(
        {"inputs": places, "taps": places, "values": {"type": "array", "items": value},
         "weights": {"type": "array", "items": value}},
        "An output value's terms: the places of its input values (a transposed conv's filter taps), their values and "
        "weights.",
        ("taps",),
    )  # fmt: skip
    properties: dict[str, Fragment] = {
        "operation": {"enum": list(OPERATIONS)},
        "mode": {"enum": list(MODES)},
        "align_corners": {"type": "boolean"},
        "input_shape": two,
        "scale": {"type": "array", "items": value, "minItems": 2, "maxItems": 2},
        "size": two,
        "stride": two,
        "padding": {"description": "[top, bottom, left, right].", "type": "array", "items": NATURAL, "minItems": 4,
                    "maxItems": 4},
        "shape": two,
        "output": matrix,
        "output_padding": two,
        "dilation": two,
        "filter": matrix,
        "bias": value,
        "windows": {"description": "With --explain, pools and convs: each output value's window, row by row.",
                    "type": "array", "items": {"type": "array", "items": matrix}},
        "terms": {"description": "With --explain, convtranspose and upsample: each output value's terms.",
                  "type": "array", "items": {"type": "array", "items": terms}},
    }  # fmt: skip
    optional = ("mode", "align_corners", "scale", "size", "stride", "padding", "output_padding", "dilation", "filter",
                "bias", "windows", "terms")  # fmt: skip
    return _document("apply", properties, "An operation on a matrix of numbers, exactly.", optional)


def examples_schema() -> Fragment:
    """`cnncalc examples --format json`."""
    example = closed(
        {
            "name": TEXT,
            "title": {"type": ["string", "null"]},
            "input": ref("volume"),
            "params": ref("count"),
            "trainable_params": ref("count"),
            "non_trainable_params": ref("count"),
        },
        "An example spec that ships with cnncalc, as computed now.",
    )
    return _document("examples", {"examples": {"type": "array", "items": example}}, "The example specs.")


def check_schema() -> Fragment:
    """`cnncalc check --format json`."""
    line: Fragment = {"type": ["integer", "null"], "minimum": 1}
    expectation = closed(
        {
            "key": {"description": "The `expect:` key, or the flag's.", **TEXT},
            "expected": {"description": "The value expected: a count, or a volume or field as a list."},
            "found": {"description": "What the spec computes, in the same form; null where it does not compute."},
            "passed": {"type": "boolean"},
            "given": {"enum": ["spec", "command line"]},
            "line": line,
            "column": line,
            "message": {"description": "Why it fails; null where it holds.", "type": ["string", "null"]},
        },
        "One expectation, judged.",
    )
    spec = closed(
        {
            "spec": {"description": "The spec as given on the command line.", **TEXT},
            "status": {"enum": ["passed", "failed", "invalid"]},
            "input": {"description": "The input it was computed at; null where it was not read.",
                      "anyOf": [ref("volume"), {"type": "null"}]},
            "expectations": {"type": "array", "items": expectation},
            "diagnostics": {"type": "array", "items": ref("diagnostic")},
        },
        "A spec checked: passed, failed (an expectation or a rule) or invalid (it does not read or compute).",
    )  # fmt: skip
    properties: dict[str, Fragment] = {
        "target": {"description": "--target, or null.", "type": ["string", "null"]},
        "strict": {"description": "--strict: a warning fails the check.", "type": "boolean"},
        "checked": NATURAL,
        "failed": NATURAL,
        "specs": {"type": "array", "items": spec},
    }
    return _document("check", properties, "What `cnncalc check` found, spec by spec.")


def _document(kind: str, properties: dict[str, Fragment], text: str, optional: tuple[str, ...] = ()) -> Fragment:
    """A kind of document: the version and its kind first, then its own keys."""
    return closed({"schema_version": ref("schema_version"), "document": {"const": kind}, **properties}, text, optional)


DOCUMENTS: dict[str, Callable[[], Fragment]] = {
    "summary": summary_schema,
    "rf": rf_schema,
    "query": query_schema,
    "pad": pad_schema,
    "apply": apply_schema,
    "examples": examples_schema,
    "check": check_schema,
}


def generate() -> Fragment:
    """The schema of every JSON document cnncalc prints."""
    version = {
        "description": "3: every command's JSON is one object, `schema_version` and `document` first (2: a jump may "
        "be a fraction; 1 had integers only).",
        "const": SCHEMA_VERSION,
    }
    definitions = {**DEFINITIONS, "schema_version": version, "layer": layer_schema()}
    definitions |= {kind: make() for kind, make in DOCUMENTS.items()}
    return {
        "$schema": DRAFT,
        "title": f"cnncalc's JSON documents, every command's --format json (schema_version {SCHEMA_VERSION})",
        "description": "One object: `schema_version`, then `document`, the kind of document, then its data.",
        "type": "object",
        "properties": {
            "schema_version": ref("schema_version"),
            "document": {"description": "Which command's document this is.", "enum": list(DOCUMENTS)},
        },
        "required": ["schema_version", "document"],
        "oneOf": [ref(kind) for kind in DOCUMENTS],
        "$defs": definitions,
    }


def schema_text() -> str:
    """The schema as `cnncalc schema report` prints it and cnncalc/report.schema.json holds it."""
    return json.dumps(generate(), indent=2) + "\n"
