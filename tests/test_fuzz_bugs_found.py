"""The bugs the fuzzing found, each kept as a test.

Each was a strict xfail until its fix, so that the suite stayed green before and failed after it; they stay,
unmarked.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from fuzzing import (
    HEAD,
    LOCATED,
    SECONDS,
    Invocation,
    Outcome,
    console_script,
    exercise,
    limit_resources,
    run_console_script,
    run_in_process,
)

from cnncalc.diagnostics import SpecError
from cnncalc.loader import load
from cnncalc.reading import MAX_ERRORS, MAX_SPEC_BYTES

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # what a terminal acts on: C0 (but the line feed), DEL, C1


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(HEAD + '  - {conv: {filters: 1, kernel: 1}, "x\\ny": 0}\n', id="key-with-a-line-feed"),
        pytest.param(HEAD + '  - conv: {filters: !!int "8\\n9", kernel: 1}\n', id="tagged-int-with-a-line-feed"),
        pytest.param(HEAD + '  - conv: {filters: 1, kernel: !!float "\\e]0;title\\a"}\n', id="tagged-float-escape"),
        pytest.param(HEAD + '  - dropout: {rate: !!float "nan\\n"}\n', id="tagged-rate-with-a-line-feed"),
        pytest.param("input: !<tag:a%0Ab> [8, 8, 3]\nlayers: [relu]\n", id="tag-with-an-escaped-line-feed"),
    ],
)
def test_spec_text_in_messages_stays_on_its_line(tmp_path: Path, text: str) -> None:
    # one diagnostic, one line, and nothing a terminal would act on: keys and explicitly tagged values are quoted
    # where they would not print on one line (`got '8\n9'`), as plain values are (`got the string 'x\n'`)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    outcome = run_in_process(["summary", str(path)])
    assert outcome.code == 2
    for line in outcome.stderr.splitlines():
        assert re.fullmatch(rf"{re.escape(str(path))}:{LOCATED}", line), repr(outcome.stderr)
    assert not CONTROL.search(outcome.stderr), repr(outcome.stderr)


@pytest.mark.parametrize(
    "output_format",
    [
        "table",
        "csv",
        "markdown",
        "json",
    ],
)
def test_control_characters_in_names_do_not_reach_the_terminal(tmp_path: Path, output_format: str) -> None:
    # a name may hold any character; an escape sequence in it must not set the terminal's title or colours
    text = 'name: "net\\a"\n' + HEAD + '  - conv: {filters: 2, kernel: 1, name: "x\\e]0;title\\ay\\b\\rz\\x9b2J"}\n'
    outcome = exercise(tmp_path, text.encode(), Invocation(("summary", "--format", output_format)))
    assert outcome.code == 0
    assert not CONTROL.search(outcome.stdout), repr(outcome.stdout)


def test_a_line_feed_in_a_name_keeps_the_markdown_table_whole(tmp_path: Path) -> None:
    text = HEAD + '  - relu: {name: "two\\nlines"}\n  - conv: {filters: 2, kernel: 1}\n'
    outcome = exercise(tmp_path, text.encode(), Invocation(("summary", "--format", "markdown")))
    rows = [line for line in outcome.stdout.splitlines() if "|" in line or "lines" in line]
    assert all(line.startswith("| ") and line.endswith(" |") for line in rows), outcome.stdout


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("input: !!str [8, 8, 3]\nlayers: [relu]\n", id="str-list"),
        pytest.param("input: [8, 8, 3]\nlayers: !!map [relu]\n", id="map-list"),
        pytest.param(HEAD + "  - conv: !!seq {filters: 1, kernel: 1}\n", id="seq-mapping"),
        pytest.param(HEAD + "  - conv: !!int {filters: 1, kernel: 1}\n", id="int-mapping"),
    ],
)
def test_a_core_tag_on_the_wrong_kind_of_node(text: str) -> None:
    # PyYAML's own safe loader refuses these ("expected a scalar node, but found sequence"); the README refuses tags
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    with pytest.raises(SpecError):
        load(text)


@pytest.mark.parametrize(
    ("data", "place"),
    [
        pytest.param(b"input: [8, 8, 3]\rlayers:\r  - relu\r  - conv: {filters: 2, kernel: 1, name: caf\xe9}\r",
                     "4:44", id="not-utf8"),
        pytest.param(b"input: [8, 8, 3]\rlayers:\r  - relu\x00\r", "3:9", id="nul"),
    ],
)  # fmt: skip
def test_a_bad_character_after_cr(tmp_path: Path, data: bytes, place: str) -> None:
    # a file with CR line ends (classic Mac OS): YAML's own messages count CR as a line end, as editors do, and so
    # must the errors cnncalc places itself (a byte that is not UTF-8, a character YAML does not allow)
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    outcome = run_in_process(["summary", str(path)])
    assert outcome.code == 2
    assert outcome.stderr.startswith(f"{path}:{place}: error: "), outcome.stderr


@pytest.mark.parametrize("command", ["summary", "rf"])
def test_a_name_beyond_ascii_on_an_ascii_terminal(tmp_path: Path, command: str) -> None:
    # JSON, CSV and Markdown print (click replaces what the terminal cannot show); rich's table raises
    (tmp_path / "spec.yaml").write_text(HEAD + "  - conv: {filters: 2, kernel: 1, name: café}\n", encoding="utf-8")
    outcome = run_console_script([command, "spec.yaml"], tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert outcome.code == 0, outcome.stderr


def run_console_scripts(cases: list[tuple[list[str], Path]]) -> list[Outcome | str]:
    """Several runs of the console script at once, each within SECONDS and MEMORY: an outcome, or why it stopped."""
    started = [
        subprocess.Popen(
            [console_script(), *argv],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit_resources,
        )
        for argv, cwd in cases
    ]
    results: list[Outcome | str] = []
    for process, (argv, _) in zip(started, cases, strict=True):
        try:
            out, err = process.communicate(timeout=SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            results.append(f"cnncalc {' '.join(argv)}: still running after {SECONDS} s")
            continue
        results.append(Outcome(process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")))
    return results


def test_a_spec_at_the_size_limit_is_read_within_bounds(tmp_path: Path) -> None:
    # 256 KiB (the cap) of `relu, ` is 43,690 layers: a valid spec, whose table shows its first 10,000 rows; of an
    # unknown kind, 87,000 errors, of which the first 100 are told. At the cap of 8 MiB this once was, the same
    # files took 0.9 to 2.2 GB and 6 to 47 s, the second printing 2.8 million error lines
    for name, item in (("relu.yaml", "relu"), ("unknown.yaml", "a")):
        count = (MAX_SPEC_BYTES - 100) // (len(item) + 2)
        (tmp_path / name).write_text("input: [8, 8, 3]\nlayers: [" + f"{item}, " * count + f"{item}]\n")
    runs = [(["summary", "relu.yaml", "--format", output_format], tmp_path) for output_format in ("table", "json")]
    table, data, unknown = run_console_scripts([*runs, (["summary", "unknown.yaml"], tmp_path)])
    assert isinstance(table, Outcome) and table.code == 0, table
    assert "more rows not shown" in table.stdout and table.stdout.count("\n") < 10_100
    assert isinstance(data, Outcome) and data.code == 0, data
    assert len(json.loads(data.stdout)["layers"]) == (MAX_SPEC_BYTES - 100) // 6 + 1
    assert isinstance(unknown, Outcome) and unknown.code == 2 and unknown.stdout == "", unknown
    lines = unknown.stderr.splitlines()
    assert len(lines) == MAX_ERRORS + 1 and "more than 100 errors: stopped reading here" in lines[-1]


def test_the_largest_network_a_spec_may_make_is_seconds_of_work(tmp_path: Path) -> None:
    # the README: "a spec may expand to at most 1,000,000 layer instances", "and still seconds of work"; this
    # three-line spec once took 297 s and 5.9 GB for its table, 52 s and 1.4 GB for its JSON: a million rows
    (tmp_path / "spec.yaml").write_text(HEAD + "  - repeat: {times: 999999, layers: [relu]}\n")
    formats = ["table", "json", "csv", "markdown"]
    outcomes = run_console_scripts(
        [(["summary", "spec.yaml", "--format", output_format], tmp_path) for output_format in formats]
        + [(["rf", "spec.yaml"], tmp_path), (["check", "spec.yaml"], tmp_path)]
    )
    finished = [outcome for outcome in outcomes if isinstance(outcome, Outcome) and outcome.code == 0]
    assert finished == outcomes, outcomes
    table, data = finished[0], json.loads(finished[1].stdout)
    assert "1,000,000 rows in all" in table.stdout and "x999999" in table.stdout
    assert data["kept_depth"] == 0 and [row["times"] for row in data["layers"]] == [999_999]
    assert data["memory"]["activation_bytes"] == 4 * 8 * 8 * 3 * 1_000_000  # the input and 999,999 outputs
