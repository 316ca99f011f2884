"""Named skips and merges, worked by hand: `from`, `with` (add, concat, multiply), `crop: centre`, a crop `like` an
earlier output, the names each layer can see, and the layers that lead nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.pipeline import analyse_file
from cnncalc.report import Report, walk
from cnncalc.spec import Volume

SPECS = Path(__file__).resolve().parent.parent / "specs"


def run(layers: str, volume: str = "[8, 8, 3]") -> Report:
    return analyse(load(f"input: {volume}\nlayers:\n{layers}"))


def refused(layers: str, volume: str = "[8, 8, 3]") -> list[str]:
    with pytest.raises(SpecError) as caught:
        run(layers, volume)
    return [d.message for d in caught.value.diagnostics]


def test_unet_reads_as_the_paper_draws_it() -> None:
    """Ronneberger et al. 2015: 572 x 572 x 1 to 388 x 388 x 2, 31,030,658 parameters; its field is 204, where the
    recurrence r += (k - 1) j says 200."""
    _, report = analyse_file(str(SPECS / "unet.yaml"))
    assert report.totals.output == Volume(388, 388, 2)
    assert report.totals.params == 31_030_658
    assert report.totals.receptive_field == (204, 204)
    assert report.totals.jump == (1, 1)
    assert not report.warnings  # every skip is centred on the map it joins
    skips = [row for row in report.layers if row.kind == "concat"]
    assert [row.output for row in skips] == [
        Volume(56, 56, 1024),
        Volume(104, 104, 512),
        Volume(200, 200, 256),
        Volume(392, 392, 128),
    ]


def test_from_reads_an_earlier_output() -> None:
    report = run(
        "  - conv: {filters: 4, kernel: 3, padding: same, name: a}\n"
        "  - conv: {filters: 5, kernel: 3}\n"
        "  - conv: {filters: 4, kernel: 1, from: a}\n"
        "  - add: {with: [a]}\n"
        "  - concat: {with: [input]}\n"
    )
    side = [row for row in report.layers]
    assert side[2].input == Volume(8, 8, 4)  # from a, not from the 6 x 6 before it
    assert side[2].output == Volume(8, 8, 4)
    assert report.totals.output == Volume(8, 8, 4 + 3)
    assert [d.layer for d in report.warnings] == ["2"]  # the 5 filters lead nowhere


def test_from_may_sit_beside_the_kind() -> None:
    report = run(
        "  - conv: {filters: 4, kernel: 3, name: a}\n  - relu\n  - from: input\n    conv: {filters: 2, kernel: 1}"
    )
    assert report.layers[-1].input == Volume(8, 8, 3)


def test_concat_with_joins_channels_current_first() -> None:
    report = run(
        "  - conv: {filters: 4, kernel: 1, name: a}\n  - conv: {filters: 5, kernel: 1, name: b}\n"
        "  - conv: {filters: 6, kernel: 1}\n  - concat: {with: [a, b]}"
    )
    assert report.totals.output == Volume(8, 8, 15)


def test_a_centre_crop_cuts_the_larger_input_around_its_centre() -> None:
    report = run(
        "  - conv: {filters: 4, kernel: 1, name: skip}\n  - conv: {filters: 4, kernel: 3}\n"
        "  - concat: {with: [skip], crop: centre}"
    )
    assert report.totals.output == Volume(6, 6, 8)
    assert not report.warnings  # a 3 x 3 valid conv and a 1-pixel centre cut line up


def test_shapes_that_differ_say_by_how_much_and_suggest_crop_centre() -> None:
    (message,) = refused(
        "  - conv: {filters: 4, kernel: 1, name: skip}\n  - conv: {filters: 4, kernel: 3}\n  - concat: {with: [skip]}"
    )
    assert "cannot concatenate: height and width differ" in message
    assert "larger by 2 x 2" in message and "`crop: centre`" in message


def test_a_centre_crop_does_not_pad_a_smaller_input() -> None:
    (message,) = refused(
        "  - conv: {filters: 4, kernel: 3, name: small}\n  - from: input\n    concat: {with: [small], crop: centre}"
    )
    assert "smaller than the current tensor's 8 x 8 x 3" in message


def test_add_needs_equal_shapes() -> None:
    (message,) = refused(
        "  - conv: {filters: 4, kernel: 1, name: a}\n  - conv: {filters: 5, kernel: 1}\n  - add: {with: [a]}"
    )
    assert message.startswith("cannot add: the shapes differ: the current tensor gives 8 x 8 x 5, 'a' gives 8 x 8 x 4")


def test_multiply_broadcasts_a_squeeze_and_excitation_gate() -> None:
    """The 1 x 1 x c gate of squeeze-and-excitation times the map: h x w x c."""
    report = run(
        "  - conv: {filters: 16, kernel: 3, padding: same, name: features}\n"
        "  - globalavgpool\n"
        "  - conv: {filters: 4, kernel: 1, activation: relu}\n"
        "  - conv: {filters: 16, kernel: 1, activation: sigmoid}\n"
        "  - multiply: {with: [features]}\n"
    )
    assert report.totals.output == Volume(8, 8, 16)
    assert not report.warnings


def test_multiply_refuses_what_does_not_broadcast() -> None:
    (message,) = refused(
        "  - conv: {filters: 4, kernel: 1, name: a}\n  - conv: {filters: 5, kernel: 1}\n  - multiply: {with: [a]}"
    )
    assert "cannot multiply: the shapes do not broadcast" in message


def test_add_and_multiply_take_branches_too() -> None:
    report = run(
        "  - add:\n      branches:\n        - [conv: {filters: 3, kernel: 3, padding: 1}]\n        - []\n"
        "  - multiply:\n      branches:\n        - []\n        - [globalavgpool]\n"
    )
    assert report.totals.output == Volume(8, 8, 3)
    assert report.totals.params == 3 * 3 * 3 * 3 + 3


def test_a_merge_takes_branches_or_with() -> None:
    assert (
        "concat takes `branches` or `with`, not both"
        in refused("  - conv: {filters: 3, kernel: 1, name: a}\n  - concat: {with: [a], branches: [[], []]}")[0]
    )
    assert "add needs `branches` (lists of layers) or `with`" in refused("  - add: {}")[0]


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        pytest.param(
            "  - conv: {filters: 3, kernel: 1, from: nowhere}",
            "no layer before this one is named 'nowhere'",
            id="unknown",
        ),
        pytest.param(
            "  - conv: {filters: 3, kernel: 1, name: first}\n  - conv: {filters: 3, kernel: 1, from: frist}",
            "(did you mean 'first'?)",
            id="misspelt",
        ),
        pytest.param(
            "  - conv: {filters: 3, kernel: 1, from: later}\n  - conv: {filters: 3, kernel: 1, name: later}",
            "'later' comes after this layer",
            id="later",
        ),
        pytest.param(
            "  - repeat: {times: 2, layers: [conv: {filters: 3, kernel: 1, name: inner}]}\n  - add: {with: [inner]}",
            "'inner' is inside a block (layer 1.1)",
            id="inside-a-block",
        ),
        pytest.param(
            "  - conv: {filters: 3, kernel: 1, name: twice}\n  - conv: {filters: 3, kernel: 1, name: twice}\n"
            "  - add: {with: [twice]}",
            "more than one layer before this one is named 'twice' (layers 1, 2)",
            id="ambiguous",
        ),
        pytest.param("  - conv: {filters: 3, kernel: 1, name: input}", "`input` names the network's input", id="input"),
    ],
)
def test_references_that_name_no_output_this_layer_sees(layers: str, message: str) -> None:
    assert any(message in found for found in refused(layers))


def test_a_reference_is_located_at_its_option() -> None:
    with pytest.raises(SpecError) as caught:
        run("  - conv: {filters: 3, kernel: 1,\n      from: nowhere}")
    (found,) = caught.value.diagnostics
    assert (found.loc.line, found.loc.column) == (4, 13)  # type: ignore[union-attr]


def test_a_block_sees_the_names_around_it_and_its_own_name_is_seen_after_it() -> None:
    report = run(
        "  - conv: {filters: 3, kernel: 1, name: outer}\n"
        "  - residual:\n"
        "      name: block\n"
        "      layers:\n"
        "        - conv: {filters: 3, kernel: 1}\n"
        "        - add: {with: [outer]}\n"
        "  - concat: {with: [block, outer]}\n"
    )
    assert report.totals.output == Volume(8, 8, 9)


def test_a_repeat_body_uses_its_own_names_in_every_repetition() -> None:
    body = "[{conv: {filters: 3, kernel: 3, padding: 1, name: x}}, relu, {add: {with: [x]}}]"
    report = analyse(load(f"input: [8, 8, 3]\nlayers:\n  - repeat: {{times: 1000, layers: {body}}}"), depth=0)
    assert report.totals.params == 1000 * (3 * 3 * 3 * 3 + 3)
    assert report.totals.receptive_field == (2 * 1000 + 1, 2 * 1000 + 1)


def test_a_crop_like_an_earlier_output() -> None:
    report = run("  - conv: {filters: 3, kernel: 3, name: small}\n  - from: input\n    crop: {like: small, offset: 0}")
    assert report.totals.output == Volume(6, 6, 3)
    assert report.layers[-1].fields[0].at(0) == (0, 0)


def test_layers_that_lead_nowhere_are_a_warning() -> None:
    report = run(
        "  - conv: {filters: 3, kernel: 1, name: a}\n"
        "  - conv: {filters: 3, kernel: 3}\n"
        "  - relu\n"
        "  - conv: {filters: 3, kernel: 1, from: a}\n"
    )
    (found,) = report.warnings
    assert found.code == "dead" and found.layer == "2"
    assert "never reaches the network's output" in found.message


def test_every_row_of_a_skip_network_reaches_the_output() -> None:
    _, report = analyse_file(str(SPECS / "unet.yaml"))
    assert not [d for d in report.warnings if d.code == "dead"]
    assert len(list(walk(report.layers))) == 31
