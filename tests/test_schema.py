"""The JSON Schema of the spec format: generated from the loader's own tables, shipped, and in step with the loader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft7Validator, Draft202012Validator

from cnncalc import loader, options
from cnncalc.commands.schema import schema as schema_command
from cnncalc.diagnostics import SpecError
from cnncalc.kinds import KINDS, Kind, Option
from cnncalc.schema import MissingSchema, generate, schema_text
from cnncalc.spec import Dropout, Flatten

SPECS = Path(__file__).resolve().parent.parent / "specs"
REGENERATE = "cnncalc schema > cnncalc/spec.schema.json"
HEAD = "input: [32, 32, 3]\nlayers:\n"


def schema_errors(text: str) -> list[str]:
    """What the schema finds wrong with a spec, read as cnncalc reads YAML (1.1)."""
    validator = Draft202012Validator(generate())
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


def loader_errors(text: str) -> list[str]:
    try:
        loader.load(text)
    except SpecError as exc:
        return [d.subject for d in exc.diagnostics]
    return []


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


# -- the schema itself ----------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = generate()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_reference_points_at_a_definition() -> None:
    schema = generate()
    assert {f"#/$defs/{name}" for name in schema["$defs"]} >= set(references(schema))
    # a block's options hold lists of layers, which hold layers: blocks nest to any depth
    assert {"#/$defs/layers", "#/$defs/branch"} <= set(references(schema["$defs"]["layer"]))
    assert (
        list(references(schema["$defs"]["layers"])) == list(references(schema["$defs"]["branch"])) == ["#/$defs/layer"]
    )


def test_the_shipped_file_is_the_generated_schema() -> None:
    shipped = files("cnncalc").joinpath("spec.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), f"cnncalc/spec.schema.json is out of date: regenerate it with `{REGENERATE}`"


def test_the_command_prints_the_schema() -> None:
    result = CliRunner().invoke(schema_command, [])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == schema_text()
    assert json.loads(result.stdout) == generate()


def test_every_kind_option_and_key_is_described() -> None:
    schema = generate()
    kinds = schema["$defs"]["layer"]["anyOf"][1]["properties"]
    undescribed = [kind for kind in KINDS if not kinds[kind].get("description")]
    undescribed += [
        f"{kind}.{key}"
        for kind in KINDS
        for key, option in kinds[kind]["properties"].items()
        if not option.get("description")
    ]
    undescribed += [key for key, value in schema["properties"].items() if not value.get("description")]
    undescribed += [
        f"expect.{key}"
        for key, value in schema["properties"]["expect"]["properties"].items()
        if not value.get("description")
    ]
    assert undescribed == []


def test_defaults_are_the_records_defaults_as_a_spec_writes_them() -> None:
    conv = generate()["$defs"]["layer"]["anyOf"][1]["properties"]["conv"]["properties"]
    assert {key: option.get("default") for key, option in conv.items()} == {
        "name": None,
        "from": None,
        "filters": None,  # required: no default
        "kernel": None,
        "stride": [1, 1],
        "padding": "valid",
        "dilation": [1, 1],
        "groups": 1,
        "bias": True,
        "activation": None,
    }


# -- one source of truth: what the loader learns, the schema knows ----------------------------------------


def test_a_new_kind_appears_in_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, "dropout2d", Kind("dropout2d", Dropout, (Option("rate", "rate"),), "Dropout."))
    upsample = Kind("upsample", Flatten, (Option("scale", "positive_integer", required=True),), "Up-sampling.")
    monkeypatch.setitem(KINDS, "upsample", upsample)
    layer = generate()["$defs"]["layer"]
    alone, mapping = layer["anyOf"]
    assert "dropout2d" in alone["enum"]  # no option is required: the kind may stand alone
    assert "upsample" not in alone["enum"]
    assert mapping["properties"]["upsample"]["required"] == ["scale"]
    assert mapping["properties"]["upsample"]["properties"]["scale"]["$ref"] == "#/$defs/positive_integer"
    text = HEAD + "  - dropout2d: {rate: 0.2}\n  - dropout2d\n"
    assert (schema_errors(text), loader_errors(text)) == ([], [])
    assert schema_errors(HEAD + "  - upsample: {scale: 2}\n") == []
    assert schema_errors(HEAD + "  - upsample: {scale: 0}\n") != []


def test_a_new_option_appears_in_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    dense = KINDS["dense"]
    monkeypatch.setitem(KINDS, "dense", dense._replace(options=(*dense.options, Option("dropout", "rate"))))
    monkeypatch.setitem(options.EXPECT, "max_activations", "count")
    schema = generate()
    dense = schema["$defs"]["layer"]["anyOf"][1]["properties"]["dense"]
    assert dense["properties"]["dropout"]["$ref"] == "#/$defs/rate"
    assert schema["properties"]["expect"]["properties"]["max_activations"]["$ref"] == "#/$defs/count"


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        pytest.param(
            "kind", ("upsample", Kind("upsample", Flatten, (Option("scale", "scale"),), "Up-sampling.")),
            "upsample option 'scale' takes 'scale' values, which have no schema: add it to DEFINITIONS",
            id="new-value",
        ),
        pytest.param(
            "expect", ("max_depth", "depth"), "expect 'max_depth' takes 'depth' values, which have no schema",
            id="new-expectation-value",
        ),
        pytest.param(
            "top", ("version", None), "the top-level key 'version' has no schema", id="new-top-level-key",
        ),
    ],
)  # fmt: skip
def test_something_read_without_a_schema_stops_the_generation(
    monkeypatch: pytest.MonkeyPatch, where: str, value: tuple[str, Any], message: str
) -> None:
    key, definition = value
    if where == "kind":
        monkeypatch.setitem(KINDS, key, definition)
    elif where == "expect":
        monkeypatch.setitem(options.EXPECT, key, definition)
    else:
        monkeypatch.setattr(loader, "TOP_LEVEL", (*loader.TOP_LEVEL, key))
    with pytest.raises(MissingSchema, match=message):
        generate()


# -- the specs, and what the schema and the loader agree on -------------------------------------------------


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_spec_in_specs_is_valid(path: Path) -> None:
    assert schema_errors(path.read_text(encoding="utf-8")) == []


VALID = [
    pytest.param("  - conv: {filters: 8, kernel: 3}\n    name: c1\n", id="name-beside-the-kind"),
    pytest.param("  - conv: {filters: 8, kernel: 3, name: c1}\n", id="name-among-the-options"),
    pytest.param("  - relu\n  - dropout\n  - flatten\n", id="kinds-alone"),
    pytest.param("  - dropout:\n  - flatten: {name: f}\n", id="no-options-or-only-a-name"),
    pytest.param("  - conv: {filters: 8, kernel: [3, 1], stride: [1, 2], dilation: 2}\n", id="pairs"),
    pytest.param("  - conv: {filters: 8, kernel: 4, padding: [1, 2, 1, 2]}\n", id="four-sides"),
    pytest.param("  - conv: {filters: 8, kernel: 3, padding: [1, 0]}\n", id="two-sides"),
    pytest.param("  - conv: {filters: 8, kernel: 3, padding: 0}\n", id="zero-padding"),
    pytest.param("  - maxpool: {size: 3, stride: 2, padding: 1, ceil: true}\n", id="pool"),
    pytest.param("  - conv: {filters: 8, kernel: 3, activation: none, bias: false}\n", id="activation-none"),
    pytest.param("  - conv:\n      filters: 8\n      kernel: 3\n      activation:\n", id="activation-empty"),
    pytest.param("  - conv: {filters: 8, kernel: 3, activation: linear}\n", id="activation-linear"),
    pytest.param("  - conv: {filters: 8, kernel: 3, padding: SAME, activation: ReLU}\n", id="words-in-any-case"),
    pytest.param("  - upsample: {scale: 2, mode: Bilinear}\n", id="mode-in-any-case"),
    pytest.param("  - dropout: {rate: 0}\n", id="rate-zero"),
    pytest.param(
        "  - residual: {layers: [{conv: {filters: 3, kernel: 1}}], shortcut: [], activation: relu}\n"
        "  - residual:\n      layers: [relu]\n      shortcut:\n",
        id="identity-shortcuts",
    ),
    pytest.param("  - concat: {branches: [[], [{conv: {filters: 8, kernel: 1}}]]}\n", id="identity-branch"),
    pytest.param(
        "  - repeat:\n      times: 2\n      layers:\n        - residual:\n            layers:\n"
        "              - conv: {filters: 3, kernel: 3, padding: same}\n              - batchnorm\n",
        id="blocks-nested",
    ),
    pytest.param(
        "  - flatten\nexpect: {output: [1, 1, 3072], params: 0, max_params: 70k, max_macs: 1.2G,\n"
        "         trainable_params: '1,000', receptive_field: [32, 24]}\n",
        id="expect",
    ),
]


@pytest.mark.parametrize("layers", VALID)
def test_valid_for_the_loader_and_the_schema(layers: str) -> None:
    text = "name: net\ndescription: a test\n" + HEAD + layers
    assert (schema_errors(text), loader_errors(text)) == ([], [])


INVALID = [
    pytest.param(HEAD + "  - convolution: {filters: 8, kernel: 3}\n", "unknown layer kind 'convolution'",
                 id="unknown-kind"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, strides: 2}\n", "unknown option 'strides'",
                 id="unknown-option"),
    pytest.param(HEAD + "  - conv: {filters: 8}\n", "conv needs `kernel`", id="missing-option"),
    pytest.param(HEAD + "  - conv\n", "conv needs `filters` and `kernel`", id="kind-alone-needs-options"),
    pytest.param(HEAD + "  - conv:\n    filters: 8\n    kernel: 3\n", "a layer has exactly one kind",
                 id="options-not-indented"),
    pytest.param(HEAD + "  - {relu: , tanh: }\n", "a layer has exactly one kind", id="two-kinds"),
    pytest.param(HEAD + "  - name: c1\n", "a layer needs a kind", id="only-a-name"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, name: a}\n    name: b\n", "`name` is given twice",
                 id="name-twice"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, name: 5}\n", "name must be a string", id="name-number"),
    pytest.param(HEAD + "  - [conv]\n", "a layer is a kind", id="layer-a-list"),
    pytest.param(HEAD + "  - conv: [8, 3]\n", "the options of conv must be a mapping", id="options-a-list"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, stride: 0}\n", "stride must be a positive integer, got 0",
                 id="stride-zero"),
    pytest.param(HEAD + "  - conv: {filters: 1e3, kernel: 3}\n", "filters must be a positive integer, got the string",
                 id="yaml-1.1-1e3-is-text"),
    pytest.param(HEAD + "  - conv: {filters: 2147483648, kernel: 3}\n", "must be at most 2,147,483,647",
                 id="past-int32"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, 3, 3, 3]}\n", "kernel must be an integer or a pair",
                 id="kernel-of-four"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: full}\n", "padding must be `same`, `valid`",
                 id="padding-word"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: [1, 1, 1, 1, 1, 1, 1]}\n",
                 "padding must be [ph, pw]", id="padding-of-seven"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: -1}\n", "padding must be `same`, `valid`",
                 id="padding-negative"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, bias: 1}\n", "bias must be true or false",
                 id="bias-an-integer"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, activation: swish}\n", "activation must be one of",
                 id="unknown-activation"),
    pytest.param(HEAD + "  - dropout: {rate: 1}\n", "rate must be a number with 0 <= rate < 1", id="rate-one"),
    pytest.param(HEAD + "  - repeat: {layers: [relu]}\n", "repeat needs `times`", id="repeat-without-times"),
    pytest.param(HEAD + "  - repeat: {times: 2, layers: [{conv: {filter: 8, kernel: 3}}]}\n", "unknown option 'filter'",
                 id="inside-a-block"),
    pytest.param(HEAD + "  - residual: {layers: []}\n", "`layers` is empty", id="residual-empty"),
    pytest.param(HEAD + "  - residual: {layers: [relu], shortcut: relu}\n", "`shortcut` must be a list of layers",
                 id="shortcut-not-a-list"),
    pytest.param(HEAD + "  - concat: {branches: [[relu]]}\n", "branches must be a list of at least 2 branches",
                 id="one-branch"),
    pytest.param("inputs: [32, 32, 3]\nlayers: [flatten]\n", "unknown top-level key 'inputs'",
                 id="unknown-top-level-key"),
    pytest.param("input: [32, 32, 3]\n", "missing `layers`", id="missing-layers"),
    pytest.param("layers: [flatten]\n", "missing `input`", id="missing-input"),
    pytest.param("input: [32]\nlayers: [flatten]\n", "`input` must be [l, c], [h, w, c]", id="input-of-one"),
    pytest.param("input: [1, 2, 3, 4, 5]\nlayers: [flatten]\n", "`input` must be [l, c], [h, w, c]",
                 id="input-of-five"),
    pytest.param("input: [0, 32, 3]\nlayers: [flatten]\n", "input h must be a positive integer", id="input-zero"),
    pytest.param("input: [32, 32, 3]\nlayers: []\n", "`layers` is empty", id="no-layers"),
    pytest.param(HEAD + "  - flatten\nexpect: {max_param: 70k}\n", "unknown expectation 'max_param'",
                 id="unknown-expectation"),
    pytest.param(HEAD + "  - flatten\nexpect: {max_params: lots}\n", "must be a count", id="count-in-words"),
    pytest.param(HEAD + "  - flatten\nexpect: [params]\n", "`expect` must be a mapping", id="expect-a-list"),
    pytest.param("- conv\n", "a spec is a mapping", id="spec-a-list"),
    pytest.param("", "empty spec", id="empty"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_for_the_loader_and_the_schema(text: str, message: str) -> None:
    assert schema_errors(text) != []
    found = loader_errors(text)
    assert any(message in subject for subject in found), found


# a list's length per axis depends on the input's rank, which a schema of each value cannot see: the loader judges
RANK_ONLY = [
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: [3, 3, 3]}\n", "kernel must be an integer or a pair",
                 id="kernel-of-three-in-2-d"),
    pytest.param(HEAD + "  - conv: {filters: 8, kernel: 3, padding: [1, 1, 1]}\n", "padding must be [ph, pw]",
                 id="padding-of-three-in-2-d"),
    pytest.param("input: [64, 3]\nlayers:\n  - conv: {filters: 8, kernel: [3, 3]}\n",
                 "kernel must be an integer or [length]", id="kernel-of-two-in-1-d"),
    pytest.param("input: [8, 32, 32, 3]\nlayers:\n  - maxpool: {size: 2, padding: [1, 1, 1, 1]}\n",
                 "padding must be [pd, ph, pw] or [front, back, top, bottom, left, right]",
                 id="padding-of-four-in-3-d"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), RANK_ONLY)
def test_lengths_per_axis_are_the_loaders_to_judge(text: str, message: str) -> None:
    assert schema_errors(text) == []
    found = loader_errors(text)
    assert any(message in subject for subject in found), found


@pytest.mark.parametrize(
    "text",
    [*(path.read_text(encoding="utf-8") for path in sorted(SPECS.glob("*.yaml"))),
     *(f"{HEAD}{case.values[0]}" for case in VALID), *(str(case.values[0]) for case in INVALID)],
)  # fmt: skip
def test_draft_7_validators_judge_alike(text: str) -> None:
    # the schema keeps to keywords draft 7 knows too, as editors still on draft 7 (yaml-language-server) read it
    data = yaml.safe_load(text)
    assert Draft7Validator(generate()).is_valid(data) == Draft202012Validator(generate()).is_valid(data)
