"""`cnncalc check` for CI systems: JUnit XML and JSON reports, and specs checked at another input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from cnncalc.check_report import classname
from cnncalc.cli import cli
from cnncalc.report import SCHEMA_VERSION
from cnncalc.report_schema import generate

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet5.yaml")

# 4 (3 * 3 * 3 + 1) = 112 for the conv on 8 x 8 x 3, to 6 x 6 x 4; the batchnorm 2 * 4 learned + 2 * 4 statistics
NORMED = "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - batchnorm\n"
SPECS = {
    "good.yaml": NORMED + "expect:\n  params: 128\n",
    "bad.yaml": NORMED + "expect:\n  output: [6, 6, 4]\n  params: 120\n",
    "broken.yaml": "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 0, kernel: 3}\n",
}
BAD_PARAMS = (
    "expected params 120, found 128 (+8): 120 trainable + 8 batchnorm statistics, which PyTorch keeps as buffers, "
    "not parameters: for its count, expect trainable_params: 120"
)
BROKEN = "layer 1 (conv): filters must be a positive integer, got 0"
STDERR = f"bad.yaml:7:11: error: {BAD_PARAMS}\nbroken.yaml:3:21: error: {BROKEN}\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The three specs above, written in the current folder: one that holds, one that fails, one invalid."""
    monkeypatch.chdir(tmp_path)
    for name, text in SPECS.items():
        (tmp_path / name).write_text(text)
    return list(SPECS)


JUNIT = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="cnncalc check" tests="6" failures="1" errors="1">
  <testsuite name="good.yaml" tests="2" failures="0" errors="0" skipped="0">
    <testcase name="reads and computes" classname="good" file="good.yaml" />
    <testcase name="expect params" classname="good" file="good.yaml" line="6" />
  </testsuite>
  <testsuite name="bad.yaml" tests="3" failures="1" errors="0" skipped="0">
    <testcase name="reads and computes" classname="bad" file="bad.yaml" />
    <testcase name="expect output" classname="bad" file="bad.yaml" line="6" />
    <testcase name="expect params" classname="bad" file="bad.yaml" line="7">
      <failure message="{BAD_PARAMS}" type="expect">bad.yaml:7:11: error: {BAD_PARAMS}</failure>
    </testcase>
  </testsuite>
  <testsuite name="broken.yaml" tests="1" failures="0" errors="1" skipped="0">
    <testcase name="reads and computes" classname="broken" file="broken.yaml" line="3">
      <error message="{BROKEN}" type="spec">broken.yaml:3:21: error: {BROKEN}</error>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_junit_has_a_suite_per_spec_and_a_case_per_expectation(specs: list[str]) -> None:
    # an invalid spec is an error case in the report, and on standard error as ever; the worst exit code wins
    assert run(*specs, "--format", "junit") == (2, JUNIT, STDERR)
    assert run(*specs[:2], "--format", "junit")[0] == 1
    assert run(specs[0], "--format", "junit")[0] == 0


def test_junit_without_the_invalid_spec(specs: list[str]) -> None:
    code, out, _ = run(*specs[:2], "--format", "junit")
    root = ElementTree.fromstring(out)
    assert (code, root.get("tests"), root.get("failures"), root.get("errors")) == (1, "5", "1", "0")


def test_junit_cases_for_the_target_and_for_warnings_under_strict(tmp_path: Path) -> None:
    # 224 - 11 is not a multiple of 4: a warning, which fails only under --strict; stride 2 with same: not PyTorch
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [224, 224, 3]\nlayers:\n  - conv: {filters: 8, kernel: 11, stride: 4}\n"
        "  - conv: {filters: 8, kernel: 3, stride: 2, padding: same}\n"
    )
    code, out, _ = run(str(path), "--format", "junit", "--target", "pytorch")
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert (code, list(cases)) == (1, ["reads and computes", "target pytorch"])
    failure = cases["target pytorch"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "layer 2 (conv): PyTorch: Conv2d takes padding='same' only at stride 1; pad with nn.ZeroPad2d in front"
    )
    assert cases["target pytorch"].get("line") == "4"
    warned = suite.find("system-err")  # a warning that fails nothing is shown beside the cases
    assert warned is not None and "(224 - 11) / 4 is not whole" in (warned.text or "")

    code, out, _ = run(str(path), "--format", "junit", "--strict")
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    assert code == 1
    assert [case.get("name") for case in suite.iter("testcase")] == ["reads and computes", "no warnings (--strict)"]
    assert suite.get("failures") == "1"
    assert suite.find("system-err") is None


def test_junit_escapes_what_xml_cannot_hold_as_written(tmp_path: Path) -> None:
    # markup in a file name and in a spec; a control character, which XML 1.0 cannot hold even escaped
    path = tmp_path / 'a&b<"c">.yaml'
    path.write_text('input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\nexpect:\n  "max\\x01<&>": 1\n')
    code, out, err = run(str(path), "--format", "junit")
    assert code == 2
    root = ElementTree.fromstring(out.encode("utf-8"))  # well-formed: it parses
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == str(path)
    error = suite.find("testcase/error")
    assert error is not None
    assert "unknown expectation 'max\\x01<&>'" in (error.get("message") or "")
    assert "\x01" not in out
    assert "unknown expectation" in err


