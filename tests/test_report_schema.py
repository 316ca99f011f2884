"""The JSON Schema of summary's JSON documents: generated, shipped, and met by every document cnncalc prints."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from cnncalc.cli import cli
from cnncalc.kinds import KINDS
from cnncalc.report import SCHEMA_VERSION
from cnncalc.report_schema import generate, schema_text

SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.yaml"))
REGENERATE = "cnncalc schema report > cnncalc/report.schema.json"
VALIDATOR = Draft202012Validator(generate())


def summary_json(*args: str) -> dict[str, Any]:
    done = CliRunner().invoke(cli, ["summary", *args, "--format", "json"])
    assert done.exit_code == 0, done.output
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def problems(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(generate())


def test_the_shipped_file_is_the_generated_schema() -> None:
    shipped = files("cnncalc").joinpath("report.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), f"cnncalc/report.schema.json is out of date: regenerate it with `{REGENERATE}`"


def test_cnncalc_schema_report_prints_it_and_the_spec_schema_stays_the_default() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["schema", "report"]).stdout == schema_text()
    assert json.loads(runner.invoke(cli, ["schema"]).stdout)["title"].startswith("cnncalc spec")
    wrong = runner.invoke(cli, ["schema", "reports"])
    assert wrong.exit_code == 2
    assert "'spec'" in wrong.output and "'report'" in wrong.output


def test_the_schema_pins_the_version_and_says_what_it_changed() -> None:
    version = generate()["properties"]["schema_version"]
    assert version["const"] == SCHEMA_VERSION == 2
    assert "fraction" in version["description"]
    assert problems({**summary_json("specs/lenet5.yaml"), "schema_version": 1})


@pytest.mark.parametrize("spec", SPECS, ids=lambda path: path.stem)
@pytest.mark.parametrize("options", [(), ("--depth", "0"), ("--explain",)], ids=["rows", "folded", "explained"])
def test_every_shipped_spec_s_document_meets_the_schema(spec: Path, options: tuple[str, ...]) -> None:
    assert problems(summary_json(str(spec), *options)) == []


def test_a_fractional_jump_is_a_string_in_lowest_terms_and_meets_the_schema() -> None:
    document = summary_json("specs/dcgan.yaml")
    assert document["totals"]["jump"] == ["1/16", "1/16"]
    assert problems(document) == []
    assert problems({**document, "totals": {**document["totals"], "jump": [0.0625, 0.0625]}})


def test_a_sliding_classifier_meets_the_schema(tmp_path: Path) -> None:
    converted = tmp_path / "vgg16-conv.yaml"
    done = CliRunner().invoke(cli, ["convert", "specs/vgg16.yaml", "--to", "conv", "-o", str(converted)])
    assert done.exit_code == 0, done.output
    document = summary_json(str(converted), "--input", "384x384x3")
    assert document["sliding"]["positions"] == [6, 6]
    assert problems(document) == []


def test_the_schema_names_every_key_and_refuses_others() -> None:
    document = summary_json("specs/resnet18.yaml")
    row = document["layers"][0]
    assert problems({**document, "layers": [{**row, "receptive_fields": [7, 7]}]})
    assert problems({**document, "extra": 1})
    assert problems({**document, "totals": {**document["totals"], "latency": 1}})


def test_every_block_kind_s_own_keys_are_in_the_row_schema() -> None:
    row = generate()["$defs"]["layer"]["properties"]
    for kind in KINDS.values():
        assert {option.name for option in kind.lists} <= set(row), kind.name
        if kind.repeated_by:
            assert kind.repeated_by in row
