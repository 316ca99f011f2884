"""`cnncalc draw`: one labelled box per row, with the summary's numbers; PNG where a renderer is; `rf --plot`."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cnncalc.chart import bar, rf_chart
from cnncalc.cli import cli
from cnncalc.commands import draw as draw_command
from cnncalc.draw import WIDTH, draw_svg
from cnncalc.pipeline import analyse_file
from cnncalc.report import Report, walk

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
LENET = str(SPECS / "lenet5.yaml")
RESNET18 = str(SPECS / "resnet18.yaml")
INCEPTION = str(SPECS / "googlenet_inception3a.yaml")
UNET = str(SPECS / "unet.yaml")
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """`cnncalc draw ...`, the command invoked directly: it is registered in cli.py by its own change."""
    result = CliRunner().invoke(draw_command.draw, list(args), input=input)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def report_of(spec: str, depth: int | None = None) -> Report:
    return analyse_file(spec, depth=depth)[1]


def picture(spec: str, depth: int | None = None, width: int | None = None) -> ET.Element:
    drawn = draw_svg(report_of(spec, depth)) if width is None else draw_svg(report_of(spec, depth), width=width)
    return ET.fromstring(drawn)


def row_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "layer" in g.get("class", "").split()]


def texts(group: ET.Element, role: str) -> list[str]:
    return [text.text or "" for text in group.iter(f"{SVG}text") if text.get("class") == role]


def summary_rows(spec: str, *options: str) -> Iterator[dict[str, Any]]:
    """Every row of `cnncalc summary --format json`, a block before its own, as the table lists them."""
    result = CliRunner().invoke(cli, ["summary", spec, "--format", "json", *options])
    assert result.exit_code == 0, result.stderr

    def rows(layers: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for layer in layers:
            yield layer
            yield from rows(layer.get("layers", []))
            yield from rows(layer.get("shortcut", []))
            for branch in layer.get("branches", []):
                yield from rows(branch)

    yield from rows(json.loads(result.stdout)["layers"])


def expected_rf(row: dict[str, Any], uneven: bool = False) -> str:
    """The RF label of a summary row; `uneven` (outputs that see windows of different sizes) is not in the JSON."""
    rh, rw = row["receptive_field"]
    return (
        f"RF {rh:,}" + ("" if rh == rw else f"x{rw:,}") + ("~" if uneven else "") + ("*" if row["covers_input"] else "")
    )


@pytest.mark.parametrize(
    ("spec", "depth"),
    [
        pytest.param(LENET, None, id="lenet5"),
        pytest.param(RESNET18, None, id="resnet18-every-row"),
        pytest.param(RESNET18, 1, id="resnet18-depth-1"),
        pytest.param(RESNET18, 0, id="resnet18-depth-0"),
        pytest.param(INCEPTION, None, id="inception3a-concat"),
        pytest.param(str(SPECS / "vgg16.yaml"), None, id="vgg16-repeats"),
        pytest.param(str(SPECS / "mobilenet_v2.yaml"), None, id="mobilenet_v2"),
        pytest.param(str(SPECS / "lecture-same.yaml"), None, id="lecture-same"),
        pytest.param(UNET, None, id="unet-with"),
    ],
)
def test_one_labelled_box_per_summary_row_with_its_numbers(spec: str, depth: int | None) -> None:
    options = [] if depth is None else ["--depth", str(depth)]
    rows = list(summary_rows(spec, *options))
    uneven = {row.path: row.uneven for row in walk(report_of(spec, depth).layers)}
    groups = row_groups(picture(spec, depth))
    assert sorted(str(g.get("data-path")) for g in groups) == sorted(row["path"] for row in rows)
    assert len({g.get("data-path") for g in groups}) == len(groups) == len(rows)
    by_path = {g.get("data-path"): g for g in groups}
    for row in rows:
        group = by_path[row["path"]]
        size = " x ".join(str(n) for n in row["output"])
        assert (group.get("data-kind"), group.get("data-name")) == (row["kind"], row["name"] or "")
        assert group.get("data-output") == size
        assert group.get("data-rf") == "x".join(dict.fromkeys(str(r) for r in row["receptive_field"]))
        assert texts(group, "size") == [size]
        assert texts(group, "rf") == [expected_rf(row, uneven[row["path"]])]
        name = " ".join(texts(group, "name"))
        assert name.startswith(row["kind"])
        assert row["name"] is None or row["name"] in name


def test_lenet_labels_read_as_the_summary_table() -> None:
    labels = [
        (g.get("data-path"), " ".join(texts(g, "name")), *texts(g, "size"), *texts(g, "rf"))
        for g in row_groups(picture(LENET))
    ]
    assert labels == [
        ("1", "conv C1", "28 x 28 x 6", "RF 5"),  # (32 - 5) / 1 + 1 = 28; r = 1 + (5 - 1)
        ("2", "avgpool S2", "14 x 14 x 6", "RF 6"),  # r = 5 + (2 - 1) * 1
        ("3", "conv C3", "10 x 10 x 16", "RF 14"),  # r = 6 + (5 - 1) * 2
        ("4", "avgpool S4", "5 x 5 x 16", "RF 16"),  # r = 14 + (2 - 1) * 2
        ("5", "flatten", "1 x 1 x 400", "RF 16"),  # 5 * 5 * 16
        ("6", "dense C5", "1 x 1 x 120", "RF 32*"),  # r = 16 + (5 - 1) * 4: the whole image
        ("7", "dense F6", "1 x 1 x 84", "RF 32*"),
        ("8", "dense output", "1 x 1 x 10", "RF 32*"),
    ]
    (source,) = [g for g in picture(LENET).iter(f"{SVG}g") if g.get("class") == "input volume"]
    assert (source.get("data-output"), texts(source, "size")) == ("32 x 32 x 1", ["32 x 32 x 1"])


def flow_y(group: ET.Element) -> float:
    """Where a box sits: the middle of its front face, on its lane's flow line."""
    face = group.find(f"{SVG}rect")
    assert face is not None
    return float(face.get("y", "0")) + float(face.get("height", "0")) / 2