@pytest.mark.parametrize(
    ("shown", "grouped"),
    [
        pytest.param("specs/vgg16.yaml", "specs.vgg16", id="a-folder-is-the-package"),
        pytest.param("net.yml", "net", id="yml"),
        pytest.param("models/resnet18.onnx", "models.resnet18", id="onnx"),
        pytest.param("/abs/path/net.yaml", "abs.path.net", id="absolute"),
        pytest.param("<stdin>", "<stdin>", id="standard-input"),
    ],
)
def test_a_spec_is_grouped_as_pytest_groups_a_module(shown: str, grouped: str) -> None:
    assert classname(shown) == grouped


def check_json(*args: str) -> tuple[int, Any, str]:
    code, out, err = run(*args, "--format", "json")
    return code, json.loads(out), err


def test_json_has_each_expectation_expected_and_found(specs: list[str]) -> None:
    code, document, err = check_json(*specs, "--max-macs", "1k")
    assert (code, err) == (2, err)
    assert {key: document[key] for key in ("schema_version", "document", "target", "strict", "checked", "failed")} == {
        "schema_version": SCHEMA_VERSION, "document": "check",
        "target": None, "strict": False, "checked": 3, "failed": 3,
    }  # fmt: skip
    jsonschema = pytest.importorskip("jsonschema")
    assert [error.message for error in jsonschema.Draft202012Validator(generate()).iter_errors(document)] == []
    good, bad, broken = document["specs"]
    assert (good["spec"], good["status"], good["input"]) == ("good.yaml", "failed", [8, 8, 3])
    macs = {
        "key": "max_macs", "expected": 1000, "found": 6 * 6 * 4 * (3 * 3 * 3), "passed": False,
        "given": "command line", "line": None, "column": None,
        "message": "layer 1 (conv): max_macs: at most 1,000 MACs, found 3,888, 3,888 of them here",
    }  # fmt: skip
    assert good["expectations"] == [
        {"key": "params", "expected": 128, "found": 128, "passed": True, "given": "spec", "line": 6, "column": 11,
         "message": None},
        macs,
    ]  # fmt: skip
    assert bad["expectations"] == [
        {"key": "output", "expected": [6, 6, 4], "found": [6, 6, 4], "passed": True, "given": "spec", "line": 6,
         "column": 11, "message": None},
        {"key": "params", "expected": 120, "found": 128, "passed": False, "given": "spec", "line": 7, "column": 11,
         "message": BAD_PARAMS},
        macs,
    ]  # fmt: skip
    assert [d["line"] for d in bad["diagnostics"]] == [3, 7]  # in file order
    assert broken == {
        "spec": "broken.yaml", "status": "invalid", "input": None, "expectations": [],
        "diagnostics": [{"severity": "error", "code": "spec", "message": "filters must be a positive integer, got 0",
                         "layer": "1", "kind": "conv", "line": 3, "column": 21}],
    }  # fmt: skip


def test_json_passes_and_keeps_names_in_utf_8(tmp_path: Path) -> None:
    path = tmp_path / "réseau.yaml"
    path.write_text(NORMED + "expect:\n  trainable_params: 120\n  receptive_field: 3\n")
    code, out, err = run(str(path), "--format", "json")
    assert (code, err) == (0, "")
    assert f'"spec": "{path}"' in out
    document = json.loads(out)
    assert (document["failed"], document["specs"][0]["status"]) == (0, "passed")
    assert [(e["key"], e["expected"], e["found"]) for e in document["specs"][0]["expectations"]] == [
        ("trainable_params", 120, 120),
        ("receptive_field", [3, 3], [3, 3]),  # one size for every axis
    ]


@pytest.mark.parametrize("output_format", ["junit", "json"])
def test_quiet_still_writes_the_report(specs: list[str], output_format: str) -> None:
    code, out, err = run(specs[0], "-q", "--format", output_format)
    assert (code, err) == (0, "")
    assert "good.yaml" in out


# -- another input ---------------------------------------------------------------------------------------------


def test_input_checks_the_spec_at_another_resolution() -> None:
    # LeNet-5's C5 sees 5 x 5 x 16 at 32 x 32; at 36 x 36, (36 - 4) / 2 = 16, (16 - 4) / 2 = 6: 6 x 6 x 16
    assert run(LENET, "--input", "32x32x1") == (0, "1 spec checked, 0 failed\n", "")
    code, out, err = run(LENET, "--input", "36x36x1")
    assert (code, out) == (1, "1 spec checked, 1 failed\n")
    assert f"{LENET}:15:11: error: expected params 61,706, found 82,826 (+21,120)\n" == err
    assert 120 * (6 * 6 * 16 + 1) - 120 * (5 * 5 * 16 + 1) == 21_120
    code, document, _ = check_json(LENET, "--input", "36x36x1", "--expect-params", "82826")
    assert (code, document["specs"][0]["input"]) == (0, [36, 36, 1])


def test_an_input_the_spec_cannot_take_is_an_invalid_spec() -> None:
    # 8 - 4 = 4, pooled to 2: C3's 5 x 5 kernel does not fit
    message = "error: layer 3 (conv): kernel 5 is larger than the padded input 2\n"
    assert run(LENET, "--input", "8x8x1") == (2, "1 spec checked, 1 failed\n", f"{LENET}:7:33: {message}")


def test_a_bad_input_volume_is_a_usage_error() -> None:
    code, out, err = run(LENET, "--input", "32x32x0")
    assert (code, out) == (2, "")
    assert "Invalid value for '--input': '32x32x0': every size must be between 1" in err
