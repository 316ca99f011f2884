"""The JSON Schema of cnncalc's JSON documents: generated, shipped, and met by every document cnncalc prints."""

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
    version = generate()["$defs"]["schema_version"]
    assert version["const"] == SCHEMA_VERSION == 3
    assert "`document`" in version["description"] and "fraction" in version["description"]
    assert problems({**summary_json("specs/lenet5.yaml"), "schema_version": 2})


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


# every command that prints JSON, and the document it prints: one layout, the kind of document first
DOCUMENTS = [
    pytest.param(["summary", "specs/lenet5.yaml"], "summary", id="summary"),
    pytest.param(["summary", "specs/resnet18.yaml", "--depth", "1", "--explain"], "summary", id="summary-explained"),
    pytest.param(["rf", "specs/lenet5.yaml"], "rf", id="rf"),
    pytest.param(["rf", "specs/dcgan.yaml"], "rf", id="rf-fractional-jumps"),
    pytest.param(["conv", "32x32x3", "-k", "16", "-f", "3", "-p", "same"], "query", id="conv"),
    pytest.param(["conv", "16000x1", "-k", "8", "-f", "3", "--explain"], "query", id="conv-1d-explained"),
    pytest.param(["convtranspose", "28x28x64", "-k", "32", "-f", "2", "-s", "2"], "query", id="convtranspose"),
    pytest.param(["upsample", "7x7x512", "--scale", "2", "--explain"], "query", id="upsample"),
    pytest.param(["pool", "4x4x6", "--size", "2", "--kind", "avg"], "query", id="pool"),
    pytest.param(["dense", "5x5x16", "--units", "120", "--explain"], "query", id="dense-flattened"),
    pytest.param(["pad", "32", "--kernel", "4"], "pad", id="pad"),
    pytest.param(["apply", "avgpool", "--size", "2", "--values", "1 2; 3 4"], "apply", id="apply-avgpool"),
    pytest.param(
        [
            "apply",
            "conv",
            "--values",
            "1 2; 3 4",
            "--filter",
            "1 1; 1 1",
            "--bias",
            "1/3",
            "--padding",
            "same",
            "--explain",
        ],
        "apply",
        id="apply-conv-windows",
    ),
    pytest.param(
        ["apply", "convtranspose", "--values", "1 2; 3 4", "--filter", "1 1; 1 1", "--stride", "2", "--explain"],
        "apply",
        id="apply-convtranspose-terms",
    ),
    pytest.param(
        ["apply", "upsample", "--values", "1 2; 3 4", "--scale", "2", "--mode", "bilinear", "--explain"],
        "apply",
        id="apply-upsample-terms",
    ),
    pytest.param(["examples"], "examples", id="examples"),
    pytest.param(["check", "specs/lenet5.yaml", "--target", "pytorch"], "check", id="check"),
]


@pytest.mark.parametrize(("argv", "kind"), DOCUMENTS)
def test_every_json_document_has_the_version_and_its_kind_first_and_meets_the_schema(
    argv: list[str], kind: str
) -> None:
    done = CliRunner().invoke(cli, [*argv, "--format", "json"])
    assert (done.exit_code, done.stderr) == (0, "")
    document = json.loads(done.stdout)
    assert list(document)[:2] == ["schema_version", "document"]
    assert (document["schema_version"], document["document"]) == (SCHEMA_VERSION, kind)
    # one layout: a member per line, rows under it
    assert done.stdout.startswith(f'{{\n  "schema_version": {SCHEMA_VERSION},\n  "document": "{kind}",\n')
    assert problems(document) == []


def test_the_schema_knows_every_kind_of_document_and_refuses_a_document_of_another() -> None:
    kinds = generate()["properties"]["document"]["enum"]
    assert set(kinds) == {str(param.values[1]) for param in DOCUMENTS}
    rf = json.loads(CliRunner().invoke(cli, ["rf", "specs/lenet5.yaml", "--format", "json"]).stdout)
    assert problems({**rf, "document": "summary"})
    assert problems({**rf, "document": "report"})


NAMED = "name: Réseau 日本 ✓\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 2, kernel: 3, name: café}\n"


@pytest.mark.parametrize("command", ["summary", "rf"])
def test_json_is_utf8_with_every_name_as_written(command: str) -> None:
    done = CliRunner().invoke(cli, [command, "-", "--format", "json"], input=NAMED)
    assert (done.exit_code, done.stderr) == (0, "")
    assert '"name": "Réseau 日本 ✓"' in done.stdout
    assert '"name": "café"' in done.stdout
    assert "\\u" not in done.stdout
    assert json.loads(done.stdout)["name"] == "Réseau 日本 ✓"


def test_a_lone_surrogate_in_a_name_is_written_as_json_s_escape_of_it() -> None:
    # YAML takes "\ud800" in a double-quoted string; UTF-8 cannot hold it, JSON's escape can
    spec = 'name: "a\\ud800b"\ninput: [4, 4, 1]\nlayers: [relu]\n'
    done = CliRunner().invoke(cli, ["summary", "-", "--format", "json"], input=spec)
    assert (done.exit_code, done.stderr) == (0, "")
    assert '"name": "a\\ud800b"' in done.stdout
    assert json.loads(done.stdout)["name"] == "a\ud800b"


def test_what_does_not_print_is_escaped_and_reads_back() -> None:
    # printable letters of any script stay as they are; DEL, a C1 control, a line separator, a direction override
    # and a character beyond the first plane that does not print are escaped, as json escapes C0 controls
    name = "a\x7fb\x9bc\u2028d\u202ee\U000e0001f ✓"
    spec = f"name: {json.dumps(name)}\ninput: [4, 4, 1]\nlayers: [relu]\n"
    done = CliRunner().invoke(cli, ["summary", "-", "--format", "json"], input=spec)
    assert (done.exit_code, done.stderr) == (0, "")
    assert '"name": "a\\u007fb\\u009bc\\u2028d\\u202ee\\udb40\\udc01f ✓"' in done.stdout
    assert json.loads(done.stdout)["name"] == name
