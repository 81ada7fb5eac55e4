"""How an option schema reads a user's options: the one pydantic config every option model uses,
and the one rule that turns a ``ValidationError`` into the project's one-line messages.

    >>> from pydantic import BaseModel, Field
    >>> class Pool(BaseModel):
    ...     model_config = SCHEMA
    ...     size: int = Field(1, ge=1, description="give a whole number above 0")
    >>> read_options(Pool, {"sise": 2}, "assets.toml [pool]", noun="key")[1]
    ["assets.toml [pool]: unknown key 'sise'. Did you mean 'size'?"]

A field's ``description`` says what to write instead; it ends every message about that field.
"""

from __future__ import annotations

import reprlib
import types
import typing
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from assets_core.errors import DefinitionError

SCHEMA = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
"""Unknown keys are mistakes, a read option never changes, and definitions (partitions,
checks, mappings) are taken as the objects they are."""

Model = TypeVar("Model", bound=BaseModel)

POLICY_ERROR = "policy"
"""The type of a ``PydanticCustomError`` raised by a model validator for a rule between its
fields (``warn_after`` longer than ``error_after``): its message is the fix, where another
error's fix is the field's description."""

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60  # a value in a message, not a dump of it


class OptionsModel(BaseModel):
    """A schema users also call in code (``RetryPolicy(max_attempts=3)``): a mistake there is a
    :class:`DefinitionError` naming the option, not pydantic's ValidationError."""

    model_config = SCHEMA

    if not TYPE_CHECKING:  # type checkers see the fields' own signature, which flags a misspelt option

        def __init__(self, **values: Any) -> None:
            try:
                super().__init__(**values)
            except ValidationError as exc:
                raise DefinitionError(problems_from(exc, type(self), type(self).__name__)) from None

        # pydantic calls a custom __init__ when it validates a nested dict too (a [retry] table);
        # marked as the base one, it is called only here, so a nested mistake keeps its location.
        __init__.__pydantic_base_init__ = True


def read_options(
    model: type[Model], values: Mapping[str, Any], where: str, noun: str = "option"
) -> tuple[Model, list[str]]:
    """``values`` validated by ``model``, and one line per mistake.

    With mistakes, the model is read again without the keys that were wrong, so that a spec
    can still be built and its other problems found and reported with these (every field has
    a default for that reason).
    """
    try:
        return model.model_validate(values), []
    except ValidationError as exc:
        problems = problems_from(exc, model, where, noun, given=list(values))
        wrong = {error["loc"][0] for error in exc.errors() if error["loc"]}
        return model.model_validate({k: v for k, v in values.items() if k not in wrong}), problems


def problems_from(
    exc: ValidationError,
    model: type[BaseModel],
    where: str,
    noun: str = "option",
    given: Sequence[str] = (),
    tables: bool = False,
) -> list[str]:
    """One line per problem: ``Asset 'daily_revenue': unknown option 'partition'. Did you mean
    'partitions'?``, ``assets.toml [retry] has max_attempts='3': give a whole number of attempts,
    1 or more.`` ``where`` names the asset or the file (and table); the lines follow the order
    of the ``given`` keys, then the model's.

    A misspelt required key is said once: as unknown, with the closest name, not also missing.
    With ``tables``, the model is a TOML file whose fields are its tables: ``assets.toml
    [retry]: unknown key 'max_atempts'. Did you mean 'max_attempts'?``.
    """
    errors = exc.errors()
    suggested = {
        (*error["loc"][:-1], close)
        for error in errors
        if error["type"] == "extra_forbidden"
        for close in _closest(model, error["loc"])
    }
    errors = [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in suggested)]
    position = {key: i for i, key in enumerate(given)}
    errors.sort(key=lambda error: position.get(str(error["loc"][0]), len(position)) if error["loc"] else -1)
    return [_problem(error, model, where, noun, tables) for error in errors]


def unknown_key(where: str, noun: str, key: str, names: Sequence[str], close: str | None = "") -> str:
    """``{where}: unknown option 'partition'. Did you mean 'partitions'?``, or the valid names
    when none is close; ``close=""`` looks for the closest name itself."""
    if close == "":
        close = next(iter(get_close_matches(key, names, n=1)), None)
    hint = f". Did you mean '{close}'?" if close else f": use {', '.join(names)}."
    return f"{where}: unknown {noun} '{key}'{hint}"


def _closest(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The valid key nearest to the unknown one at ``loc``, if one is near."""
    return get_close_matches(str(loc[-1]), list(_model_at(model, loc[:-1]).model_fields), n=1)


def _problem(error: ErrorDetails, model: type[BaseModel], where: str, noun: str, tables: bool) -> str:
    loc = tuple(error["loc"])
    shown = loc
    if tables and len(loc) > 1:
        where, shown = f"{where} [{loc[0]}]", loc[1:]
    elif tables and loc:
        noun, shown = "table", (f"[{loc[0]}]",)
    key = _dotted(shown)
    if error["type"] == "extra_forbidden":
        close = _closest(model, loc)
        names = _model_at(model, loc[:-1]).model_fields
        if noun == "table":
            hint = f". Did you mean [{close[0]}]?" if close else f": use {', '.join(f'[{n}]' for n in names)}."
            return f"{where}: unknown table {key}{hint}"
        return unknown_key(where, noun, key, list(names), close[0] if close else None)
    # A rule between several options of one value (POLICY_ERROR) says itself what to fix.
    fix = _sentence(error["msg"]) if error["type"] == POLICY_ERROR else _description(model, loc) or _sentence(error["msg"])
    if error["type"] == "missing":
        return f"{where}: {'table ' if noun == 'table' else ''}{key} is missing: {fix}."
    return f"{where} has {key}={_SHOWN.repr(error['input'])}: {fix}."


def _dotted(loc: tuple[int | str, ...]) -> str:
    """``('checks', 0)`` -> ``checks[0]``, ``('retry', 'delay')`` -> ``retry.delay``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _description(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """The description of the deepest field along ``loc`` that has one."""
    found = None
    current: type[BaseModel] | None = model
    for part in loc:
        field = current.model_fields.get(part) if current is not None and isinstance(part, str) else None
        if field is None:
            break
        found = field.description or found
        current = _nested_model(field.annotation)
    return found


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model whose keys are read at ``loc`` (the top one, or a nested model such as a
    RetryPolicy given as a dict)."""
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        nested = None if field is None else _nested_model(field.annotation)
        if nested is None:
            break
        model = nested
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """``RetryPolicy`` from ``RetryPolicy | None``; None when the field holds no model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next(filter(None, map(_nested_model, typing.get_args(annotation))), None)
    return None


def _sentence(message: str) -> str:
    """pydantic's own message, for fields without a description: ``input should be ...``."""
    return message[:1].lower() + message[1:]
