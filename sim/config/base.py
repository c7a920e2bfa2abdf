"""The base of every scenario section: unknown fields refused, frozen, no yes/no numbers."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


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

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields[info.field_name]
            if not _allows_bool(field.annotation):
                raise ValueError(f"expected a number or a name, got the yes/no value {str(value).lower()}")
        return value
