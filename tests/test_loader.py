"""The loader's bounds on size: a list or a document too large to be a spec, and the errors reported for one file.

Each is refused where it is passed, before the rest is read: 8 MiB of `[relu, relu, ...]` (the size cap
then) once took 0.9 GB and 6 s to refuse, 8 MiB of an unknown kind 47 s and 2.8 million error lines. The
bounds are lowered here so that the cases are a few lines long; `test_fuzz_hostile.py` and `test_fuzz_bugs_found.py`
run files at the real cap.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc import compose, reading
from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.loader import load
from cnncalc.reading import MAX_ERRORS


def summary_errors(tmp_path: Path, text: str) -> list[str]:
    """The stderr lines of `cnncalc summary` on `text`, which must exit 2 with nothing on stdout."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["summary", str(path)])
    assert (result.exit_code, result.stdout) == (2, ""), result.stdout + result.stderr
    assert isinstance(result.exception, SystemExit), result.exception  # not a fault that escaped
    return result.stderr.replace(str(path), "spec.yaml").splitlines()


INSTANCES = "more than the 3 cnncalc computes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("input: [8, 8, 3]\nlayers: [relu, relu, relu]\n", [], id="at-the-bound"),
        # `layers: [` is 9 characters, each `relu, ` 6: the fourth starts at 10 + 3 * 6
        pytest.param("input: [8, 8, 3]\nlayers: [relu, relu, relu, relu, relu]\n",
                     [f"spec.yaml:2:28: error: this makes at least 4 layer instances, {INSTANCES}"], id="flow"),
        pytest.param("input: [8, 8, 3]\nlayers:\n  - relu\n  - relu\n  - relu\n  - relu\n",
                     [f"spec.yaml:6:5: error: this makes at least 4 layer instances, {INSTANCES}"], id="block"),
        pytest.param("input: [8, 8, 3]\nlayers:\n  - repeat: {times: 1, layers: [relu, relu, relu, relu]}\n",
                     [f"spec.yaml:3:51: error: this makes at least 4 layer instances, {INSTANCES}"], id="in-a-repeat"),
        pytest.param("input: [8, 8, 3]\nlayers:\n  - residual: {layers: [relu], shortcut: [elu, elu, elu, elu]}\n",
                     [f"spec.yaml:3:58: error: this makes at least 4 layer instances, {INSTANCES}"],
                     id="in-a-shortcut"),
        # a branch is a list in a list, whose items are not all layers: refused as any other list
        pytest.param("input: [8, 8, 3]\nlayers:\n  - concat: {branches: [[], [elu, elu, elu, elu]]}\n",
                     ["spec.yaml:3:45: error: a list of more than 3 items: not an architecture spec"],
                     id="in-a-branch"),
        pytest.param("input: [8, 8, 3, 3]\nlayers: [relu]\n",
                     ["spec.yaml:1:18: error: a list of more than 3 items: not an architecture spec"], id="not-layers"),
    ],
)  # fmt: skip
def test_a_list_longer_than_the_instances_a_spec_may_make_is_refused_at_the_first_item_past_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    # no list of a spec has more items than layer instances: each layer is at least one
    monkeypatch.setattr(reading, "MAX_INSTANCES", 3)
    if not expected:
        assert len(load(text).layers) == 3
        return
    assert summary_errors(tmp_path, text) == expected


def test_a_document_of_more_values_than_a_spec_can_hold_is_refused_at_the_first_past_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the mapping, `input`, its list and three sizes, `layers` and its list: the third relu is the eleventh value
    monkeypatch.setattr(compose, "MAX_VALUES", 10)
    text = "input: [8, 8, 3]\nlayers: [relu, relu, relu]\n"
    assert summary_errors(tmp_path, text) == [
        "spec.yaml:2:22: error: more than 10 YAML values: not an architecture spec"
    ]
    assert len(load("input: [8, 8, 3]\nlayers: [relu, relu]\n").layers) == 2


def test_errors_past_the_cap_stop_the_reading_there(tmp_path: Path) -> None:
    # one unknown kind a line from line 3: the first MAX_ERRORS are reported, and where the next one is, a last line
    text = "input: [8, 8, 3]\nlayers:\n" + "  - a\n" * (MAX_ERRORS + 50)
    lines = summary_errors(tmp_path, text)
    assert lines[:-1] == [
        f"spec.yaml:{3 + k}:5: error: layer {k + 1}: unknown layer kind 'a'" for k in range(MAX_ERRORS)
    ]
    assert lines[-1] == f"spec.yaml:{3 + MAX_ERRORS}:5: error: more than {MAX_ERRORS} errors: stopped reading here"


def test_errors_up_to_the_cap_are_all_reported(tmp_path: Path) -> None:
    text = "input: [8, 8, 3]\nlayers:\n" + "  - a\n" * MAX_ERRORS
    lines = summary_errors(tmp_path, text)
    assert len(lines) == MAX_ERRORS
    assert lines[-1] == f"spec.yaml:{2 + MAX_ERRORS}:5: error: layer {MAX_ERRORS}: unknown layer kind 'a'"


def test_yaml_problems_past_the_cap_stop_the_reading_there(tmp_path: Path) -> None:
    text = "input: [8, 8, 3]\nlayers:\n" + "  - !x relu\n" * (MAX_ERRORS + 50)
    lines = summary_errors(tmp_path, text)
    message = "YAML tag !x is not allowed: a spec holds plain values"
    assert lines[:-1] == [f"spec.yaml:{3 + k}:5: error: {message}" for k in range(MAX_ERRORS)]
    assert lines[-1] == f"spec.yaml:{3 + MAX_ERRORS}:5: error: more than {MAX_ERRORS} errors: stopped reading here"


def test_aliases_of_a_scalar_count_one_value_each() -> None:
    # a scalar's size is not stored (a million layers would pay a dictionary entry each): it is one
    text = "input: [8, 8, 3]\nx: &a lol\ny: [" + "*a, " * 100_000 + "*a]\nlayers: [relu]\n"
    with pytest.raises(SpecError) as caught:
        load(text)
    assert [d.message for d in caught.value.diagnostics] == [
        "aliases expand to more than 100,000 values: not an architecture spec"
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("input: [8, 8, 3]\nlayers: [relu]\n", id="read"),
        pytest.param("input: [8, 8, 3]\nlayers: [relu, relu]\n", id="too-many"),
        pytest.param("input: [8, 8, 3]\nlayers: " + "[" * 300 + "]" * 300 + "\n", id="too-deep"),
        pytest.param("input: [8, 8, 3]\nlayers: [relu\n", id="syntax"),
    ],
)
def test_the_collector_is_back_on_after_composing(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    # composing turns it off: a large file is millions of objects it would walk again and again
    monkeypatch.setattr(reading, "MAX_INSTANCES", 1)
    assert gc.isenabled()
    try:
        load(text)
    except SpecError:
        pass
    assert gc.isenabled()
