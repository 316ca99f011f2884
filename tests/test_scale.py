"""Big networks: a repeat computed in one step once its repetitions settle or widen the map alike, reports folded
past MAX_ROWS rows, and JSON laid out a row per line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cnncalc import fields, folding
from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.documents import laid_out_json
from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.pipeline import SPEC_SUFFIXES
from cnncalc.report import LayerResult, Report, walk
from cnncalc.rows import MAX_ROWS, fitting_depth, row_count
from cnncalc.spec import Layer, Volume
from cnncalc.steps import STEPS

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
    # statistics of the whole map in every repetition: what each brings moves on with the field
    "squeeze-excite": "[{conv: {filters: 4, kernel: 3, padding: 1}}, {squeeze_excite: {squeeze: 2}}]",
    "group-norm": "[{conv: {filters: 4, kernel: 3, padding: [2, 0, 0, 2]}}, {groupnorm: {groups: 2}}]",
    # the windows move right while the statistics of the first repetitions reach further left
    "moving-gate": "[{crop: {sides: [2, 0, 2, 0]}}, {zeropad: {padding: [0, 2, 0, 2]}}, instancenorm]",
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
    assert_adds_up(outcome(spec_text(body, times), 0), outcome(spec_text(body, times), None))


def assert_adds_up(folded: Report | list[str], unfolded: Report | list[str]) -> None:
    """The totals, fields, warnings and errors of a spec whose repeat is folded are those of every row computed."""
    if isinstance(unfolded, list):
        assert folded == unfolded
        return
    assert isinstance(folded, Report)
    assert folded.totals == unfolded.totals
    assert folded.warnings == unfolded.warnings
    assert [numbers(row) for row in folded.layers] == [numbers(row) for row in unfolded.layers]


def numbers(row: LayerResult) -> tuple[object, ...]:
    """What a row of the spec's own layers says, its rows kept or not."""
    return (
        row.output,
        row.params,
        row.macs,
        row.receptive_field,
        row.jump,
        row.effective_padding,
        row.padding,
        row.covers_input,
        row.input,
        row.field_in,
        row.local_receptive_field,
        row.local_effective_padding,
        row.whole,
    )


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


# bodies whose map grows in every repetition, never doing what the one before did: their windows all step by 1, so
# each adds the same rows and columns (`(h + p_before + p_after - k) // 1 + 1`), and a folded repeat sums the rest
# in one step once four repetitions in a row agree (the input is 6 x 6 x 4)
WIDENING = {
    "conv-1-pad-1": "[{conv: {filters: 4, kernel: 1, padding: 1}}]",  # 6, 8, 10, ...
    "residual-conv-3-pad-2": (
        "[{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: 2}}],"
        " shortcut: [{conv: {filters: 4, kernel: 1, padding: 1}}], activation: relu}}]"
    ),
    "maxpools-stride-1": (
        "[{maxpool: {size: 3, stride: 1, padding: 1}}, {maxpool: {size: 2, stride: 1, padding: 1}}, batchnorm]"
    ),
    "avgpool-ceil": "[{avgpool: {size: 2, stride: 1, padding: 1, ceil: true}}]",  # 6 + 2 - 2 + 1 = 7
    "height-only": "[{conv: {filters: 4, kernel: 1, padding: [1, 0, 0, 0]}}]",
    "wider-than-high": "[{conv: {filters: 4, kernel: [3, 1], padding: [1, 1, 0, 2]}}]",
    "concat-keeps-channels": (
        "[{concat: {branches: [[{conv: {filters: 3, kernel: 3, padding: 2}}],"
        " [{conv: {filters: 1, kernel: 1, padding: 1}}]]}}]"
    ),
    "dilated": "[{conv: {filters: 4, kernel: 3, dilation: 2, padding: 3}}]",  # 6 + 6 - 5 + 1 = 8
    "same-then-pad": "[{conv: {filters: 4, kernel: 3, padding: same}}, {conv: {filters: 4, kernel: 1, padding: 1}}]",
    "shrinks-then-grows": "[{conv: {filters: 8, kernel: 3}}, {conv: {filters: 4, kernel: 1, padding: 2}}]",
    "nested-repeat": "[{repeat: {times: 3, layers: [{conv: {filters: 4, kernel: 1, padding: [0, 1, 0, 1]}}]}}]",
    "warns-every-repetition": (
        "[{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: [1, 3, 1, 3]}}],"
        " shortcut: [{conv: {filters: 4, kernel: 1, padding: 1}}]}}]"
    ),
}

