"""Validating user-supplied parameters into pydantic models with one readable error: the first problem, naming
the field (`where: message`), as every run-parameter parser of the product reports it."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def validate_or_explain(model: type[M], data: Any, what: str = "") -> M:
    """`model` validated from `data`; a ValueError "<what> <field>: <message>" for the first problem otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        prefix = f"{what} {where}" if what else where
        raise ValueError(f"{prefix}: {first['msg'].removeprefix('Value error, ')}") from error
