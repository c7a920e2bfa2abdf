"""The base of every scenario section: unknown fields refused, frozen, no yes/no numbers."""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

YES_NO = "yes_no"
"""Error type of a `true`/`false` given where a number or text belongs; its context names the field."""


def _allows_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _allows_bool(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_allows_bool(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    return False


class Section(BaseModel):
    """A scenario section. A `true`/`false` where a number or text belongs is refused, not read as 1/0."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _yes_no_keys: ClassVar[frozenset[str]]  # input keys (names and aliases) of fields that refuse yes/no

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        # One check a section rather than a validator on each of its 220-odd fields, which
        # pydantic builds one by one when the models are defined (8 ms of `sim validate`).
        if isinstance(data, dict):
            keys = cls.__dict__.get("_yes_no_keys")
            if keys is None:
                keys = frozenset(key for name, field in cls.model_fields.items() if not _allows_bool(field.annotation)
                                 for key in (name, field.alias or name))
                cls._yes_no_keys = keys
            for key, value in data.items():
                if isinstance(value, bool) and key in keys:
                    raise PydanticCustomError(YES_NO, "expected a number or a name, got the yes/no value {value}",
                                              {"field": key, "value": str(value).lower()})
        return data
