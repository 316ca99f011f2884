"""YAML's node graph, built from the parser's events in one pass, without recursion, and checked as it is built.

PyYAML's own composers recurse once per level of nesting: the pure-Python one runs out of stack, and
libyaml's segfaults on deep input (a few thousand `[`). This one keeps its own stack and stops at MAX_DEPTH.
It reads with libyaml's parser where PyYAML was built with it, and with PyYAML's own parser the texts libyaml
refuses or reads otherwise, so that what cnncalc says of a text is the same whichever libyaml is installed, or
none. On the way it notes what makes a document no spec: a tag beyond plain YAML's (`!!python/object`), a value
that contains itself, and aliases that expand past MAX_ALIASED values (a "billion laughs" costs its size in the
file, not its size expanded). And it stops at the first value past a bound on size, MAX_VALUES in the document
or the caller's bound on the items of one list: a node is 200 bytes. (A file within the loader's 256 KiB holds at
most half a million values; the bounds guard text given to `compose` by other means.)
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, Iterator

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import shown
from .record import Record

MAX_DEPTH = 200  # far deeper than any spec; libyaml's parser slows quadratically with depth
# values that aliases may add: a spec reuses a few options, a "billion laughs" adds billions
MAX_ALIASED = 100_000
# values a document may hold: 600 MB of nodes, far more than any spec has (8 MiB of the densest valid spec,
# every option of every layer written out, is 2.5 million)
MAX_VALUES = 3_000_000
# PyYAML's own parser is the reference: what it refuses cnncalc refuses, and every message and place is the one
# it gives. libyaml's is seven times as fast and reads first, but for the texts where the two part ways; and a
# text libyaml refuses is read again by the reference, as libyaml words its errors otherwise and stops at limits
# of its own (libyaml 0.2.6: 1,000 levels of nesting, found before MAX_DEPTH as it scans ahead)
REFERENCE_PARSER = yaml.SafeLoader
FAST_PARSER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
# a byte-order mark and a tab: libyaml gives the one a column where PyYAML's parser gives it none, and takes the
# other between tokens where PyYAML's parser refuses it; a text that holds either is read by the reference alone
_READ_APART = ("\ufeff".encode(), b"\t")
_CORE = "tag:yaml.org,2002:"
# what SafeLoader resolves untagged YAML to; any other tag (`!!python/object`, `!!set`, `!custom`) is refused
SCALAR_TAGS = {_CORE + name for name in ("int", "float", "bool", "null", "str", "timestamp", "merge", "value")}
PLAIN_TAGS = {ScalarNode: SCALAR_TAGS, SequenceNode: {_CORE + "seq"}, MappingNode: {_CORE + "map"}}


class TooDeep(Exception):
    """Nesting past MAX_DEPTH; `mark` is where the level past the limit opens."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.mark = mark


class TooMany(Exception):
    """A value past a bound on size; `mark` is where it starts.

    `items` is the bound on the items of one list that it passes, and `key` the mapping key whose value that list
    is, if any; without `items`, the document holds more than MAX_VALUES values.
    """

    def __init__(self, mark: yaml.Mark, items: int | None = None, key: str | None = None) -> None:
        super().__init__(f"a list of more than {items:,} items" if items else f"more than {MAX_VALUES:,} YAML values")
        self.mark = mark
        self.items = items
        self.key = key


class ReadApart(Exception):
    """An event that libyaml's parser may give otherwise than PyYAML's."""


def _as_pyyaml_reads(events: Iterable[Event]) -> Iterator[Event]:
    """libyaml's events, up to the first that PyYAML's parser may give otherwise or refuse: then ReadApart.

    libyaml takes tags and directives that PyYAML's parser refuses (`!:!`, `|#`), reads a block scalar's header
    more loosely, and places an empty value in a flow collection (`{filters: , kernel: 3}`) where the next token
    starts, where PyYAML places it right after its `:`.
    """
    flow = [False]  # per open collection, whether it is written in flow style
    for event in events:
        if isinstance(event, ScalarEvent):
            if (
                event.tag is not None
                or event.style in _BLOCK_STYLES
                or (flow[-1] and event.value == "" and not event.style)
            ):
                raise ReadApart
        elif isinstance(event, CollectionStartEvent):
            if event.tag is not None:
                raise ReadApart
            flow.append(bool(event.flow_style))
        elif isinstance(event, CollectionEndEvent):
            flow.pop()
        elif isinstance(event, DocumentStartEvent) and (event.version or event.tags):
            raise ReadApart
        yield event


_BLOCK_STYLES = ("|", ">")


class Composed(Record):
    root: Node | None  # None: an empty document
    # what makes it no spec, and where; past `max_problems` the document is left there (and `root` is None)
    problems: list[tuple[str, yaml.Mark]]


def compose(text: str | bytes, max_items: int = MAX_VALUES, max_problems: int = MAX_VALUES) -> Composed:
    """The single document of `text` as nodes, tags resolved as SafeLoader resolves them.

    TooMany where a list holds more than `max_items` items or the document more than MAX_VALUES values. A scalar
    keeps its start mark only: its end is never used, and a mark is 80 bytes, a third of what a value costs.
    """
    # a large file is many new objects: the collector would walk them again and again (half the time of a
    # million `relu`s) and find nothing, as nodes hold no cycles but for an alias to its own parent
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        if FAST_PARSER is not None and not any(apart in data for apart in _READ_APART):
            try:
                return compose_events(_as_pyyaml_reads(yaml.parse(data, Loader=FAST_PARSER)), max_items, max_problems)
            except (yaml.YAMLError, ReadApart):
                pass  # read again by the reference parser, for its message and place
        return compose_events(yaml.parse(data, Loader=REFERENCE_PARSER), max_items, max_problems)
    finally:
        if collecting:
            gc.enable()


