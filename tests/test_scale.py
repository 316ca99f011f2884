"""Big networks: a repeat computed in one step once its repetitions settle, reports folded past MAX_ROWS rows,
and JSON laid out a row per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.engine import MAX_ROWS, Report, analyse, fitting_depth, row_count, walk
from cnncalc.loader import load
from cnncalc.pipeline import SPEC_SUFFIXES
from cnncalc.render import laid_out_json

SPECS = sorted(
    path for path in Path(__file__).parent.parent.joinpath("specs").iterdir() if path.suffix in SPEC_SUFFIXES
)

# bodies of a repeat: some settle after a repetition or two, some never do (the map or the jump keeps changing),
# one warns in every repetition, one grows its field past what cnncalc computes
BODIES = {
    "relu": "[relu]",
    "same-conv": "[{conv: {filters: 8, kernel: 3, padding: same}}]",
    "conv-bn-relu": "[{conv: {filters: 8, kernel: 3, padding: 1, bias: false}}, batchnorm, relu]",
    "dilated": "[{conv: {filters: 4, kernel: 3, dilation: 2, padding: 2}}]",
    "residual": "[{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: 1}}], activation: relu}}]",
    "misaligned-residual": "[{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: [0, 2, 0, 2]}}]}}]",
    "growing-concat": "[{concat: {branches: [[], [{conv: {filters: 1, kernel: 1}}]]}}]",
    "halving": "[{maxpool: {size: 2, ceil: true}}]",
    "global-then-dense": "[globalavgpool, flatten, {dense: {units: 4}}]",
}


def spec_text(body: str, times: int) -> str:
    head = "input: [6, 6, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n"
    return head + f"  - repeat: {{times: {times}, layers: {body}}}\n"


def outcome(text: str, depth: int | None) -> Report | list[str]:
    try:
        return analyse(load(text), depth)
    except SpecError as exc:
        return [d.format("spec.yaml") for d in exc.diagnostics]


@pytest.mark.parametrize("times", [1, 2, 3, 7, 70])
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_folded_repeat_adds_up_as_its_every_repetition_does(body: str, times: int) -> None:
    # folded (depth 0), a repeat is computed in one step once a repetition does just what the one before did;
    # unfolded, every repetition is computed: the totals, fields, warnings and errors must be the same
    folded, unfolded = outcome(spec_text(body, times), 0), outcome(spec_text(body, times), None)
    if isinstance(unfolded, list):
        assert folded == unfolded
        return
    assert isinstance(folded, Report)
    assert folded.totals == unfolded.totals
    assert folded.warnings == unfolded.warnings
    assert folded.layers[0][4:] == unfolded.layers[0][4:]
    block, whole = folded.layers[1], unfolded.layers[1]
    assert (block.output, block.params, block.macs) == (whole.output, whole.params, whole.macs)
    assert (block.receptive_field, block.jump, block.effective_padding) == (
        whole.receptive_field,
        whole.jump,
        whole.effective_padding,
    )
    assert block.covers_input == whole.covers_input


def test_a_warning_in_every_repetition_is_counted_in_all_of_them() -> None:
    net = analyse(load(spec_text(BODIES["misaligned-residual"], 300_000)), 0)
    (warning,) = net.warnings
    assert warning.message.endswith("(in 300,000 repetitions)")
    # each repetition widens the field by 2, its first output's field starting no further left
    assert net.totals.receptive_field == (1 + 2 * 300_000, 1 + 2 * 300_000)


NESTED = """input: [8, 8, 4]
layers:
  - repeat:
      times: 3
      layers:
        - repeat:
            times: 5
            layers:
              - residual: {layers: [{conv: {filters: 4, kernel: 3, padding: [0, 2, 0, 2]}}]}
"""

# between a flatten and the dense after it, a pool widens a field that the dense then sets back: the largest
# field of a repetition is not the one it ends with (2**29 is the jump the two strides leave)
PEAK_MID_REPETITION = """input: [1, 1, 1]
layers:
  - conv: {filters: 1, kernel: 1, stride: 536870912}
  - conv: {filters: 1, kernel: 1, stride: 536870912}
  - repeat:
      times: 7
      layers:
        - conv: {filters: 1, kernel: 3, padding: 1}
        - flatten
        - maxpool: {size: 3, stride: 1, padding: 1}
        - dense: {units: 1}
