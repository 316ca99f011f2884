"""`Record` behaves as typing.NamedTuple does: the same class body gives the same tuple, checked side by side."""

from __future__ import annotations

import copy
import pickle
from typing import Any, NamedTuple

import pytest

from cnncalc.record import Record
from cnncalc.spec import Location, Volume


class Reference(NamedTuple):
    kind: str
    filters: int
    kernel: tuple[int, int] = (3, 3)
    name: str | None = None

    def area(self) -> int:
        return self.kernel[0] * self.kernel[1]


class Rec(Record):  # the same body
    kind: str
    filters: int
    kernel: tuple[int, int] = (3, 3)
    name: str | None = None

    def area(self) -> int:
        return self.kernel[0] * self.kernel[1]


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("conv", 8), {}),
    (("conv", 8, (1, 1)), {}),
    (("conv", 8, (1, 1), "c1"), {}),
    (("conv",), {"filters": 8}),
    ((), {"kind": "conv", "filters": 8, "name": "c1"}),
    (("conv", 8), {"name": "c1"}),
]

BAD_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("conv",), {}),
    (("conv", 8, (1, 1), "c1", "extra"), {}),
    (("conv", 8), {"colour": "red"}),
    (("conv", 8), {"kind": "pool"}),
    (("conv",), {"kernel": (1, 1)}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_record_is_the_tuple_namedtuple_makes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    record, reference = Rec(*args, **kwargs), Reference(*args, **kwargs)
    as_tuple: tuple[Any, ...] = reference  # equal as tuples are, whatever their class
    assert record == as_tuple and hash(record) == hash(reference)
    assert record.kernel == reference.kernel and record.name == reference.name
    assert record.area() == reference.area()
    assert repr(record) == repr(reference).replace("Reference", "Rec")
    assert record._asdict() == reference._asdict()
    assert tuple(record._replace(filters=16)) == tuple(reference._replace(filters=16))
    assert type(record._replace(filters=16)) is Rec
    assert Rec._make(record) == record


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_a_record_refuses_the_calls_namedtuple_refuses(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Reference(*args, **kwargs)
    with pytest.raises(TypeError):
        Rec(*args, **kwargs)


def test_a_record_describes_its_fields_as_namedtuple_does() -> None:
    assert Rec._fields == Reference._fields == ("kind", "filters", "kernel", "name")
    assert Rec._field_defaults == Reference._field_defaults == {"kernel": (3, 3), "name": None}
    assert Rec.__match_args__ == Reference.__match_args__


def test_a_record_is_immutable() -> None:
    record = Rec("conv", 8)
    with pytest.raises(AttributeError):
        record.filters = 9  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.colour = "red"  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        record._replace(colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Rec._make(("conv",))


def test_a_record_copies_and_pickles() -> None:
    record = Rec("conv", 8, name="c1"), Location(3, 5)
    assert copy.copy(record) == record
    assert copy.deepcopy(record) == record
    assert pickle.loads(pickle.dumps(record)) == record


def test_a_record_unpacks_and_matches() -> None:
    line, column = Location(3, 5)
    assert (line, column) == (3, 5)
    match Location(1, 10):
        case Location(1, n):
            assert n == 10
        case _:
            pytest.fail("a location on line 1 did not match")


def test_a_volume_is_its_sizes_at_any_rank() -> None:
    h, w, c = Volume(32, 32, 3)
    assert (h, w, c) == (32, 32, 3)
    clip = Volume(16, 112, 112, 3)
    assert (clip.rank, clip.spatial, clip.c, clip.elements) == (3, (16, 112, 112), 3, 16 * 112 * 112 * 3)
    assert str(clip) == "16 x 112 x 112 x 3"
    assert Volume(1, 40).is_point and not Volume(2, 1, 40).is_point
    assert Volume(16000, 1).with_channels(32) == Volume(16000, 32)
    assert pickle.loads(pickle.dumps(clip)) == clip and type(pickle.loads(pickle.dumps(clip))) is Volume
    match Volume(1, 1, 10):
        case (1, 1, n):
            assert n == 10
        case _:
            pytest.fail("a 1 x 1 x n volume did not match")


def test_a_field_without_a_default_may_not_follow_one() -> None:
    with pytest.raises(TypeError):

        class Broken(Record):
            kind: str = "conv"
            filters: int  # type: ignore[misc]