def left(group: ET.Element) -> float:
    face = group.find(f"{SVG}rect")
    assert face is not None
    return float(face.get("x", "0"))


def test_a_residual_is_two_lanes_meeting_at_a_plus() -> None:
    groups = {g.get("data-path"): g for g in row_groups(picture(RESNET18))}
    add = groups["6"]  # layer2.0: conv, batchnorm, relu, conv, batchnorm beside a 1x1 conv and a batchnorm
    assert add.get("class") == "layer add"
    (node,) = add.iter(f"{SVG}circle")
    assert [t.text for t in add.iter(f"{SVG}text") if t.get("class") is None] == ["+"]
    node_x, node_y = float(node.get("cx", "0")), float(node.get("cy", "0"))
    main = [groups[f"6.{k}"] for k in range(1, 6)]
    short = [groups["6.s1"], groups["6.s2"]]
    assert all(flow_y(g) == pytest.approx(node_y, abs=0.1) for g in main)  # the layers on the flow line
    assert len({flow_y(g) for g in short}) == 1 and flow_y(short[0]) > node_y + 50  # the shortcut under them
    assert all(left(g) < node_x for g in main + short)
    assert left(main[0]) == left(short[0])  # the lanes part at one place
    identity = groups["7"]  # layer2.1 adds its input back: a bare line labelled identity
    assert identity.get("class") == "layer add"
    assert "identity" in [t.text for t in picture(RESNET18).iter(f"{SVG}text") if t.get("class") == "identity"]


def test_a_repeat_is_a_framed_run_of_its_rows() -> None:
    groups = {g.get("data-path"): g for g in row_groups(picture(RESNET18))}
    frame = groups["5"]
    assert (frame.get("class"), texts(frame, "name"), texts(frame, "size")) == (
        "layer repeat",
        ["repeat layer1 x2"],
        ["56 x 56 x 64"],
    )
    (border,) = frame.iter(f"{SVG}rect")
    x, width = float(border.get("x", "0")), float(border.get("width", "0"))
    inside = [g for path, g in groups.items() if path and path.startswith("5.")]
    assert len(inside) == 2 * (1 + 5)  # two residuals of five rows each
    assert all(x < left(g) < x + width for g in inside if g.find(f"{SVG}rect") is not None)


def test_folded_blocks_are_one_box_each() -> None:
    groups = row_groups(picture(RESNET18, depth=0))
    assert {g.get("class") for g in groups} == {"layer volume"}
    assert [" ".join(texts(g, "name")) for g in groups if g.get("data-path") in ("5", "6")] == [
        "repeat layer1 x2",
        "residual layer2.0",
    ]


def test_a_concat_is_parallel_lanes_meeting_at_a_concat_node() -> None:
    groups = {g.get("data-path"): g for g in row_groups(picture(INCEPTION))}
    node = groups["1"]
    assert node.get("class") == "layer concat"
    assert [t.text for t in node.iter(f"{SVG}text") if t.get("class") is None] == ["concat"]
    assert (texts(node, "size"), texts(node, "rf")) == (["28 x 28 x 256"], ["RF 5"])  # 64 + 128 + 32 + 32
    (box,) = node.iter(f"{SVG}rect")
    node_x = float(box.get("x", "0"))
    lanes = [[g for path, g in groups.items() if path and path.startswith(f"1.b{k}.")] for k in range(1, 5)]
    assert [len(lane) for lane in lanes] == [1, 2, 2, 2]
    heights = [flow_y(lane[0]) for lane in lanes]
    assert heights == sorted(set(heights))  # four lanes, one under the other, in the spec's order
    assert all({flow_y(g) for g in lane} == {flow_y(lane[0])} for lane in lanes)
    assert all(left(g) < node_x for lane in lanes for g in lane)


