"""Reading a spec or program YAML file within fixed bounds of size, nesting and sharing.

A spec is a few KB of plain mappings and lists, nested at most 5 levels, with no YAML anchors or
aliases (checked on every file in ``exercise_specs/`` and ``programs/``). Anything far outside
that is refused before it is built into Python objects, because each of these made a small file
cost gigabytes or a traceback:

- aliases (``*name``) let a few hundred bytes stand for billions of values once the data is
  walked or merged (``based_on``), so the loader refuses the alias event itself;
- deep nesting (``[[[[...``) ran PyYAML's recursive composer into a RecursionError;
- a multi-megabyte file took minutes to parse with the pure-Python loader.

Two things YAML allows would change what a clinician wrote without a word, so they are refused
too: a key given twice in one mapping (PyYAML keeps the last: ``sets: 2`` then ``sets: 20`` ran
20 sets) and merge keys (``<<``), which copy values in from elsewhere.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml import AliasEvent, Event, MappingNode, Node, __with_libyaml__
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

# 256 KB: the largest shipped spec is under 4 KB, so this leaves room for 60 times more comments
# and rules, while the worst 256 KB file measured (a flow list of 26,000 small mappings) still
# parses in under 2 s on 2 busy cores.
MAX_YAML_BYTES = 256 * 1024
# The deepest shipped spec nests 5 levels (rules -> rule -> ok -> band -> value).
MAX_YAML_DEPTH = 32


class YamlLimitError(Exception):
    """A file over one of the bounds, or not readable as YAML; the message has no file name."""


class _Composer(Composer):
    """PyYAML's composer, refusing aliases and counting nesting as it builds the node tree."""

    if TYPE_CHECKING:  # given by the parser it is mixed with

        def peek_event(self) -> Event: ...

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, AliasEvent):
            raise YamlLimitError(
                f"line {line}: YAML aliases (*{event.anchor}) are not accepted; "
                "write the values out in full"
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise YamlLimitError(f"line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
        self._depth += 1
        try:
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1
        assert node is not None  # a node event was peeked above
        return node


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Constructor(SafeConstructor):
    """PyYAML's safe constructor, refusing merge keys and keys given twice in one mapping."""

    def flatten_mapping(self, node: MappingNode) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1 if key_node.start_mark else 0
            if key_node.tag == _MERGE_TAG:
                raise YamlLimitError(
                    f"line {line}: YAML merge keys (<<) are not accepted; write the values out "
                    "in full"
                )
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # a key that is itself a list or mapping: refused later
                continue
            if first is not None:
                raise YamlLimitError(
                    f"line {line}: the key {key!r} is given twice in one mapping (first on "
                    f"line {first}); keep one"
                )
            seen[key] = line
        super().flatten_mapping(node)


if __with_libyaml__:
    from yaml._yaml import CParser

    class _BoundedLoader(_Composer, CParser, _Constructor, Resolver):
        """libyaml scans and parses (3-5 times faster than PyYAML's own parser on a 256 KB
        file); the Python composer above builds the nodes, so its checks still apply."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)
            _Composer.__init__(self)

else:  # a PyYAML built without libyaml

    class _BoundedLoader(  # type: ignore[no-redef]
        Reader, Scanner, Parser, _Composer, _Constructor, Resolver
    ):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _Composer.__init__(self)
            _Constructor.__init__(self)
            Resolver.__init__(self)


def read_bounded_yaml(path: Path) -> Any:
    """The YAML document in ``path``, or :class:`YamlLimitError` saying which bound it breaks.

    Raises:
        OSError: The file cannot be opened or read.
        YamlLimitError: Not a regular file, too large, not UTF-8, not YAML, an alias, a merge
            key, a key given twice, or nested too deep.
    """
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        # A pipe or a device would block the read, or never end it.
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe, socket or device"
        raise YamlLimitError(f"{kind}, not a file")
    with path.open("rb") as f:
        raw = f.read(MAX_YAML_BYTES + 1)  # never more, whatever the file claims to be
    if len(raw) > MAX_YAML_BYTES:
        raise YamlLimitError(
            f"larger than {MAX_YAML_BYTES // 1024} KB, the most a spec or program may be"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlLimitError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        if "maximum nesting depth" in (exc.problem or ""):  # libyaml's own bound (1000) came first
            raise YamlLimitError(f"{where}nested more than {MAX_YAML_DEPTH} levels deep") from None
        raise YamlLimitError(f"not valid YAML ({where}{exc.problem or _first_line(exc)})") from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(f"not valid YAML ({_first_line(exc)})") from None
    except (ValueError, OverflowError) as exc:
        # PyYAML builds ints, floats and dates with Python's own parsers, which refuse e.g. an
        # integer of more than 4300 digits or a date with month 13.
        reason = _first_line(exc).split(";")[0]  # not Python's advice on raising its limit
        raise YamlLimitError(f"a value cannot be read ({reason})") from None
    finally:
        loader.dispose()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
