"""The examples that travel with the package: found by name from any directory, listed, and built into the wheel."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.commands.examples import examples as examples_command
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.loader import load_file
from cnncalc.pipeline import analyse_file, examples
from cnncalc.report import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
TINY = "name: tiny\ninput: [4, 4, 1]\nlayers: [flatten]\n"


def expected(stem: str) -> dict[str, Any]:
    """What the engine makes of specs/<stem>.yaml, read by its path."""
    spec = load_file(str(SPECS / f"{stem}.yaml"))
    totals = analyse(spec).totals
    return {
        "name": stem,
        "title": spec.name,
        "input": list(spec.input),
        "params": totals.params,
        "trainable_params": totals.trainable_params,
        "non_trainable_params": totals.non_trainable_params,
    }


def test_specs_is_a_link_to_the_examples_in_the_package() -> None:
    # one copy of each file: specs/ is where the README and the tests look, cnncalc/specs/ what the package ships
    assert SPECS.is_symlink()
    assert SPECS.resolve() == (ROOT / "cnncalc" / "specs").resolve()
    assert list(examples()) == sorted(path.stem for path in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", ["vgg16", "vgg16.yaml"])
def test_an_example_by_name_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    spec, report = analyse_file(name)
    assert (spec.name, report.totals.params) == ("VGG16", 138_357_544)


@pytest.mark.parametrize("name", ["vgg16", "vgg16.yaml"])
def test_a_file_that_exists_wins_over_an_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(TINY)
    spec, report = analyse_file(name)
    assert (spec.name, report.totals.output) == ("tiny", (1, 1, 16))


def test_a_directory_that_exists_wins_over_an_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vgg16").mkdir()
    with pytest.raises(SpecError) as caught:
        analyse_file("vgg16")
    assert [d.message for d in caught.value.diagnostics] == ["is a directory, not a spec file"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("vgg17", "no such file, nor an example of that name (`cnncalc examples` lists them)", id="name"),
        pytest.param("vgg16.yml", "no such file, nor an example of that name (`cnncalc examples` lists them)",
                     id="other-suffix"),
        pytest.param("elsewhere/vgg16.yaml", "no such file", id="a-path-is-never-an-example"),
    ],
)  # fmt: skip
def test_neither_a_file_nor_an_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        analyse_file(name)
    assert [d.message for d in caught.value.diagnostics] == [message]


def test_summary_takes_an_example_name_and_check_an_explicit_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_path = CliRunner().invoke(cli, ["summary", str(SPECS / "lenet5.yaml"), "--format", "json"])
    monkeypatch.chdir(tmp_path)
    by_name = CliRunner().invoke(cli, ["summary", "lenet5", "--format", "json"])
    assert (by_name.exit_code, by_name.stderr) == (0, "")
    assert by_name.stdout == by_path.stdout
    # a check in CI reads files: an example only where it is named as one
    checked = CliRunner().invoke(cli, ["check", "example:lenet5", "--expect-params", "61706"])
    assert (checked.exit_code, checked.stdout) == (0, "1 spec checked, 0 failed\n")
    refused = CliRunner().invoke(cli, ["check", "lenet5", "--expect-params", "61706"])
    assert (refused.exit_code, refused.stdout) == (2, "1 spec checked, 1 failed\n")
    assert refused.stderr == "lenet5: error: no such file (lenet5 is an example: check it as example:lenet5)\n"


EDITED = "name: my LeNet\ninput: [32, 32, 1]\nlayers: [flatten, {dense: {units: 3}}]\n"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
@pytest.mark.parametrize("command", [["summary"], ["rf"], ["check"], ["draw"], ["export"], ["convert", "--to", "conv"]])
def test_a_file_of_that_name_wins_over_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, command: list[str]
) -> None:
    # `cnncalc summary lenet5` beside an edited lenet5.yaml reads that file, as `lenet5.yaml` would
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"lenet5{suffix}").write_text(EDITED.replace("units: 3", "units: 0"))
    by_name = CliRunner().invoke(cli, [*command[:1], "lenet5", *command[1:]])
    by_path = CliRunner().invoke(cli, [*command[:1], f"lenet5{suffix}", *command[1:]])
    assert (by_name.exit_code, by_name.stdout, by_name.stderr) == (by_path.exit_code, by_path.stdout, by_path.stderr)
    assert by_name.exit_code == 2
    assert by_name.stderr.startswith(f"lenet5{suffix}:3:35: error: layer 2 (dense): units must be a positive integer")


@pytest.mark.parametrize(
    ("argv", "title"),
    [
        pytest.param(["summary", "lenet5"], "LeNet-5, lenet5 (bundled example): input 32 x 32 x 1", id="table"),
        pytest.param(["summary", "lenet5", "--format", "markdown"],
                     "**LeNet-5, lenet5 (bundled example)**: input 32 x 32 x 1", id="markdown"),
        pytest.param(["rf", "example:lenet5"], "LeNet-5, lenet5 (bundled example): receptive field on 32 x 32 x 1",
                     id="rf"),
    ],
)  # fmt: skip
def test_the_title_says_an_example_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], title: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, argv)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (0, title)
    (tmp_path / "lenet5.yaml").write_text(EDITED)
    beside_a_file = CliRunner().invoke(cli, argv).stdout.splitlines()[0]
    # a name alone is the file now; example:NAME is the example still
    if argv[1].startswith("example:"):
        assert beside_a_file == title
    else:
        assert beside_a_file.startswith(("my LeNet: ", "**my LeNet**: "))


def test_examples_lists_each_example_as_the_engine_computes_it() -> None:
    result = CliRunner().invoke(examples_command, [])
    assert (result.exit_code, result.stderr) == (0, "")
    heading, *lines = result.stdout.splitlines()
    assert heading.split() == ["name", "input", "params", "trainable", "title"]
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines]
    assert rows == [
        [e["name"], " x ".join(map(str, e["input"])), f"{e['params']:,}", f"{e['trainable_params']:,}", e["title"]]
        for e in map(expected, examples())
    ]
    assert ["resnet18", "224 x 224 x 3", "11,699,112", "11,689,512", "ResNet-18"] in rows  # 9,600 batchnorm statistics


def test_examples_as_json() -> None:
    result = CliRunner().invoke(examples_command, ["--format", "json"])
    assert (result.exit_code, result.stderr) == (0, "")
    listed = json.loads(result.stdout)
    assert listed == {
        "schema_version": SCHEMA_VERSION,
        "document": "examples",
        "examples": [expected(name) for name in examples()],
    }


def test_the_wheel_ships_the_examples_and_the_schema(tmp_path: Path) -> None:
    # a plain (non-editable) install gets what the wheel holds: build one from a copy of the project, offline
    source = tmp_path / "project"
    shutil.copytree(ROOT / "cnncalc", source / "cnncalc", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    done = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("cnncalc-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {f"cnncalc/specs/{path.name}" for path in SPECS.glob("*.yaml")} <= shipped
    assert "cnncalc/spec.schema.json" in shipped
    assert "cnncalc/report.schema.json" in shipped