# -- names read: merges `with` earlier outputs, layers `from` one ---------------------------------------------


def skip_lines(root: ET.Element) -> list[ET.Element]:
    return [path for path in root.iter(f"{SVG}path") if path.get("class") == "skip"]


def corners(line: ET.Element) -> tuple[float, float, float, float, float]:
    """A skip line's `M x0,y0 V height H x1 V y1`: where it leaves, how high it runs, where it arrives."""
    match = re.fullmatch(r"M([-\d.]+),([-\d.]+) V([-\d.]+) H([-\d.]+) V([-\d.]+)", line.get("d", ""))
    assert match, line.get("d")
    x0, y0, height, x1, y1 = map(float, match.groups())
    return x0, y0, height, x1, y1


def box_top(group: ET.Element) -> float:
    """The highest point of a row's drawing: a box's receding top face, a node's top."""
    ys = [float(rect.get("y", "0")) for rect in group.iter(f"{SVG}rect")]
    ys += [float(c.get("cy", "0")) - float(c.get("r", "0")) for c in group.iter(f"{SVG}circle")]
    for polygon in group.iter(f"{SVG}polygon"):
        ys += [float(point.split(",")[1]) for point in polygon.get("points", "").split()]
    return min(ys)


def test_u_nets_four_skips_run_from_each_encoder_over_the_boxes_to_its_concat() -> None:
    root = ET.fromstring(draw_svg(report_of(UNET), width=0))  # on one row
    groups = {g.get("data-path"): g for g in row_groups(root)}
    lines = skip_lines(root)
    assert [(line.get("data-name"), line.get("data-from"), line.get("data-to")) for line in lines] == [
        ("enc4", "11", "16"),
        ("enc3", "8", "20"),
        ("enc2", "5", "24"),
        ("enc1", "2", "28"),
    ]
    heights = []
    for line in lines:
        x0, y0, height, x1, y1 = corners(line)
        source, reader = groups[line.get("data-from")], groups[line.get("data-to")]
        (node,) = reader.iter(f"{SVG}rect")  # the concat node
        assert left(source) < x0 < x1 == float(node.get("x", "0")) + float(node.get("width", "0")) / 2
        assert y0 == pytest.approx(box_top(source), abs=0.1) and y1 == float(node.get("y", "0"))
        between = [g for g in groups.values() if x0 <= left(g) <= x1]
        assert 0 < height < min(box_top(g) for g in between)  # over every box it passes, inside the picture
        heights.append(height)
    assert heights == sorted(heights, reverse=True)  # nested: the longer the line, the higher it runs
    concat = groups["16"]
    assert concat.get("class") == "layer concat"
    assert [t.text for t in concat.iter(f"{SVG}text") if t.get("class") is None] == ["concat"]
    assert texts(concat, "with") == ["with enc4 (crop centre)"]
    assert (texts(concat, "size"), texts(concat, "rf")) == (["56 x 56 x 1024"], ["RF 140"])


def test_u_net_draws_through_the_command(tmp_path: Path) -> None:
    out = tmp_path / "unet.svg"
    assert run(UNET, "-o", str(out)) == (0, "", "")
    root = ET.fromstring(out.read_bytes())  # well-formed
    assert len(row_groups(root)) == 31 and len(skip_lines(root)) == 4
    assert root.find(f"{SVG}defs/{SVG}marker[@id='skip-arrow']") is not None


FROM_AND_WITH = """\
input: [32, 32, 3]
layers:
  - conv: {filters: 8, kernel: 3, padding: same, name: stem}
  - maxpool: {size: 2, name: half}
  - conv: {filters: 8, kernel: 3, padding: same, from: stem, name: side}
  - conv: {filters: 8, kernel: 1, from: side}
  - add: {with: [stem]}
  - conv: {filters: 16, kernel: 1, from: half}
  - upsample: {scale: 2}
  - concat: {with: [side, input]}
  - multiply:
      branches:
        - []
        - - globalavgpool
          - dense: {units: 27, activation: sigmoid}
"""


def arrow_ends(root: ET.Element) -> set[tuple[float, float]]:
    """Where the arrows along the flow line end: (x, y) of every straight `M x,y H x` edge."""
    found = set()
    for path in root.iter(f"{SVG}path"):
        if match := re.fullmatch(r"M[-\d.]+,([-\d.]+) H([-\d.]+)", path.get("d", "")):
            found.add((float(match.group(2)), float(match.group(1))))
    return found


