"""YAML's node graph, built from the parser's events without recursion and with a bound on nesting.

PyYAML's own composers recurse once per level of nesting: the pure-Python one runs out of stack, and
libyaml's segfaults on deep input (a few thousand `[`). This one keeps its own stack, stops at
MAX_DEPTH, and uses libyaml's fast parser where PyYAML was built with it.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 200  # far deeper than any spec; libyaml's parser slows quadratically with depth
PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TooDeep(Exception):
    """Nesting past MAX_DEPTH; `mark` is where the level past the limit opens."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.mark = mark


def compose(text: str | bytes) -> Node | None:
    """The single document of `text` as nodes, tags resolved as SafeLoader resolves them; None if it is empty."""
    return compose_events(yaml.parse(text, Loader=PARSER))


def compose_events(events: Iterable[Event]) -> Node | None:
    resolver = yaml.resolver.Resolver()
    anchors: dict[str, Node] = {}
    open_nodes: list[CollectionNode] = []
    keys: list[Node | None] = []  # per open mapping, the key waiting for its value
    root: Node | None = None
    document: yaml.Mark | None = None

    def attach(node: Node) -> None:
        nonlocal root
        if not open_nodes:
            root = node
        elif isinstance(open_nodes[-1], SequenceNode):
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
            attach(anchors[event.anchor])
        elif isinstance(event, (ScalarEvent, CollectionStartEvent)):
            node = _node(event, resolver)
            if event.anchor is not None:
                anchors[event.anchor] = node
            attach(node)
            if isinstance(node, CollectionNode):
                if len(open_nodes) >= MAX_DEPTH:
                    raise TooDeep(event.start_mark)
                open_nodes.append(node)
                keys.append(None)
        elif open_nodes and event.__class__.__name__ in ("SequenceEndEvent", "MappingEndEvent"):
            open_nodes.pop().end_mark = event.end_mark
            keys.pop()
    return root


def _node(event: ScalarEvent | CollectionStartEvent, resolver: yaml.resolver.Resolver) -> Node:
    """A node for a scalar or a collection's start, its tag resolved as PyYAML's composer does."""
    tag = event.tag
    if isinstance(event, ScalarEvent):
        if tag is None or tag == "!":
            tag = resolver.resolve(ScalarNode, event.value, event.implicit)
        # plain scalars have style None (PyYAML's pure parser says "", libyaml None)
        return ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style or None)
    kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
    if tag is None or tag == "!":
        tag = resolver.resolve(kind, None, event.implicit)
    assert isinstance(event, (SequenceStartEvent, MappingStartEvent))
    return kind(tag, [], event.start_mark, event.end_mark, flow_style=event.flow_style)
