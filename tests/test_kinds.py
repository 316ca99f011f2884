"""Each layer kind is declared once (cnncalc/kinds.py), and every consumer's table has an entry for it.

Adding a kind means: its record and options in `kinds.KINDS`, its rule in `steps.STEPS` (or, for a block,
`engine.MEETINGS`), and whichever tables the test below names.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import cnncalc
from cnncalc import engine, options, schema
from cnncalc.kinds import BLOCKS, KINDS, LEAVES, LISTS, TABLES, VALUES, ByKind, children, instances, layer_tree
from cnncalc.loader import load_file
from cnncalc.report import walk
from cnncalc.rows import row_count
from cnncalc.spec import Conv, Layer, Repeat, Residual

# every module, so that every table registers itself (each is made when its module is imported)
for module in pkgutil.walk_packages(cnncalc.__path__, "cnncalc."):
    if not module.name.endswith("__main__"):  # that one runs the command line
        importlib.import_module(module.name)

SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.yaml"))


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_every_consumer_has_an_entry_for_every_kind(table: ByKind) -> None:
    assert not table.missing(), f"{table.name} has no entry for {', '.join(table.missing())}"


def test_the_tables_are_all_found() -> None:
    # every module that keeps a table by kind: a table made elsewhere, or not made at import, goes unchecked
    assert {table.name.split(".")[0] for table in TABLES} == {
        "check",
        "config",
        "convert",
        "draw",
        "engine",
        "explain",
        "export",
        "folding",
        "steps",
    }


def test_a_kind_left_out_of_a_table_is_named() -> None:
    table = ByKind("a consumer", covers="leaves")
    TABLES.remove(table)  # made for this test only
    table.register(*LEAVES[1:])(print)
    assert table.missing() == [LEAVES[0]]


def test_a_kind_registered_twice_is_refused() -> None:
    table = ByKind("a consumer")
    TABLES.remove(table)
    table.register("conv")(print)
    with pytest.raises(ValueError, match="a consumer: 'conv' is registered twice"):
        table.register("dense", "conv")(print)


def test_kinds_that_share_a_record_are_each_a_kind_of_their_own() -> None:
    # a new pool reusing Pool is missing from every table until each says what it does with it
    assert {"maxpool", "avgpool"} <= set(LEAVES) and not set(LEAVES) & set(BLOCKS)
    assert set(LEAVES) | set(BLOCKS) == set(KINDS)
    assert set(BLOCKS) == {"repeat", "residual", "add", "concat", "multiply"}


def test_every_value_an_option_takes_is_read_and_described() -> None:
    taken = {option.value for kind in KINDS.values() for option in kind.options}
    assert taken <= set(VALUES) | set(LISTS)
    # read alone, or (a value given per axis) at the input's rank
    read = set(options.PARSERS) | set(options.SPATIAL)
    assert not set(options.PARSERS) & set(options.SPATIAL)
    assert set(VALUES) <= read == set(schema.DEFINITIONS)
    assert set(LISTS) == set(schema.LAYER_LISTS)


def test_every_kind_and_option_has_its_sentence() -> None:
    assert [name for name, kind in KINDS.items() if not kind.doc] == []
    assert [f"{name}.{o.name}" for name, kind in KINDS.items() for o in kind.options if not o.doc] == []


def test_an_option_is_a_field_of_its_record() -> None:
    for name, kind in KINDS.items():
        fields = set(kind.record._fields)
        assert {kind.field(option.name) for option in kind.options} <= fields, name
        assert {"kind", "name", "source", "loc", "option_locs"} <= fields, name


# -- one walker ------------------------------------------------------------------------------------------

BLOCK = Residual(
    "residual",
    layers=(Conv("conv", 8, (3, 3)), Repeat("repeat", 3, (Conv("conv", 8, (1, 1)),))),
    shortcut=(Conv("conv", 8, (1, 1)),),
)


def test_children_are_a_blocks_lists_with_their_paths() -> None:
    assert [(suffix, len(held)) for suffix, held in children(BLOCK)] == [(".", 2), (".s", 1)]
    assert list(children(Conv("conv", 8, (3, 3)))) == []


def test_the_tree_has_every_record_once_with_its_path() -> None:
    assert [path for path, _ in layer_tree((BLOCK,))] == ["1", "1.1", "1.2", "1.2.1", "1.s1"]


def test_instances_count_every_repetition() -> None:
    # the residual, its conv, the repeat and 3 convs, the shortcut's conv
    assert instances((BLOCK,)) == 1 + 1 + 1 + 3 + 1


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_the_walker_and_the_report_count_the_same_rows(path: Path) -> None:
    spec = load_file(str(path))
    rows = list(walk(engine.analyse(spec).layers))
    assert instances(spec.layers) == row_count(spec.layers, keep_depth=len(rows)) == len(rows)
    # every record's path is a row's path: the first repetition's rows are numbered as the body is
    paths = {row.path for row in rows}
    assert {tree_path for tree_path, _ in layer_tree(spec.layers)} <= paths


def every_layer(layers: tuple[Layer, ...]) -> list[Layer]:
    return [layer for _, layer in layer_tree(layers)]


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_every_record_in_a_spec_is_a_declared_kind(path: Path) -> None:
    for layer in every_layer(load_file(str(path)).layers):
        assert type(layer) is KINDS[layer.kind].record
