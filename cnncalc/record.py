"""`Record`: the immutable records of cnncalc, classes written as for `typing.NamedTuple` and behaving alike.

typing.NamedTuple compiles a constructor for every class it makes (about 80 us each); cnncalc defines some
thirty records, and every quick query would pay for all of them before reading a line. A `Record` class is the
same kind of tuple (named fields, defaults, `_replace`, `_fields`, `_field_defaults`, `_asdict`, `_make`), built
from the class body without compiling anything. Type checkers are shown typing.NamedTuple itself.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

__all__ = ["Record"]

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    _REQUIRED = object()  # in a class's `_template`: a field without a default

    class _RecordType(type):
        """Turns a class body's annotations into the fields of a tuple, and their values into defaults."""

        def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
            if "_fields" in namespace:  # Record itself
                return super().__new__(mcls, name, bases, namespace)
            if "__annotations__" not in namespace and "__annotate__" in namespace:
                raise TypeError(f"{name}: a record's module needs `from __future__ import annotations`")
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = {}
            for field in fields:
                if field in namespace:
                    defaults[field] = namespace.pop(field)
                elif defaults:
                    raise TypeError(f"{name}: field {field!r} without a default follows fields with one")
            namespace.update(
                __slots__=(),
                __match_args__=fields,
                _fields=fields,
                _field_defaults=defaults,
                _index={field: index for index, field in enumerate(fields)},
                _template=[defaults.get(field, _REQUIRED) for field in fields],
                _required=len(fields) - len(defaults),
            )
            namespace.update((field, property(itemgetter(index))) for index, field in enumerate(fields))
            return super().__new__(mcls, name, bases, namespace)

    class Record(tuple, metaclass=_RecordType):
        """Subclass it with annotated fields, defaults last, as one would typing.NamedTuple."""

        __slots__ = ()
        _fields: ClassVar[tuple[str, ...]] = ()
        _field_defaults: ClassVar[dict[str, Any]] = {}
        _index: ClassVar[dict[str, int]] = {}  # field -> position
        _template: ClassVar[list[Any]] = []  # each field's default, or _REQUIRED
        _required: ClassVar[int] = 0  # how many fields have no default: the first ones

        def __new__(cls, *args: Any, **kwargs: Any) -> Record:
            if kwargs or len(args) != len(cls._fields):
                args = cls._bind(args, kwargs)
            return tuple.__new__(cls, args)

        @classmethod
        def _bind(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
            """The values of every field, from arguments as a call would pass them, with the defaults."""
            given = len(args)
            if given > len(cls._fields):
                raise TypeError(f"{cls.__name__}() takes {len(cls._fields)} arguments but {given} were given")
            values = [*args, *cls._template[given:]]
            index = cls._index
            for keyword, value in kwargs.items():
                position = index.get(keyword, -1)
                if position < given:
                    problem = "multiple values for" if position >= 0 else "an unexpected keyword"
                    raise TypeError(f"{cls.__name__}() got {problem} argument {keyword!r}")
                values[position] = value
            # the fields without a default come first: only those after the positional arguments may be missing
            for position in range(given, cls._required):
                if values[position] is _REQUIRED:  # by identity: a value's own == may say anything
                    raise TypeError(f"{cls.__name__}() missing required argument: {cls._fields[position]!r}")
            return tuple(values)

        @classmethod
        def _make(cls, iterable: Any) -> Record:
            values = tuple(iterable)
            if len(values) != len(cls._fields):
                raise TypeError(f"{cls.__name__}: expected {len(cls._fields)} values, got {len(values)}")
            return tuple.__new__(cls, values)

        def _replace(self, **changes: Any) -> Record:
            values = tuple(changes.pop(field, value) for field, value in zip(self._fields, self, strict=True))
            if changes:
                raise TypeError(f"{type(self).__name__}: no field {next(iter(changes))!r}")
            return tuple.__new__(type(self), values)

        def _asdict(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

        def __repr__(self) -> str:
            pairs = ", ".join(f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({pairs})"

        def __getnewargs__(self) -> tuple[Any, ...]:
            return tuple(self)
