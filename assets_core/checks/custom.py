"""Custom checks: a function of the staged data, made a check of an asset by ``@check``."""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assets_core.checks.base import Check, CheckContext, CheckOutcome, _identity, _needs
from assets_core.errors import DefinitionError

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class CustomCheck(Check):
    """A check written as a function by :func:`check`; ``asset`` is the asset it validates."""

    fn: Callable[..., bool | CheckOutcome]
    asset: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or str(getattr(self.fn, "__name__", type(self.fn).__name__))

    @property
    def identity(self) -> str:
        return _identity("CustomCheck", {
            "asset": self.asset, "name": self.name, "severity": self.severity, "code": _source_fingerprint(self.fn),
        })

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> CheckOutcome:
        wants_context = "context" in inspect.signature(self.fn).parameters
        arguments = {"context": _needs(self, context, "its context parameter")} if wants_context else {}
        try:
            value = self.fn(data, **arguments)
        except Exception as exc:  # the user's bug, reported with the user's line
            return CheckOutcome(False, None, self._raised(exc))
        if isinstance(value, CheckOutcome):
            return value
        if isinstance(value, bool):
            return CheckOutcome(value)
        return CheckOutcome(False, None, f"{self.name} returned {type(value).__name__}, expected a bool or a CheckOutcome")

    def conclude(self, observed: Any, rows: int, context: CheckContext | None) -> CheckOutcome:
        outcome: CheckOutcome = observed
        return outcome if outcome.message else replace(outcome, message="ok" if outcome.passed else f"{self.name} failed")

    def _raised(self, exc: Exception) -> str:
        frames = traceback.extract_tb(exc.__traceback__)
        source = getattr(getattr(self.fn, "__code__", None), "co_filename", None)
        at = ([f for f in frames if f.filename == source] or frames)[-1]
        return f"{self.name} raised {type(exc).__name__}: {exc} ({at.filename}:{at.lineno})"


def _source_fingerprint(fn: Callable[..., Any]) -> str:
    from assets_core.definitions.specs import code_fingerprint

    try:
        return code_fingerprint(inspect.getsource(fn))
    except (OSError, TypeError, SyntaxError):  # no source (REPL, C function) or a lambda's fragment
        return str(getattr(fn, "__qualname__", None) or repr(fn))


def check(
    asset: str, blocking: bool = True, name: str | None = None
) -> Callable[[Callable[..., bool | CheckOutcome]], CustomCheck]:
    """Make a function of the staged data a check of ``asset``; return a bool or a CheckOutcome,
    and take a second parameter named ``context`` to receive the :class:`CheckContext`::

        @check(asset="orders", blocking=False)
        def no_future_orders(data: pl.DataFrame) -> bool:
            return data["ordered_at"].max() <= datetime.now(timezone.utc)
    """
    if not isinstance(asset, str):
        raise DefinitionError(['@check needs the asset it validates, with parentheses: @check(asset="orders").'])

    def decorate(fn: Callable[..., bool | CheckOutcome]) -> CustomCheck:
        parameters = inspect.signature(fn).parameters
        try:
            inspect.signature(fn).bind(None, **({"context": None} if "context" in parameters else {}))
        except TypeError as exc:
            raise DefinitionError([
                f"@check function '{getattr(fn, '__name__', fn)}' must take the staged data, "
                f"and optionally a parameter named context ({exc})."
            ]) from None
        return CustomCheck(fn, asset, name, severity="blocking" if blocking else "warn")

    return decorate
