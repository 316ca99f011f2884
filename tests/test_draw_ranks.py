"""`cnncalc draw` of 1-D and 3-D specs: one labelled box per row, sized by its own axes, labelled as `summary`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.commands import draw as draw_command
from cnncalc.draw import STACK, STACK_STEP, draw_svg
from cnncalc.pipeline import analyse_file
from cnncalc.report import walk

SVG = "{http://www.w3.org/2000/svg}"

ONE_D = """\
input: [64, 3]
layers:
  - conv: {filters: 8, kernel: 3, padding: [2, 0], dilation: 2, name: causal}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 10}
"""

THREE_D = """\
input: [16, 112, 112, 3]
layers:
  - conv: {filters: 64, kernel: 3, padding: 1, name: stem}
  - maxpool: {size: [1, 2, 2]}
  - conv: {filters: 64, kernel: [2, 1, 1], stride: [2, 1, 1]}
  - conv: {filters: 64, kernel: [8, 1, 1]}
  - concat: {with: [stem], crop: centre}
  - globalavgpool
"""


def picture(tmp_path: Path, text: str) -> ET.Element:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    return ET.fromstring(draw_svg(analyse_file(str(path))[1]))


def groups(root: ET.Element) -> dict[str, ET.Element]:
    """The input's group (as `input`) and every row's, by path."""
    found = {}
    for g in root.iter(f"{SVG}g"):
        roles = g.get("class", "").split()
        if "layer" in roles:
            found[str(g.get("data-path"))] = g
        elif roles == ["input", "volume"]:
            found["input"] = g
    return found


def texts(group: ET.Element, role: str) -> list[str]:
    return [text.text or "" for text in group.iter(f"{SVG}text") if text.get("class") == role]


def front(group: ET.Element) -> ET.Element:
    """A box's front face: the one rect not stacked behind it."""
    (face,) = [rect for rect in group.iter(f"{SVG}rect") if rect.get("class") is None]
    return face


def stacked(group: ET.Element) -> list[ET.Element]:
    """The front faces of the copies stacked behind a 3-D map's box, hindmost first."""
    return [rect for rect in group.iter(f"{SVG}rect") if rect.get("class") == "depth"]


def size(rect: ET.Element, attribute: str) -> float:
    return float(rect.get(attribute, "0"))


def note(root: ET.Element) -> str:
    return next(text.text or "" for text in root.iter(f"{SVG}text") if text.get("class") == "note")


def test_a_1d_spec_draws_a_box_per_row_labelled_with_its_own_sizes(tmp_path: Path) -> None:
    root = picture(tmp_path, ONE_D)
    found = groups(root)
    labels = [(path, *texts(g, "size")) for path, g in found.items()]
    assert labels == [("input", "64 x 3"), ("1", "62 x 8"), ("2", "31 x 8"), ("3", "1 x 248"), ("4", "1 x 10")]
    assert [g.get("data-output") for g in found.values()] == ["64 x 3", "62 x 8", "31 x 8", "1 x 248", "1 x 10"]
    assert texts(found["1"], "rf") == ["RF 5"] and texts(found["4"], "rf") == ["RF 66*"]
    subtitle = next(text.text or "" for text in root.iter(f"{SVG}text") if text.get("class") == "subtitle")
    assert subtitle.startswith("input 64 x 3 → output 1 x 10 · 2,570 params")
    assert note(root).startswith("box height: l, width: c")
    assert not any(stacked(g) for g in found.values())


def test_a_1d_map_is_as_tall_as_its_length_and_thin(tmp_path: Path) -> None:
    found = groups(picture(tmp_path, ONE_D))
    heights = {path: size(front(g), "height") for path, g in found.items()}
    assert heights["input"] > heights["1"] > heights["2"]  # 64, 62, 31 long
    assert heights["2"] == pytest.approx(10 + 14 * 4.954, abs=0.1)  # log2 31
    # a map 1 wide: the top face recedes as little as a 2-D map's of width 1
    (top, _) = found["2"].iter(f"{SVG}polygon")
    points = [tuple(map(float, point.split(","))) for point in top.get("points", "").split()]
    assert points[0][1] - points[1][1] == pytest.approx(10 * 0.55 * 0.6, abs=0.1)


def test_a_1d_vector_stands_as_a_bar(tmp_path: Path) -> None:
    found = groups(picture(tmp_path, ONE_D))
    bars = [front(found[path]) for path in ("3", "4")]
    assert [size(bar, "width") for bar in bars] == [8, 8]
    assert size(bars[0], "height") > size(bars[1], "height")  # 248 against 10