def test_a_layer_from_an_earlier_output_is_fed_by_a_skip_line_not_by_its_neighbour(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(FROM_AND_WITH)
    root = picture(str(path))
    groups = {g.get("data-path"): g for g in row_groups(root)}
    assert [(line.get("data-name"), line.get("data-from"), line.get("data-to")) for line in skip_lines(root)] == [
        ("stem", "1", "3"),  # `from: stem` past the maxpool
        ("stem", "1", "5"),  # the add's `with`; its current tensor, layer 4, comes from the left
        ("half", "2", "6"),
        ("side", "3", "8"),
        ("input", "input", "8"),  # the network's input, by its name
    ]  # layer 4 reads `side`, its left neighbour: an arrow, as any other layer
    ends = arrow_ends(root)
    fed = {path: (left(g), flow_y(g)) in ends for path, g in groups.items() if path in ("2", "3", "4", "6", "7")}
    assert fed == {"2": True, "3": False, "4": True, "6": False, "7": True}
    assert "from stem" in (groups["3"].findtext(f"{SVG}title") or "")
    into_concat = [corners(line)[3] for line in skip_lines(root) if line.get("data-to") == "8"]
    assert into_concat[1] - into_concat[0] == pytest.approx(6)  # side by side into the node's top


def test_merges_of_branches_meet_at_their_own_sign(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(FROM_AND_WITH)
    groups = {g.get("data-path"): g for g in row_groups(picture(str(path)))}
    signs = {
        key: (groups[key].get("class"), [t.text for t in groups[key].iter(f"{SVG}text") if t.get("class") is None])
        for key in ("5", "8", "9")
    }
    assert signs == {
        "5": ("layer add", ["+"]),
        "8": ("layer concat", ["concat"]),
        "9": ("layer multiply", ["\N{MULTIPLICATION SIGN}"]),
    }
    assert [g.get("data-path") for g in groups.values() if str(g.get("data-path")).startswith("9.")] == [
        "9.b2.1",
        "9.b2.2",
    ]
    folded = {g.get("data-path"): g.get("class") for g in row_groups(picture(str(path), depth=0))}
    assert folded["5"] == folded["9"] == "layer volume"


def test_each_repetition_reads_its_own_outputs(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n  - repeat:\n      times: 2\n"
        "      layers:\n        - conv: {filters: 4, kernel: 3, padding: same, name: x}\n"
        "        - relu\n        - add: {with: [x]}\n"
    )
    lines = skip_lines(picture(str(path)))
    assert [(line.get("data-from"), line.get("data-to")) for line in lines] == [("2.1", "2.3"), ("2.4", "2.6")]


def test_a_block_from_an_earlier_output_takes_it_where_its_rows_start(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1, name: a}\n  - conv: {filters: 4, kernel: 1}\n"
        "  - concat:\n      from: a\n      branches:\n        - - conv: {filters: 2, kernel: 1}\n        - []\n"
        "  - repeat: {times: 2, from: a, layers: [{conv: {filters: 4, kernel: 1}}]}\n"
    )
    root = picture(str(path))
    groups = {g.get("data-path"): g for g in row_groups(root)}
    into = {line.get("data-to"): corners(line) for line in skip_lines(root)}
    assert sorted(str(to) for to in into) == ["3", "4"]
    *_, x, y = into["3"]  # down into the fork where the branches part, on the flow line
    assert x < left(groups["3.b1.1"]) and y == pytest.approx(flow_y(groups["3"]), abs=0.1)
    *_, x, y = into["4"]  # into the first row of the repeat's frame
    first = groups["4.1"]
    assert left(first) < x < left(groups["4.2"]) and y == pytest.approx(box_top(first), abs=0.1)
    assert (left(first), flow_y(first)) not in arrow_ends(root)


def test_a_picture_without_names_read_has_no_skip_lines() -> None:
    svg = draw_svg(report_of(RESNET18))
    assert "skip" not in svg


# -- a page: rows that fit its width ----------------------------------------------------------------------------

RESNET50 = str(SPECS / "resnet50.yaml")


def path_points(d: str) -> list[tuple[float, float]]:
    """The corners of a path written with M, H and V only."""
    points: list[tuple[float, float]] = []
    for command, numbers in re.findall(r"([MHV])([-\d.,]+)", d):
        if command == "M":
            x, y = map(float, numbers.split(","))
        elif command == "H":
            x, y = float(numbers), points[-1][1]
        else:
            x, y = points[-1][0], float(numbers)
        points.append((x, y))
    return points


def line_of(group: ET.Element) -> int:
    """The flow line a box sits on, to the pixel: its face's middle, rounded from tenths on either side."""
    return round(flow_y(group))


def boxes_in_order(root: ET.Element) -> list[ET.Element]:
    """The input's box, then every row's, in the summary's order."""
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "input volume"] + row_groups(root)


