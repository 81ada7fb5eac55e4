"""Failure and quarantine hooks: tell someone when a partition fails or is quarantined.

A hook is one string from ``[hooks]`` in ``assets.toml``, either

- a Python callable, ``"module:function"``: the module is imported with the project folder on
  ``sys.path`` (dotted module paths and ``module:object.attribute`` work), and the function is
  called with one argument, the payload dict;
- a webhook URL, ``"http://..."`` or ``"https://..."``: the payload is POSTed as JSON
  (``Content-Type: application/json``, ``User-Agent: assets-core``), serialized with
  ``json.dumps(payload, default=str)`` so datetimes and paths become strings.

The payload is whatever the caller passes; this module only delivers it. The engine sends
one dict per failed or quarantined partition, shaped like this (values are examples)::

    {
        "event": "failure",            # or "quarantine"
        "project": "shop",             # the project's name
        "run_id": "…",                 # the run it happened in
        "asset": "daily_revenue",
        "partition": "2024-05-01",     # None for an unpartitioned asset
        "status": "failed",            # the partition's status after the run
        "error": "ZeroDivisionError: division by zero",  # None when only checks failed
        "checks": [{"name": "not_null(amount)", "passed": False}],  # check results, maybe []
        "attempts": 3,                 # tries made, retries included
        "at": "2024-05-02T03:04:05+00:00",  # when it happened, UTC
    }

Hooks are best-effort: ``send`` never raises, because an alert that cannot be delivered must
not turn into a second failure of the run. Each problem is logged as one warning line on the
``assets.notify`` logger and returned, so the caller can record it.

    >>> validate_hook("my_alerts:page_oncall") is None
    True
    >>> validate_hook("mod:")
    "Hook 'mod:' names no function after the colon: write it like 'mod:page_oncall'."
"""

from __future__ import annotations

import base64
import copy
import difflib
import http.client
import importlib
import inspect
import json
import keyword
import logging
import re
import socket
import ssl
import sys
import threading
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = ["send", "validate_hook"]

_log = logging.getLogger("assets.notify")

_Hook = Callable[[dict[str, Any]], object]

# A hook's own mistakes: ``sys.exit()`` inside a hook must not end the run either.
# KeyboardInterrupt still stops everything, as the user asked.
_USER_ERRORS = (Exception, SystemExit)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_WEB_SCHEMES = ("http", "https")
_MAX_LINE = 500
_EXAMPLE = "'my_alerts:page_oncall' or 'https://example.com/hook'"

_CALLABLES: dict[str, _Hook] = {}
_PATH_LOCK = threading.Lock()


class _HookFailed(Exception):
    """Why one hook could not be delivered; the message is the cause, without the hook."""


# -- validation ----------------------------------------------------------------------------------


def validate_hook(hook: str) -> str | None:
    """None when the hook text is well formed, else one line: what is wrong and how to fix it.

    Checks the shape only (nothing is imported or contacted), so a project can report every
    bad hook at load time, before any data moves.

        >>> validate_hook("https://example.com/hook") is None
        True
        >>> validate_hook("ftp://x")
        "Hook 'ftp://x' uses the URL scheme 'ftp': webhooks must start with http:// or https://."
    """
    if not hook.strip():
        return f"Hook {hook!r} is empty: write {_EXAMPLE}."
    if any(char.isspace() for char in hook):
        return f"Hook {_display(hook)!r} contains spaces: remove them."
    if _is_url(hook):
        return _url_problem(hook)
    return _callable_problem(hook)


def _is_url(hook: str) -> bool:
    """``scheme://…``, or ``http:``/``https:`` with the slashes forgotten."""
    match = _SCHEME.match(hook)
    return match is not None and (hook[match.end() :].startswith("//") or match.group(1).lower() in _WEB_SCHEMES)