# bodies that settle, or must be computed repetition by repetition: a stride of 2 floors the map, channels that
# grow with the map grow the MACs faster than a quadratic, a shrinking map stops at the repetition whose kernel no
# longer fits, a global pool sees the whole map
NOT_WIDENING = {
    "stride-2": "[{conv: {filters: 4, kernel: 1, padding: 2, stride: 2}}]",  # 6, 5, 5, ..., the jump doubling
    "stride-2-in-height": "[{conv: {filters: 4, kernel: 1, padding: 1, stride: [2, 1]}}]",
    "channels-grow-with-the-map": (
        "[{concat: {branches: [[{conv: {filters: 1, kernel: 1, padding: 1}}],"
        " [{maxpool: {size: 2, stride: 1, padding: 1}}, {maxpool: {size: 2, stride: 1, padding: 1}}]]}}]"
    ),
    "shrinking": "[{conv: {filters: 4, kernel: 2}}]",  # 6, 5, ..., 1, then the kernel no longer fits
    "shrinking-in-width": "[{conv: {filters: 4, kernel: [1, 2], padding: [1, 0, 0, 0]}}]",
    "global-pool": "[{conv: {filters: 4, kernel: 1, padding: 1}}, globalavgpool]",
    "growing-then-dense": "[{conv: {filters: 4, kernel: 1, padding: 1}}, flatten, {dense: {units: 4}}]",
}


@pytest.fixture
def widenings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many repetitions each one-step sum of a widening map added up, in the order they were summed."""
    summed: list[int] = []
    widening = folding.Repetition.widening

    def spy(self: folding.Repetition, earlier: Sequence[folding.Repetition], times: int) -> folding.Ahead | None:
        ahead = widening(self, earlier, times)
        if ahead is not None:
            summed.append(times)
        return ahead

    monkeypatch.setattr(folding.Repetition, "widening", spy)
    return summed


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kind of every layer the engine computes, once for each time it computes it."""
    computed: list[str] = []

    def counted(rule: Any) -> Any:
        def counting(layer: Layer, volume: Volume, problem: Any) -> Any:
            computed.append(layer.kind)
            return rule(layer, volume, problem)

        return counting

    for record, rule in list(STEPS.items()):
        monkeypatch.setitem(STEPS, record, counted(rule))
    return computed


@pytest.mark.parametrize("times", [1, 2, 3, 4, 5, 6, 70])
@pytest.mark.parametrize(
    ("body", "widens"),
    [pytest.param(body, True, id=name) for name, body in WIDENING.items()]
    + [pytest.param(body, False, id=name) for name, body in NOT_WIDENING.items()],
)
def test_a_folded_repeat_whose_map_grows_adds_up_as_its_every_repetition_does(
    body: str, widens: bool, times: int, widenings: list[int]
) -> None:
    # summed in one step (quadratics for the MACs and elements), every repetition computed: the same numbers
    assert_adds_up(outcome(spec_text(body, times), 0), outcome(spec_text(body, times), None))
    if times == 70:
        # four repetitions computed in a row, the other 66 summed; or none summed, each one computed
        assert widenings == ([66] if widens else [])