"""


@pytest.mark.parametrize("text", [NESTED, PEAK_MID_REPETITION], ids=["nested", "peak-mid-repetition"])
def test_folded_repeats_inside_folded_repeats_add_up_too(text: str) -> None:
    def sums(depth: int | None) -> object:
        found = outcome(text, depth)
        return found if isinstance(found, list) else (found.totals, found.warnings)

    assert sums(0) == sums(1) == sums(None)


def test_a_warning_of_a_repeat_within_a_repeat_counts_every_repetition() -> None:
    folded = outcome(NESTED, 0)
    assert isinstance(folded, Report)
    assert folded.warnings[0].message.endswith("(in 15 repetitions)")


def test_a_field_that_grows_past_what_cnncalc_computes_stops_at_its_repetition() -> None:
    text = "input: [1, 1, 1]\nlayers:\n  - repeat: {times: 100, layers: [{maxpool: {size: 2, ceil: true}}]}\n"
    assert outcome(text, 0) == outcome(text, None)
    messages = outcome(text, 0)
    assert isinstance(messages, list) and len(messages) == 1
    message = messages[0]
    assert "repetition 63 of 100" in message and "nothing can see that far" in message


@pytest.mark.parametrize("path", SPECS, ids=[path.stem for path in SPECS])
def test_row_count_is_the_rows_a_report_keeps(path: Path) -> None:
    spec = load(path.read_text())
    for depth in (None, 0, 1, 2, 3):
        assert row_count(spec.layers, depth) == len(list(walk(analyse(spec, depth).layers)))


def test_a_report_too_long_to_read_is_folded_to_the_deepest_depth_that_fits() -> None:
    spec = load(
        "input: [8, 8, 3]\nlayers:\n  - repeat: {times: 3, layers: [{repeat: {times: 4000, layers: [relu]}}]}\n"
    )
    assert row_count(spec.layers) == 1 + 3 + 3 * 4000
    assert fitting_depth(spec.layers, MAX_ROWS) == 1
    assert fitting_depth(spec.layers, 3) == 0
    assert fitting_depth(spec.layers, 12_004) is None
    flat = load("input: [8, 8, 3]\nlayers: [" + "relu, " * 20 + "relu]")
    assert fitting_depth(flat.layers, 10) is None  # nothing to fold: the table shows what it can


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def million(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 3, kernel: 1}\n  - repeat: {times: 999998, layers: [relu]}\n"
    )
    return path


def test_summary_of_a_million_rows_says_what_it_folded(million: Path) -> None:
    table = invoke("summary", str(million))
    assert table.exit_code == 0
    assert "1,000,000 rows in all (most of them here), more than 10,000: every block is folded" in table.output
    data = json.loads(invoke("summary", str(million), "--format", "json").output)
    (note,) = data["notes"]
    assert data["kept_depth"] == 0 and len(data["layers"]) == 2
    assert (note["severity"], note["code"], note["layer"], note["line"], note["column"]) == ("note", "rows", "2", 4, 5)
    asked = json.loads(invoke("summary", str(million), "--format", "json", "--depth", "0").output)
    assert asked["kept_depth"] == 0 and asked["notes"] == []
    csv = invoke("summary", str(million), "--format", "csv")
    assert csv.stdout.count("\n") == 3
    assert csv.stderr == f"{million}:4:5: note: layer 2 (repeat): {note['message']}\n"


WRITERS = {
    "export": (["export"], "to export, a module each"),
    "draw": (["draw", "-o", "-", "--depth", "1"], "to draw, a box each (--depth N folds blocks into one box)"),
}


@pytest.mark.parametrize(("command", "what"), WRITERS.values(), ids=WRITERS.keys())
def test_a_command_writing_every_row_refuses_a_million(million: Path, command: list[str], what: str) -> None:
    result = invoke(*command, str(million))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"{million}:4:5: error: layer 2 (repeat): 1,000,000 rows {what}: more than 10,000\n"


def test_convert_keeps_a_long_repeat_as_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "input: [4, 4, 2]\nlayers:\n  - repeat: {times: 12000, layers: [relu]}\n  - flatten\n  - dense: {units: 3}\n"
    )
    result = invoke("convert", str(path), "--to", "conv")
    assert result.exit_code == 0
    assert "  - repeat:\n      times: 12000\n" in result.stdout and "conv: {filters: 3, kernel: 4}" in result.stdout


def test_a_long_flat_spec_is_drawn_in_part_and_listed_whole(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("input: [8, 8, 3]\nlayers: [" + "relu, " * 10_000 + "relu]\n")
    table = invoke("summary", str(path))
    assert "... 1 more row not shown: --format csv, json or markdown lists them all" in table.stdout
    assert "folded" not in table.stdout  # there is nothing to fold
    assert len(json.loads(invoke("summary", str(path), "--format", "json").stdout)["layers"]) == 10_001
    assert invoke("draw", str(path), "-o", "-").exit_code == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_laid_out_json_reads_back_as_what_was_written(value: Any) -> None:
    assert json.loads("".join(laid_out_json(value))) == value


def test_laid_out_json_gives_each_row_a_line() -> None:
    text = invoke("summary", "specs/resnet18.yaml", "--format", "json").output
    lines = text.splitlines()
    rows = [line for line in lines if line.lstrip().startswith('{"index": ')]
    data = json.loads(text)
    assert len(rows) == sum(1 for _ in walk_dicts(data["layers"]))
    assert '  "input": [224, 224, 3],' in lines
    assert all(json.loads(row.rstrip(",")) for row in rows if not row.rstrip(",").endswith("["))


def walk_dicts(rows: list[dict[str, Any]]) -> Any:
    for row in rows:
        yield row
        yield from walk_dicts(row.get("layers", []) + row.get("shortcut", []))
        for branch in row.get("branches", []):
            yield from walk_dicts(branch)