def _url_problem(url: str) -> str | None:
    shown = _display(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
        return f"Hook {shown!r} is not a valid URL ({exc}): write it like 'https://example.com/hook'."
    if parts.scheme.lower() not in _WEB_SCHEMES:
        return f"Hook {shown!r} uses the URL scheme {parts.scheme!r}: webhooks must start with http:// or https://."
    if not parts.hostname:
        return f"Hook {shown!r} has no host: write the whole URL, like 'https://example.com/hook'."
    try:
        parts.port
    except ValueError:
        return f"Hook {shown!r} has a bad port: write a number up to 65535, like 'http://127.0.0.1:8080/hook'."
    return None


def _callable_problem(hook: str) -> str | None:
    module, colon, attribute = hook.partition(":")
    if not colon:
        guess = f" Did you mean {':'.join(hook.rsplit('.', 1))!r}?" if "." in hook and _is_dotted_name(hook) else ""
        return f"Hook {hook!r} has no colon: write a callable as 'module:function', a webhook as 'https://…'.{guess}"
    if ":" in attribute:
        return f"Hook {hook!r} has more than one colon: write 'module:function', or 'http(s)://' for a webhook."
    if not module:
        return f"Hook {hook!r} names no module before the colon: write it like 'my_alerts{hook}'."
    if not attribute:
        return f"Hook {hook!r} names no function after the colon: write it like '{hook}page_oncall'."
    if not _is_dotted_name(module):
        return f"Hook {hook!r}: {module!r} is not a module name: use identifiers joined by dots, like 'alerts.pager'."
    if not _is_dotted_name(attribute):
        return f"Hook {hook!r}: {attribute!r} is not a function name: use a Python identifier, like 'page_oncall'."
    return None


def _is_dotted_name(text: str) -> bool:
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))


# -- delivery ------------------------------------------------------------------------------------


def send(
    hooks: Sequence[str], payload: dict[str, Any], project_root: Path | None = None, timeout: float = 5.0
) -> list[str]:
    """Deliver ``payload`` to every hook, in order; the one-line problems, [] when all succeeded.

    Never raises: a failing hook is logged as a warning on ``assets.notify`` and the next one
    is still tried, because an alert must never fail the run it reports on. ``project_root``
    goes on ``sys.path`` so ``module:function`` hooks can live in the project folder;
    ``timeout`` (seconds) bounds each connect and each read of a webhook (not the DNS lookup).
    Callables run in this thread with no timeout: keep them quick.

        >>> send(["nocolon"], {"event": "failure"})
        ["Hook 'nocolon' has no colon: write a callable as 'module:function', a webhook as 'https://…'."]
    """
    problems: list[str] = []
    for hook in hooks:
        problem = _deliver(hook, payload, project_root, timeout)
        if problem is not None:
            _log.warning("%s", problem)
            problems.append(problem)
    return problems


def _deliver(hook: str, payload: dict[str, Any], project_root: Path | None, timeout: float) -> str | None:
    try:
        invalid = validate_hook(hook)
        if invalid is not None:
            return invalid
        if _is_url(hook):
            _post(hook, payload, timeout)
        else:
            _call(hook, payload, project_root)
    except _HookFailed as failed:
        return _one_line(f"Hook {_display(hook)!r} failed: {failed}")
    except Exception as exc:  # a bug of ours must not fail the run either
        return _one_line(f"Hook {_display(hook)!r} failed unexpectedly: {type(exc).__name__}: {exc}")
    return None