def test_resnet50_flows_into_rows_that_fit_a_page_its_repeats_wrapped_in_their_frames() -> None:
    root = picture(RESNET50)  # 18,868 px on one row
    assert float(root.get("width", "0")) <= 1600
    assert len(row_groups(root)) == len(list(summary_rows(RESNET50)))
    groups = {g.get("data-path"): g for g in row_groups(root)}
    for path in ("6", "8", "10", "12"):  # layer1.1-2 to layer4.1-2: frames, each holding every row of its repetitions
        (border,) = groups[path].iter(f"{SVG}rect")
        x, y = float(border.get("x", "0")), float(border.get("y", "0"))
        width, height = float(border.get("width", "0")), float(border.get("height", "0"))
        inside = [
            g for key, g in groups.items() if str(key).startswith(f"{path}.") and g.find(f"{SVG}rect") is not None
        ]
        assert inside and all(x < left(g) < x + width and y < flow_y(g) < y + height for g in inside)
    adds = [g for key, g in groups.items() if str(key).startswith("10.") and str(key).count(".") == 1]
    rows = {float(circle.get("cy", "0")) for g in adds for circle in g.iter(f"{SVG}circle")}
    assert len(adds) == len(rows) == 5  # five bottlenecks of about 1,100 px each: a row each inside the frame


def test_rows_run_top_to_bottom_each_joined_from_its_end_to_the_next_ones_start() -> None:
    root = picture(RESNET50, depth=0, width=800)
    boxes = boxes_in_order(root)
    assert len(boxes) == 1 + 15
    places = [(line_of(g), left(g)) for g in boxes]
    assert places == sorted(places)  # left to right along a row, the rows from top to bottom
    rows = sorted({y for y, _ in places})
    assert len(rows) >= 3
    for group in boxes:  # every box and its label within the page
        for text in group.iter(f"{SVG}text"):
            assert float(text.get("x", "0")) + len(text.text or "") * 6.7 / 2 <= 800
    arrows = [
        path_points(path.get("d", "")) for path in root.iter(f"{SVG}path") if path.get("marker-end") == "url(#arrow)"
    ]
    for above, below in itertools.pairwise(rows):
        last = [g for g in boxes if line_of(g) == above][-1]
        first = next(g for g in boxes if line_of(g) == below)
        (joined,) = [points for points in arrows if points[-1] == pytest.approx((left(first), flow_y(first)), abs=0.1)]
        assert joined[0][1] == pytest.approx(flow_y(last), abs=0.1) and joined[0][0] > left(last)
        ys = [y for _, y in joined]
        assert ys == sorted(ys)  # only ever down: back to the page's left, then into the next row


def test_width_0_draws_one_row() -> None:
    root = picture(RESNET50, depth=0, width=0)
    assert len({line_of(g) for g in boxes_in_order(root)}) == 1
    assert float(root.get("width", "0")) > 1600


def test_the_width_option_sets_the_page(tmp_path: Path) -> None:
    assert draw_command.WIDTH == WIDTH == 1600
    assert run(RESNET50, "-o", str(tmp_path / "default.svg")) == (0, "", "")
    assert (tmp_path / "default.svg").read_text(encoding="utf-8") == draw_svg(report_of(RESNET50), RESNET50)
    out = tmp_path / "resnet50.svg"
    assert run(RESNET50, "--depth", "0", "--width", "800", "-o", str(out)) == (0, "", "")
    assert out.read_text(encoding="utf-8") == draw_svg(report_of(RESNET50, 0), RESNET50, width=800)
    code, stdout, stderr = run(RESNET50, "--width", "wide", "-o", str(out))
    assert (code, stdout) == (2, "")
    assert "'wide' is not a whole number" in stderr


def crossings(lines: list[list[tuple[float, float]]]) -> int:
    """How many times one line's horizontal run crosses a vertical one."""
    runs = [(a, b) for points in lines for a, b in itertools.pairwise(points)]
    across = [(a, b) for a, b in runs if a[1] == b[1]]
    down = [(a, b) for a, b in runs if a[0] == b[0]]
    return sum(
        min(a[0], b[0]) < c[0] < max(a[0], b[0]) and min(c[1], d[1]) < a[1] < max(c[1], d[1])
        for a, b in across
        for c, d in down
    )


def boxes_passed_through(root: ET.Element) -> list[tuple[str | None, str | None]]:
    """(skip line, box) for each box a skip line's run across passes through, from its top face to its bottom."""
    found = []
    for line in skip_lines(root):
        runs = [(x0, x1, y) for (x0, y), (x1, y1) in itertools.pairwise(path_points(line.get("d", ""))) if y == y1]
        for box in row_groups(root):
            face = box.find(f"{SVG}rect")
            if face is None:
                continue
            right = float(face.get("x", "0")) + float(face.get("width", "0"))
            bottom = float(face.get("y", "0")) + float(face.get("height", "0"))
            for x0, x1, y in runs:
                if min(x0, x1) < right and left(box) < max(x0, x1) and box_top(box) <= y <= bottom:
                    found.append((line.get("data-to"), box.get("data-path")))
    return found