def test_a_3d_spec_draws_a_box_per_row_labelled_with_its_own_sizes(tmp_path: Path) -> None:
    root = picture(tmp_path, THREE_D)
    found = groups(root)
    assert [(path, *texts(g, "size")) for path, g in found.items()] == [
        ("input", "16 x 112 x 112 x 3"),
        ("1", "16 x 112 x 112 x 64"),
        ("2", "16 x 56 x 56 x 64"),
        ("3", "8 x 56 x 56 x 64"),
        ("4", "1 x 56 x 56 x 64"),
        ("5", "1 x 56 x 56 x 128"),
        ("6", "1 x 1 x 1 x 128"),
    ]
    assert texts(found["2"], "rf") == ["RF 3x4x4"]
    assert texts(found["5"], "with") == ["with stem (crop centre)"]
    assert note(root).startswith("box height: h, depth: w, width: c, each on a log scale; d: log2 d boxes")


def test_a_3d_maps_depth_is_boxes_stacked_behind_it(tmp_path: Path) -> None:
    found = groups(picture(tmp_path, THREE_D))
    # log2 d of them, rounded up: 16 gives 4, 8 gives 3, 1 none
    assert {path: len(stacked(found[path])) for path in ("input", "1", "2", "3", "4", "6")} == {
        "input": 4,
        "1": 4,
        "2": 4,
        "3": 3,
        "4": 0,
        "6": 0,
    }
    face = front(found["1"])
    for step, copy in enumerate(reversed(stacked(found["1"])), start=1):
        # each a step further up and to the left, as large as the front face
        assert size(copy, "x") == pytest.approx(size(face, "x") - step * STACK_STEP, abs=0.1)
        assert size(copy, "y") == pytest.approx(size(face, "y") - step * STACK_STEP, abs=0.1)
        assert (size(copy, "width"), size(copy, "height")) == (size(face, "width"), size(face, "height"))
    # the h x w box of a 2-D map of that h and w: 56 x 56 whatever the depth
    assert size(front(found["2"]), "height") == size(front(found["4"]), "height")


def test_a_deep_3d_map_stacks_at_most_STACK_boxes(tmp_path: Path) -> None:
    found = groups(picture(tmp_path, "input: [1000, 4, 4, 2]\nlayers:\n  - relu\n"))
    assert len(stacked(found["input"])) == len(stacked(found["1"])) == STACK


def arrow_ends(root: ET.Element) -> set[tuple[float, float]]:
    """Where the straight arrows along the flow line end, (x, y)."""
    found = set()
    for path in root.iter(f"{SVG}path"):
        if match := re.fullmatch(r"M[-\d.]+,([-\d.]+) H([-\d.]+)", path.get("d", "")):
            found.add((float(match.group(2)), float(match.group(1))))
    return found


def test_an_arrow_into_a_3d_map_ends_at_the_hindmost_box_it_meets(tmp_path: Path) -> None:
    root = picture(tmp_path, "input: [16, 2, 2, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n")
    face = front(groups(root)["1"])
    y = size(face, "y") + size(face, "height") / 2
    # a front face 24 high, its copies 3, 6, 9 and 12 up: the first three cross the flow line, the last passes over
    assert size(face, "height") == 24 and len(stacked(groups(root)["1"])) == 4
    ((x, at),) = arrow_ends(root)
    assert x == pytest.approx(size(face, "x") - 3 * STACK_STEP, abs=0.1)
    assert at == pytest.approx(y, abs=0.1)


def test_a_skip_line_leaves_a_3d_map_from_its_hindmost_box(tmp_path: Path) -> None:
    root = picture(tmp_path, THREE_D)
    (line,) = [path for path in root.iter(f"{SVG}path") if path.get("class") == "skip"]
    match = re.fullmatch(r"M([-\d.]+),([-\d.]+) V.*", line.get("d", ""))
    assert match
    hindmost = stacked(groups(root)["1"])[0]
    # the hindmost copy's top face, drawn first
    top = next(polygon for polygon in groups(root)["1"].iter(f"{SVG}polygon") if polygon.get("class") == "depth")
    back_top = min(float(point.split(",")[1]) for point in top.get("points", "").split())
    assert float(match.group(2)) == pytest.approx(back_top, abs=0.1)
    assert float(match.group(1)) > size(hindmost, "x")


@pytest.mark.parametrize("text", [ONE_D, THREE_D], ids=["1d", "3d"])
def test_one_labelled_group_per_summary_row(tmp_path: Path, text: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    report = analyse_file(str(path))[1]
    found = groups(ET.fromstring(draw_svg(report)))
    rows = list(walk(report.layers))
    assert sorted(found) == sorted(["input", *(row.path for row in rows)])
    for row in rows:
        assert texts(found[row.path], "size") == [str(row.output)]
        field = row.receptive_field
        assert found[row.path].get("data-rf") == (str(field[0]) if len(set(field)) == 1 else "x".join(map(str, field)))


def test_draw_writes_a_3d_picture_through_the_command(tmp_path: Path) -> None:
    spec, out = tmp_path / "net.yaml", tmp_path / "net.svg"
    spec.write_text(THREE_D)
    result = CliRunner().invoke(draw_command.draw, [str(spec), "-o", str(out)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    root = ET.fromstring(out.read_bytes())
    assert root.tag == f"{SVG}svg"
    assert texts(groups(root)["input"], "size") == ["16 x 112 x 112 x 3"]
