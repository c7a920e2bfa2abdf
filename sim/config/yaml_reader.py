"""Reading YAML strictly: what a scenario file says is what the model gets, or it is refused.

PyYAML's safe loader keeps the last of two duplicate keys (a second policy of the same
name silently replaces the first), reads `yes`/`no`/`on`/`off` as booleans, reads `1e4` as
text, accepts `.inf` and `.nan`, and follows aliases and nesting without limit. This
reader refuses duplicates naming both lines, keeps only `true`/`false` as booleans, reads
exponent numbers as numbers, refuses non-finite numbers, and bounds the document's size,
nesting depth and alias count before anything is built from it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

MAX_BYTES = 10_000_000  # a scenario or population file is a few kilobytes
MAX_DEPTH = 64  # the deepest scenario field is about 8 levels down
MAX_ALIASES = 100  # anchors are fine for sharing a coupon; thousands are an expansion bomb

_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"


class YAMLProblem(ValueError):
    """The document cannot be read as a scenario; `line` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLProblem(f"more than {MAX_ALIASES} aliases (*name): refused as a possible "
                                  "expansion bomb", self.peek_event().start_mark.line + 1)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLProblem(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise YAMLProblem("a key must be a plain name", line)
                if key in seen:
                    raise YAMLProblem(f"duplicate key {key!r} (first on line {seen[key]}); each key may "
                                      "appear once in its section", line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise YAMLProblem(f"{node.value!r} is not a finite number", node.start_mark.line + 1)
        return value


# YAML 1.2 booleans only, so `yes` stays text and a number field refuses it.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
# 1e4 and 2E-3 are numbers (YAML 1.1 wants a dot in them).
_StrictLoader.add_implicit_resolver(_FLOAT, re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                                    list("-+0123456789"))
_StrictLoader.add_constructor(_FLOAT, _StrictLoader.construct_yaml_float)


def read_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (for line numbers); YAMLProblem if refused."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YAMLProblem(f"the file is larger than {MAX_BYTES // 1_000_000} MB; a scenario is a few kilobytes")
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise YAMLProblem(f"nested more than {MAX_DEPTH} levels deep") from None
    except ConstructorError as exc:
        mark = exc.problem_mark
        raise YAMLProblem(str(exc.problem), mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    return data, node