def test_u_nets_skips_reach_across_rows_over_every_box_and_never_cross() -> None:
    root = picture(UNET)
    assert float(root.get("width", "0")) <= 1600
    groups = {g.get("data-path"): g for g in row_groups(root)}
    assert len({line_of(g) for key, g in groups.items() if "." not in str(key)}) > 1
    lines = skip_lines(root)
    assert [(line.get("data-from"), line.get("data-to")) for line in lines] == [
        ("11", "16"),
        ("8", "20"),
        ("5", "24"),
        ("2", "28"),
    ]
    drawn = [path_points(line.get("d", "")) for line in lines]
    for line, points in zip(lines, drawn, strict=True):
        source, reader = groups[line.get("data-from")], groups[line.get("data-to")]
        (node,) = reader.iter(f"{SVG}rect")
        assert points[0][1] == pytest.approx(box_top(source), abs=0.1)
        middle = float(node.get("x", "0")) + float(node.get("width", "0")) / 2
        assert points[-1] == pytest.approx((middle, float(node.get("y", "0"))), abs=0.15)
    assert boxes_passed_through(root) == []
    assert crossings(drawn) == 0


def test_a_repeat_whose_rows_a_skip_line_reaches_keeps_them_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n  - repeat:\n      times: 4\n"
        "      layers:\n        - conv: {filters: 4, kernel: 3, padding: same, name: x}\n        - relu\n"
        "        - conv: {filters: 4, kernel: 3, padding: same}\n        - add: {with: [x]}\n"
        "  - conv: {filters: 4, kernel: 1, from: input}\n"
    )
    root = picture(str(path), width=700)
    groups = {g.get("data-path"): g for g in row_groups(root)}
    boxes = [g for key, g in groups.items() if str(key).startswith("2.") and g.find(f"{SVG}rect") is not None]
    assert len(boxes) == 4 * 3 and len({line_of(g) for g in boxes}) == 1
    assert line_of(groups["3"]) > line_of(groups["2.1"])  # the rows of the page still wrap around it
    assert len(skip_lines(root)) == 5 and boxes_passed_through(root) == []


def on_a_terminal(*args: str) -> tuple[int, bytes, str]:
    """`cnncalc ...` with its standard output a terminal: the exit code, what the terminal shows, standard error."""
    leader, follower = os.openpty()
    argv = [sys.executable, "-m", "cnncalc", *args]
    with subprocess.Popen(argv, stdout=follower, stderr=subprocess.PIPE, cwd=ROOT) as child:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed: the command has ended
                break
            if not chunk:
                break
            shown += chunk
        assert child.stderr is not None
        stderr = child.stderr.read().decode("utf-8")
        code = child.wait(timeout=60)
    os.close(leader)
    return code, shown, stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_on_a_terminal_draw_says_how_to_write_a_file_rather_than_show_svg_text() -> None:
    code, shown, stderr = on_a_terminal("draw", "specs/lenet5.yaml")
    assert (code, shown) == (2, b"")
    assert stderr == (
        "cnncalc draw: the picture is SVG text, not for a terminal: write it to a file with -o net.svg"
        " (or -o net.pdf, -o net.png), or send it on: cnncalc draw SPEC > net.svg\n"
    )
    code, shown, stderr = on_a_terminal("draw", "specs/lenet5.yaml", "-o", "-")  # asked for by name: shown
    assert (code, stderr) == (0, "")
    assert shown.startswith(b"<?xml") and b"</svg>" in shown


def test_draw_pdf_by_rsvg_convert(tmp_path: Path) -> None:
    if shutil.which("rsvg-convert") is None:
        pytest.skip("rsvg-convert is not installed here")
    out = tmp_path / "net.pdf"
    assert run(RESNET18, "-o", str(out)) == (0, "", "")
    assert out.read_bytes().startswith(b"%PDF-")
    assert os.listdir(tmp_path) == ["net.pdf"]  # nothing left beside it


def test_a_pdf_without_rsvg_convert_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # nothing there
    out = tmp_path / "net.pdf"
    code, stdout, stderr = run(LENET, "-o", str(out))
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"cnncalc draw: no rsvg-convert found to make {out}: install librsvg's rsvg-convert"
        " (apt-get install librsvg2-bin, brew install librsvg), or write an SVG: -o NAME.svg\n"
    )
    assert not out.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a shell script")