def _one_line(text: str) -> str:
    """Log lines stay single: user exception messages may hold newlines or whole documents."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def _display(hook: str) -> str:
    """The hook as logs may show it: URL credentials and query strings often hold secrets."""
    try:
        parts = urlsplit(hook)
    except ValueError:  # not a URL urllib could use either: nothing to hide
        return hook
    if not _is_url(hook) or not ("@" in parts.netloc or parts.query):
        return hook
    _, at, host = parts.netloc.rpartition("@")
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{'***@' if at else ''}{host}{parts.path}{query}"


# -- callables -----------------------------------------------------------------------------------


def _call(hook: str, payload: dict[str, Any], project_root: Path | None) -> None:
    function = _resolve(hook, project_root)
    try:
        result = function(_private_copy(payload))
    except _USER_ERRORS as exc:
        _log.debug("Traceback of hook %r:", hook, exc_info=exc)
        raise _HookFailed(f"it raised {type(exc).__name__}: {exc}{_where(exc)}") from exc
    if inspect.iscoroutine(result):
        result.close()  # nothing would ever await it: say so rather than warn "never awaited"
        raise _HookFailed("it is an async function, which hooks do not await: make it a plain 'def'.")


def _private_copy(payload: dict[str, Any]) -> dict[str, Any]:
    """Each callable gets its own copy, so one hook editing it cannot change what the next sees."""
    try:
        return copy.deepcopy(payload)
    except Exception:  # something uncopyable inside (a lock, a connection): protect the top level
        return dict(payload)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def _resolve(hook: str, project_root: Path | None) -> _Hook:
    """Imported once per process: hooks fire per failed partition, imports are not free."""
    if hook not in _CALLABLES:
        _CALLABLES[hook] = _load(hook, project_root)
    return _CALLABLES[hook]


def _load(hook: str, project_root: Path | None) -> _Hook:
    module_name, _, attribute = hook.partition(":")
    if project_root is not None:
        _put_on_path(project_root)
    target: object = _import(module_name, project_root)
    for part in attribute.split("."):
        target = _attribute(target, part, module_name)
    if not callable(target):
        kind = type(target).__name__
        raise _HookFailed(f"{hook} is a {kind}, not a function: point the hook at a function taking the payload dict.")
    return target


def _put_on_path(project_root: Path) -> None:
    root = str(project_root.resolve())
    with _PATH_LOCK:  # two threads must not both insert it
        if root not in sys.path:
            sys.path.insert(0, root)


def _import(module_name: str, project_root: Path | None) -> object:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            where = f" or in the project folder {project_root}" if project_root is not None else " on sys.path"
            raise _HookFailed(f"module {module_name!r} was not found{where}: check the module and file names.") from exc
        raise _HookFailed(f"importing {module_name!r} raised ModuleNotFoundError: {exc}{_where(exc)}") from exc
    except _USER_ERRORS as exc:
        raise _HookFailed(f"importing {module_name!r} raised {type(exc).__name__}: {exc}{_where(exc)}") from exc


def _attribute(owner: object, name: str, module_name: str) -> object:
    try:
        return getattr(owner, name)
    except AttributeError:
        close = difflib.get_close_matches(name, [n for n in dir(owner) if not n.startswith("_")], n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        where = f"module {module_name!r}" if inspect.ismodule(owner) else f"{type(owner).__name__} object"
        raise _HookFailed(f"{where} has no attribute {name!r}.{guess}") from None


# -- webhooks ------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Following a redirect would turn the POST into a GET and drop the payload: report it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _post(url: str, payload: dict[str, Any], timeout: float) -> None:
    parts = urlsplit(url)
    request = _request(parts, payload)
    try:
        # urllib raises HTTPError for every answer outside 2xx, redirects included (see above).
        urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        raise _HookFailed(_status_problem(exc)) from exc
    except urllib.error.URLError as exc:
        raise _HookFailed(_connection_problem(exc.reason, parts, timeout)) from exc
    except (OSError, http.client.HTTPException) as exc:  # after connecting, urllib does not wrap errors
        raise _HookFailed(_connection_problem(exc, parts, timeout)) from exc


def _request(parts: SplitResult, payload: dict[str, Any]) -> urllib.request.Request:
    """The POST; ``user:password@`` in the URL becomes Basic auth, which urllib does not do itself."""
    headers = {"Content-Type": "application/json", "User-Agent": "assets-core"}
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:
        headers["Authorization"] = "Basic " + base64.b64encode(unquote(userinfo).encode()).decode()
    try:
        body = json.dumps(payload, default=str).encode()
    except (TypeError, ValueError) as exc:  # non-string keys, circular references
        raise _HookFailed(f"the payload is not JSON-serializable: {exc}") from exc
    return urllib.request.Request(parts._replace(netloc=host).geturl(), data=body, headers=headers, method="POST")


def _status_problem(exc: urllib.error.HTTPError) -> str:
    answered = f"the server answered HTTP {exc.code} {exc.reason}"
    try:
        if 300 <= exc.code < 400:
            target = exc.headers.get("Location", "elsewhere")
            return f"{answered}, a redirect to {target}: put that URL in the hook, redirects are not followed."
        body = _first_bytes(exc)
        return f"{answered}: {body!r}." if body else f"{answered}."
    finally:
        exc.close()  # an HTTPError holds the open connection


def _first_bytes(exc: urllib.error.HTTPError) -> str:
    """The start of an error answer often says why (a bad token, a missing field)."""
    try:
        return exc.read(200).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""


def _connection_problem(reason: object, parts: SplitResult, timeout: float) -> str:
    address = f"{parts.hostname}:{parts.port or (443 if parts.scheme.lower() == 'https' else 80)}"
    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused by {address}: is the server running?"
    if isinstance(reason, TimeoutError):
        return f"timed out after {timeout:g} s waiting for {address}."
    if isinstance(reason, socket.gaierror):
        return f"DNS lookup of {parts.hostname!r} failed ({reason.strerror}): check the host name."
    if isinstance(reason, ssl.SSLError):
        return f"TLS error with {address}: {reason}."
    if isinstance(reason, ConnectionResetError):
        return f"{address} closed the connection without answering."
    return f"could not reach {address}: {type(reason).__name__}: {reason}."