def compose_events(events: Iterable[Event], max_items: int = MAX_VALUES, max_problems: int = MAX_VALUES) -> Composed:
    resolver = yaml.resolver.Resolver()
    anchors: dict[str, Node] = {}
    expanded: dict[int, int] = {}  # id(collection) -> the values it stands for, aliases expanded (a scalar: 1)
    open_nodes: list[CollectionNode] = []
    keys: list[Node | None] = []  # per open mapping, the key waiting for its value
    counts: list[int] = []  # per open collection, the values it holds so far, itself included
    problems: list[tuple[str, yaml.Mark]] = []
    looped: set[int] = set()
    aliased = 0  # values added by aliases: each use of an alias repeats what it stands for
    first_large: Node | None = None
    root: Node | None = None
    document: yaml.Mark | None = None
    values = 0  # in the document, aliases counted once
    # past this many values, each is checked against the bounds on size: below it, none can be past them
    checked_from = min(max_items, MAX_VALUES)

    def check_size(mark: yaml.Mark) -> None:
        if values > MAX_VALUES:
            raise TooMany(mark)
        if open_nodes and isinstance(open_nodes[-1], SequenceNode) and len(open_nodes[-1].value) >= max_items:
            raise TooMany(mark, max_items, _key(open_nodes, keys))

    def attach(node: Node, size: int) -> None:
        nonlocal root
        if not open_nodes:
            root = node
            return
        counts[-1] += size
        if isinstance(open_nodes[-1], SequenceNode):
            open_nodes[-1].value.append(node)
        elif keys[-1] is None:
            keys[-1] = node
        else:
            open_nodes[-1].value.append((keys[-1], node))
            keys[-1] = None

    for event in events:
        if isinstance(event, DocumentStartEvent):
            if document is not None:
                raise ComposerError(
                    "expected a single document in the stream", document, "but found another document", event.start_mark
                )
            document = event.start_mark
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            node = anchors[event.anchor]
            if any(node is open_node for open_node in open_nodes):
                if id(node) not in looped:
                    looped.add(id(node))
                    problems.append(("an alias refers to a value that contains it", node.start_mark))
                    if len(problems) > max_problems:
                        return Composed(None, problems)
                size = 1
            else:
                size = expanded.get(id(node), 1)
            aliased += size
            values += 1
            if values > checked_from:
                check_size(event.start_mark)
            attach(node, size)
        elif isinstance(event, (ScalarEvent, CollectionStartEvent)):
            node = _node(event, resolver)
            if node.tag not in PLAIN_TAGS[type(node)]:  # a list tagged !!str is no plainer than !!python/object
                tag = node.tag.replace(_CORE, "!!")
                tag = tag if len(tag) <= 40 else tag[:37] + "..."
                problems.append((f"YAML tag {shown(tag)} is not allowed: a spec holds plain values", node.start_mark))
                if len(problems) > max_problems:
                    return Composed(None, problems)
            values += 1
            if values > checked_from:
                check_size(event.start_mark)
            if event.anchor is not None:
                anchors[event.anchor] = node
            if isinstance(node, CollectionNode):
                attach(node, 0)  # its size is known once it closes
                if len(open_nodes) >= MAX_DEPTH:
                    raise TooDeep(event.start_mark)
                open_nodes.append(node)
                keys.append(None)
                counts.append(1)
            else:
                attach(node, 1)
        elif isinstance(event, CollectionEndEvent) and open_nodes:
            node = open_nodes.pop()
            node.end_mark = event.end_mark
            keys.pop()
            size = counts.pop()
            expanded[id(node)] = size
            if size > MAX_ALIASED and first_large is None:
                first_large = node
            if counts:
                counts[-1] += size
    if aliased > MAX_ALIASED and root is not None:
        message = f"aliases expand to more than {MAX_ALIASED:,} values: not an architecture spec"
        problems.append((message, (first_large or root).start_mark))
    return Composed(root, problems)


def _key(open_nodes: list[CollectionNode], keys: list[Node | None]) -> str | None:
    """The key of the mapping whose value is the innermost open collection (`layers`), if it is one's value."""
    if len(open_nodes) < 2 or not isinstance(open_nodes[-2], MappingNode) or keys[-2] is not None:
        return None  # at the top, in a list, or a mapping's key
    key = open_nodes[-2].value[-1][0]
    return str(key.value) if isinstance(key, ScalarNode) else None


def _node(event: ScalarEvent | CollectionStartEvent, resolver: yaml.resolver.Resolver) -> Node:
    """A node for a scalar or a collection's start, its tag resolved as PyYAML's composer does."""
    tag = event.tag
    if isinstance(event, ScalarEvent):
        if tag is None or tag == "!":
            tag = resolver.resolve(ScalarNode, event.value, event.implicit)
        # plain scalars have style None (PyYAML's pure parser says "", libyaml None); a spec says `relu`, `3` and
        # `kernel` again and again, and each is one string where the parser makes a new one (50 bytes) every time
        value = sys.intern(event.value)
        return ScalarNode(tag, value, event.start_mark, None, style=event.style or None)
    kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
    if tag is None or tag == "!":
        tag = resolver.resolve(kind, None, event.implicit)
    assert isinstance(event, (SequenceStartEvent, MappingStartEvent))
    return kind(tag, [], event.start_mark, event.end_mark, flow_style=event.flow_style)