def test_a_pdf_that_fails_halfway_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # its arguments: --format pdf --output FILE SVG; it writes a beginning, then gives up
    fake_program(bin_dir, "rsvg-convert", "printf '%%PDF-1.7 half' > \"$4\"\necho 'out of memory' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "net.pdf"
    out.write_bytes(b"the old picture")
    code, stdout, stderr = run(LENET, "-o", str(out))
    assert (code, stdout, stderr) == (2, "", f"cnncalc draw: rsvg-convert could not make {out}: out of memory\n")
    assert out.read_bytes() == b"the old picture"
    assert sorted(os.listdir(tmp_path)) == ["bin", "net.pdf"]


def test_the_same_report_gives_the_same_bytes() -> None:
    assert draw_svg(report_of(RESNET18)) == draw_svg(report_of(RESNET18))


def test_the_same_spec_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    # another hash seed orders sets and dict-keyed sets differently: nothing in the picture may follow them
    made = []
    for seed in ("1", "2"):
        out = tmp_path / f"net-{seed}.svg"
        code = "from cnncalc.commands.draw import draw; draw.main(standalone_mode=False)"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        argv = [sys.executable, "-c", code, INCEPTION, "-o", str(out)]
        subprocess.run(argv, check=True, env=env, timeout=60)
        made.append(out.read_bytes())
    assert made[0] == made[1]
    assert made[0] == draw_svg(report_of(INCEPTION), INCEPTION).encode()


def test_names_are_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        "name: 'A <b> & \"c\"'\ninput: [8, 8, 1]\nlayers:\n  - conv: {filters: 2, kernel: 3, name: '<x&y>'}\n"
    )
    root = picture(str(spec))
    (group,) = row_groups(root)
    assert (group.get("data-name"), texts(group, "name")) == ("<x&y>", ["conv <x&y>"])
    assert root.find(f"{SVG}title") is not None and root.findtext(f"{SVG}title") == 'A <b> & "c"'


def test_draw_writes_the_svg_file(tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    code, stdout, stderr = run(LENET, "-o", str(out))
    assert (code, stdout, stderr) == (0, "", "")
    assert out.read_text(encoding="utf-8") == draw_svg(report_of(LENET), LENET)
    assert len(row_groups(ET.fromstring(out.read_bytes()))) == 8


def test_draw_without_output_prints_the_svg_and_reads_standard_input() -> None:
    code, stdout, _ = run("-", input=Path(LENET).read_text())
    assert code == 0
    assert len(row_groups(ET.fromstring(stdout))) == 8


def test_draw_depth_folds_blocks(tmp_path: Path) -> None:
    out = tmp_path / "resnet18.svg"
    assert run(RESNET18, "--depth", "0", "-o", str(out))[0] == 0
    assert len(row_groups(ET.fromstring(out.read_bytes()))) == 14


def test_a_bad_spec_is_reported_as_summary_reports_it(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 16, kernel: 3, stride: 0}\n")
    out = tmp_path / "net.svg"
    code, stdout, stderr = run(str(spec), "-o", str(out))
    assert (code, stdout) == (2, "")
    assert stderr.startswith(f"{spec}:3:")
    assert "error: layer 1 (conv): stride must be a positive integer, got 0" in stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("output", "message"),
    [
        pytest.param("net.txt", "the picture is written as .svg or .png, or as .pdf", id="unknown-suffix"),
        pytest.param("no/such/folder/net.svg", "cnncalc draw: cannot write", id="missing-folder"),
    ],
)
def test_an_output_that_cannot_be_written_exits_2(tmp_path: Path, output: str, message: str) -> None:
    code, stdout, stderr = run(LENET, "-o", str(tmp_path / output))
    assert (code, stdout) == (2, "")
    assert message in stderr


def test_draw_png_where_a_renderer_is_installed(tmp_path: Path) -> None:
    out = tmp_path / "net.png"
    code, stdout, stderr = run(LENET, "-o", str(out))
    if code == 2 and "no SVG renderer" in stderr:
        pytest.skip(f"no SVG renderer on this machine: {stderr.strip()}")
    assert (code, stdout, stderr) == (0, "", "")
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_no_renderer_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw_command, "renderers", list)
    out = tmp_path / "net.png"
    code, stdout, stderr = run(LENET, "-o", str(out))
    assert (code, stdout) == (2, "")
    assert stderr.startswith(f"cnncalc draw: no SVG renderer found to make {out}: install one of: ")
    assert "rsvg-convert" in stderr and "cairosvg" in stderr and "-o NAME.svg" in stderr
    assert not out.exists()


def fake_program(folder: Path, name: str, script: str) -> None:
    program = folder / name
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-ins are shell scripts")
def test_a_convert_that_is_no_renderer_is_found_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what this machine's /usr/local/bin/convert is: a program by ImageMagick's name that renders no SVG
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_program(bin_dir, "convert", 'echo "convert: not ImageMagick, shows PNG files only" >&2\nexit 1\n')
    fake_program(bin_dir, "magick", "exit 0\n")  # says it did it, and wrote nothing
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # as if it were not installed
    out = tmp_path / "net.png"
    code, stdout, stderr = run(LENET, "-o", str(out))
    assert (code, stdout) == (2, "")
    assert stderr.startswith(f"cnncalc draw: no SVG renderer here could make {out} (")
    assert "magick: wrote no file" in stderr
    assert "convert: convert: not ImageMagick, shows PNG files only" in stderr
    assert "install one of: " in stderr
    assert not out.exists()