@pytest.mark.parametrize(
    ("values", "times", "expected"),
    [
        pytest.param((5, 5, 5), 4, 4 * 5, id="constant"),
        pytest.param((1, 2, 3), 2, 4 + 5, id="linear"),
        pytest.param((1, 4, 9), 3, 16 + 25 + 36, id="squares"),
        pytest.param((9, 4, 1), 3, 0 + 1 + 4, id="falling-squares"),
        pytest.param((7, 8, 10), 0, 0, id="none-ahead"),
        pytest.param((0, 1, 3), 99_999, sum(k * (k + 1) // 2 for k in range(3, 100_002)), id="triangles"),
    ],
)
def test_sums_ahead_continue_the_quadratic_through_the_last_three_values(
    values: tuple[int, int, int], times: int, expected: int
) -> None:
    assert folding.sum_ahead(values, times) == expected


MILLION_WIDENING = """input: [8, 8, 3]
layers:
  - repeat:
      times: 999999
      layers:
        - conv: {filters: 3, kernel: 1, padding: 1}
"""


def test_a_million_repetitions_of_a_growing_map_are_summed_not_computed(
    tmp_path: Path, steps: list[str], widenings: list[int]
) -> None:
    net = analyse(load(MILLION_WIDENING), 0)
    assert steps == ["conv"] * 4 and widenings == [999_995]
    n = 999_999
    # repetition i maps (6 + 2i) x (6 + 2i) x 3 to (8 + 2i) x (8 + 2i) x 3, each output reading 1 * 1 * 3 inputs
    assert net.totals.output == Volume(8 + 2 * n, 8 + 2 * n, 3)
    assert net.totals.params == n * (3 * 1 * 1 * 3 + 3)
    macs = sum((8 + 2 * i) ** 2 * 3 * (1 * 1 * 3) for i in range(1, n + 1))
    assert net.totals.macs == macs == 12_000_126_000_437_999_424  # as every repetition computed gave it
    assert net.totals.activation_elements == 8 * 8 * 3 + sum((8 + 2 * i) ** 2 * 3 for i in range(1, n + 1))
    (block,) = net.layers
    assert (block.receptive_field, block.jump, block.effective_padding) == ((1, 1), (1, 1), (n, n))
    # the command folds it by itself (a million rows), and sums it the same way
    path = tmp_path / "spec.yaml"
    path.write_text(MILLION_WIDENING)
    data = json.loads(
        invoke("summary", str(path), "--format", "json").stdout
    )  # the note that it was folded is on stderr too
    assert (data["kept_depth"], data["totals"]["macs"], data["totals"]["output"]) == (0, macs, [8 + 2 * n] * 2 + [3])
    assert len(steps) == 4 + 4


def test_a_growing_map_warns_in_all_its_repetitions(widenings: list[int]) -> None:
    net = analyse(load(spec_text(WIDENING["warns-every-repetition"], 300_000)), 0)
    (warning,) = net.warnings
    assert warning.code == "rf-misaligned" and warning.message.endswith("(in 300,000 repetitions)")
    assert widenings == [300_000 - 4]
    # each repetition adds 2 rows and columns; the main path widens the field by 2 and pads it by 1
    assert net.totals.output == Volume(6 + 2 * 300_000, 6 + 2 * 300_000, 4)
    assert net.totals.receptive_field == (1 + 2 * 300_000, 1 + 2 * 300_000)


# each repetition pads the map by 2 jumps of 2**27 * 2**28 input pixels: the 64th reaches MAX_FIELD, the 65th passes
PADDING_PAST_MAX_FIELD = """input: [1, 1, 1]
layers:
  - conv: {filters: 1, kernel: 1, stride: 134217728}
  - conv: {filters: 1, kernel: 1, stride: 268435456}
  - repeat: {times: %d, layers: [{conv: {filters: 1, kernel: 1, padding: 2}}]}
"""


@pytest.mark.parametrize(("times", "widens"), [(64, True), (65, False), (100, False)])
def test_a_growing_map_whose_field_passes_max_field_stops_at_its_repetition(
    times: int, widens: bool, widenings: list[int]
) -> None:
    assert 2 * 2**27 * 2**28 * 64 == fields.MAX_FIELD
    text = PADDING_PAST_MAX_FIELD % times
    folded = outcome(text, 0)
    assert widenings == ([times - 4] if widens else [])
    assert_adds_up(folded, outcome(text, None))
    if widens:
        assert isinstance(folded, Report) and folded.layers[2].effective_padding == (fields.MAX_FIELD,) * 2
    else:
        assert isinstance(folded, list) and len(folded) == 1
        assert f"repetition 65 of {times}" in folded[0] and "nothing can see that far" in folded[0]


# each repetition of the outer repeat adds 7 * 2 - 1 rows and columns; the inner one warns in every repetition
NESTED_WIDENING = """input: [4, 4, 2]
layers:
  - repeat:
      times: 9
      layers:
        - repeat:
            times: 7
            layers:
              - residual:
                  layers: [{conv: {filters: 2, kernel: 3, padding: [1, 3, 1, 3]}}]
                  shortcut: [{conv: {filters: 2, kernel: 1, padding: 1}}]
        - maxpool: {size: 2, stride: 1}
"""


def test_a_widening_repeat_inside_a_widening_repeat_adds_up(widenings: list[int]) -> None:
    def sums(depth: int | None) -> object:
        found = outcome(NESTED_WIDENING, depth)
        assert isinstance(found, Report)
        return found.totals, found.warnings, numbers(found.layers[0])

    assert sums(0) == sums(1) == sums(None)
    # folded (depth 0): the inner repeat sums its last 3 repetitions in each of the first 4 outer ones, then the
    # outer one sums its last 5; with depth 1 the inner one sums its last 3 in all 9
    assert widenings == [3] * 4 + [5] + [3] * 9
    folded = outcome(NESTED_WIDENING, 0)
    assert isinstance(folded, Report) and folded.warnings[0].message.endswith("(in 63 repetitions)")
    assert folded.totals.output == Volume(4 + 9 * (7 * 2 - 1), 4 + 9 * (7 * 2 - 1), 2)


# layers that keep 4 channels and step by 1: some grow the map, some keep it, some shrink it
EVEN_LAYERS = [
    "relu",
    "batchnorm",
    "{conv: {filters: 4, kernel: 1, padding: 1}}",
    "{conv: {filters: 4, kernel: 3}}",
    "{conv: {filters: 4, kernel: 2, padding: [1, 0, 0, 1]}}",
    "{conv: {filters: 4, kernel: [1, 3], dilation: 2, padding: same}}",
    "{maxpool: {size: 2, stride: 1, padding: 1}}",
    "{avgpool: {size: 3, stride: 1, ceil: true}}",
    "{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: 1}}]}}",
    "{residual: {layers: [{conv: {filters: 4, kernel: 3, padding: 2}}], shortcut: [{maxpool: {size: 3, stride: 1,"
    " padding: 1}}, {conv: {filters: 4, kernel: 1, padding: 1}}]}}",
    "{concat: {branches: [[{conv: {filters: 2, kernel: 1, padding: 1}}], [{conv: {filters: 2, kernel: 3, padding:"
    " 2}}]]}}",
    "{repeat: {times: 2, layers: [{conv: {filters: 4, kernel: 1, padding: [0, 1, 1, 0]}}]}}",
    "{squeeze_excite: {squeeze: 1}}",
    "{groupnorm: {groups: 4}}",
]


@given(
    st.lists(st.sampled_from(EVEN_LAYERS), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=5),
)
def test_any_body_stepping_by_1_adds_up_folded(layers: list[str], times: int, h: int, w: int) -> None:
    head = f"input: [{h}, {w}, 4]\nlayers:\n  - conv: {{filters: 4, kernel: 1}}\n"
    text = head + f"  - repeat: {{times: {times}, layers: [{', '.join(layers)}]}}\n"
    assert_adds_up(outcome(text, 0), outcome(text, None))


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


@pytest.mark.parametrize(
    ("repeat", "folded"),
    [
        pytest.param("{times: 20000, layers: [relu]}", "every block is folded into its row", id="depth-0"),
        pytest.param(
            "{times: 20, layers: [{repeat: {times: 1000, layers: [relu]}}]}",
            "blocks nested deeper than 1 are folded into their rows",
            id="depth-1",
        ),
    ],
)
def test_the_folded_note_says_what_each_block_became(tmp_path: Path, repeat: str, folded: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(f"input: [4, 4, 1]\nlayers:\n  - repeat: {repeat}\n")
    data = json.loads(invoke("summary", str(path), "--format", "json").stdout)
    (note,) = data["notes"]
    assert note["message"].endswith(f"more than 10,000: {folded} (--depth N to choose)")


def test_summary_of_a_million_rows_says_what_it_folded(million: Path) -> None:
    table = invoke("summary", str(million))
    assert table.exit_code == 0
    assert "1,000,000 rows in all (most of them here), more than 10,000: every block is folded" in table.output
    data = json.loads(invoke("summary", str(million), "--format", "json").stdout)
    (note,) = data["notes"]
    assert data["kept_depth"] == 0 and len(data["layers"]) == 2
    assert (note["severity"], note["code"], note["layer"], note["line"], note["column"]) == ("note", "rows", "2", 4, 5)
    asked = json.loads(invoke("summary", str(million), "--format", "json", "--depth", "0").stdout)
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