def test_help_ends_with_the_example() -> None:
    code, stdout, _ = run("--help")
    assert code == 0
    assert stdout.strip().splitlines()[-1].strip() == "Example: cnncalc draw specs/resnet18.yaml -o resnet18.svg"
    assert stdout.count("Example:") == 1
    docstring = draw_command.draw.callback.__doc__ or ""
    assert docstring.strip().endswith("Example: cnncalc draw specs/resnet18.yaml -o resnet18.svg")


def test_the_picture_needs_only_the_standard_library() -> None:
    code = "import sys, cnncalc.draw; print(sorted(m for m in ('click', 'rich', 'yaml') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"


# -- cnncalc rf --plot ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scale", "cells", "drawn"),
    [
        pytest.param(32, 32, 4, "████", id="the-whole-input"),
        pytest.param(16, 32, 4, "██  ", id="half"),
        pytest.param(5, 32, 30, "████▋" + " " * 25, id="lenet-c1"),  # 5 * 30 * 8 // 32 = 37 eighths: 4 and 5/8
        pytest.param(1, 224, 4, "▏   ", id="at-least-an-eighth"),
        pytest.param(627, 224, 4, "████", id="past-the-input-a-full-bar"),
        pytest.param(0, 32, 3, "   ", id="nothing"),
    ],
)
def test_bar(value: int, scale: int, cells: int, drawn: str) -> None:
    assert bar(value, scale, cells) == drawn


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("spec", [LENET, RESNET18, INCEPTION])
def test_rf_plot_has_a_row_per_layer_with_its_r(spec: str) -> None:
    code, out, err = run_cli("rf", spec, "--plot")
    assert (code, err) == (0, "")
    assert "\x1b" not in out  # piped: no colour
    lines = out.splitlines()
    rows = list(summary_rows(spec))
    for row in rows:
        label = f"{row['kind']} {row['name']}" if row["name"] else row["kind"]
        r = expected_rf(row).removeprefix("RF ")
        h = str(row["output"][0]) if row["output"][0] == row["output"][1] else "x".join(map(str, row["output"][:2]))
        pattern = rf"{re.escape(row['path'])} +{re.escape(label)} +{re.escape(r)} [ ▏▎▍▌▋▊▉█]+ {re.escape(h)} "
        assert sum(bool(re.match(pattern, line)) for line in lines) == 1, (pattern, out)
    assert len(lines) == 2 + len(rows) + 2  # title, header, a row per layer, a blank line, the note


def test_rf_plot_lenet_rows() -> None:
    out = run_cli("rf", LENET, "--plot")[1].splitlines()
    assert out[2] == "1 conv C1         5 " + "████▋".ljust(30) + "  28 " + "██████████████████████████▎"
    assert out[7] == "6 dense C5      32* " + "█" * 30 + "   1 ▉"  # 1 * 30 * 8 // 32 = 7 eighths


@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("spec", [LENET, RESNET18])
def test_rf_plot_fits_a_narrow_terminal(spec: str, width: int) -> None:
    lines, needed = rf_chart(report_of(spec), spec, width)
    rows = lines[2:-2]
    assert len(rows) == len(list(walk(report_of(spec).layers)))
    drawn = ["".join(text for text, _ in line) for line in lines[1:-2]]
    assert max(len(line) for line in drawn) == needed <= width
    assert {style for line in rows for _, style in line} == {None, "cyan", "magenta"}


def test_rf_plot_on_a_terminal_too_narrow_keeps_every_number() -> None:
    lines, needed = rf_chart(report_of(RESNET18), RESNET18, 20)
    drawn = ["".join(text for text, _ in line) for line in lines[2:-2]]
    assert needed > 20 and max(len(line) for line in drawn) <= needed
    assert drawn[-1].split()[:3] == ["14", "dense", "fc"]
    assert "627*" in drawn[-1].split()


def test_rf_plot_goes_with_the_table_format() -> None:
    code, out, err = run_cli("rf", LENET, "--plot", "--format", "json")
    assert (code, out) == (2, "")
    assert "--plot draws a chart" in err


def test_control_characters_in_names_are_written_out_as_xml_allows(tmp_path: Path) -> None:
    # XML 1.0 has no way to write a backspace: a name holding one is shown as the table shows it, `\x08`
    spec = tmp_path / "bell.yaml"
    spec.write_text('name: "ring\\b"\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3, name: "a\\x1b"}\n')
    out = tmp_path / "bell.svg"
    done = CliRunner().invoke(cli, ["draw", str(spec), "-o", str(out)])
    assert done.exit_code == 0, done.output
    root = ET.parse(out).getroot()
    texts = [text for text in root.itertext()]
    assert "ring\\x08" in texts and any("a\\x1b" in text for text in texts)
