"""Hooks: webhooks against a real HTTP server on 127.0.0.1, callables written to tmp_path.

Every failure must come back as one line naming the hook and the cause, and never raise.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import socket
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from assets_core.execution.hooks import send, validate_hook

AT = datetime(2025, 1, 10, 12, 30, tzinfo=timezone.utc)
PAYLOAD: dict[str, Any] = {
    "event": "failure",
    "project": "shop",
    "run_id": "run-42",
    "asset": "daily_revenue",
    "partition": "2025-01-09",
    "status": "failed",
    "error": "ZeroDivisionError: division by zero",
    "checks": [{"name": "not_null(amount)", "passed": False}],
    "attempts": 3,
    "at": AT,
}
RECORDER = """
received = []

def on_failure(payload):
    received.append(payload)
"""


# -- a real HTTP server ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables: requests to 127.0.0.1 must not go through one."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


class Server(ThreadingHTTPServer):
    """Records every request; the path picks the answer (see ``Handler.ANSWERS``)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[Received] = []
        self.release = threading.Event()  # set at teardown so /slow stops waiting at once

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


class Handler(BaseHTTPRequestHandler):
    ANSWERS: dict[str, tuple[int, bytes, dict[str, str]]] = {
        "/ok": (200, b"", {}),
        "/fail": (500, b"database down", {}),
        "/redirect": (302, b"", {"Location": "/ok"}),
        "/slow": (200, b"", {}),
    }

    def do_POST(self) -> None:
        server = cast(Server, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server.received.append(Received(self.command, self.path, self.headers, body))
        if self.path == "/slow":
            server.release.wait(2)
        status, answer, headers = self.ANSWERS[urlsplit(self.path).path]
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client timed out and left
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest output is for the tests."""


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def closed_port() -> int:
    """A port nothing listens on: bound once, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- hook modules in tmp_path ----------------------------------------------------------------------


@pytest.fixture
def hook_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``hook_module(source, file="{}.py")``: writes source under a fresh module name, returns it.

    Fresh names keep the tests apart although imported hooks are cached for the process.
    """
    monkeypatch.setattr(sys, "path", list(sys.path))  # send() adds tmp_path; put it back after
    names: list[str] = []

    def write(source: str, file: str = "{}.py") -> str:
        name = f"hooks_{uuid.uuid4().hex[:12]}"
        path = tmp_path / file.format(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        return name

    yield write
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        del sys.modules[module]


def received_by(module: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], getattr(sys.modules[module], "received"))


# -- webhooks --------------------------------------------------------------------------------------


def test_webhook_receives_the_exact_json_payload(server: Server) -> None:
    assert send([server.url("/ok")], PAYLOAD) == []

    [request] = server.received
    assert (request.method, request.path) == ("POST", "/ok")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "assets-core"
    assert json.loads(request.body) == {**PAYLOAD, "at": "2025-01-10 12:30:00+00:00"}


def test_a_500_answer_is_reported_with_the_status_and_the_answer(server: Server) -> None:
    url = server.url("/fail")
    assert send([url], PAYLOAD) == [
        f"Hook '{url}' failed: the server answered HTTP 500 Internal Server Error: 'database down'."
    ]


def test_a_refused_connection_is_reported() -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hook"
    assert send([url], PAYLOAD) == [
        f"Hook '{url}' failed: connection refused by 127.0.0.1:{port}: is the server running?"
    ]


def test_a_server_slower_than_the_timeout_is_reported(server: Server) -> None:
    url = server.url("/slow")
    started = time.monotonic()
    problems = send([url], PAYLOAD, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert problems == [f"Hook '{url}' failed: timed out after 0.5 s waiting for 127.0.0.1:{server.server_port}."]


def test_a_failed_dns_lookup_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    assert send(["https://hooks.example.invalid/x"], PAYLOAD) == [
        "Hook 'https://hooks.example.invalid/x' failed: DNS lookup of 'hooks.example.invalid' failed"
        " (Name or service not known): check the host name."
    ]


def test_a_redirect_is_reported_not_followed_as_a_get_without_the_payload(server: Server) -> None:
    url = server.url("/redirect")
    assert send([url], PAYLOAD) == [
        f"Hook '{url}' failed: the server answered HTTP 302 Found, a redirect to /ok:"
        " put that URL in the hook, redirects are not followed."
    ]
    assert [request.path for request in server.received] == ["/redirect"]


def test_url_credentials_become_basic_auth_and_stay_out_of_the_log(server: Server) -> None:
    port = server.server_port
    problems = send([f"http://bot:s3cret@127.0.0.1:{port}/fail?token=t0ken"], PAYLOAD)

    assert problems == [
        f"Hook 'http://***@127.0.0.1:{port}/fail?***' failed:"
        " the server answered HTTP 500 Internal Server Error: 'database down'."
    ]
    [request] = server.received
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"bot:s3cret").decode()
    assert request.path == "/fail?token=t0ken"


def test_a_payload_json_cannot_hold_is_reported(server: Server) -> None:
    url = server.url("/ok")
    assert send([url], {"by_key": {("a", 1): 2}}) == [
        f"Hook '{url}' failed: the payload is not JSON-serializable:"
        " keys must be str, int, float, bool or None, not tuple"
    ]
    assert server.received == []


# -- callables -------------------------------------------------------------------------------------


def test_a_callable_in_the_project_folder_receives_the_payload(
    hook_module: Callable[..., str], tmp_path: Path
) -> None:
    module = hook_module(RECORDER)
    hook = f"{module}:on_failure"

    assert send([hook], PAYLOAD, project_root=tmp_path) == []
    assert send([hook], PAYLOAD, project_root=tmp_path) == []

    assert received_by(module) == [PAYLOAD, PAYLOAD]
    assert sys.path.count(str(tmp_path.resolve())) == 1


def test_a_dotted_module_path_and_attribute_path_work(hook_module: Callable[..., str], tmp_path: Path) -> None:
    package = hook_module(
        """
        class Pager:
            sent = []

            @staticmethod
            def send(payload):
                Pager.sent.append(payload)
        """,
        "{}/alerts.py",
    )
    assert send([f"{package}.alerts:Pager.send"], PAYLOAD, project_root=tmp_path) == []
    assert getattr(sys.modules[f"{package}.alerts"], "Pager").sent == [PAYLOAD]


def test_a_callable_is_imported_once_per_process(hook_module: Callable[..., str], tmp_path: Path) -> None:
    module = hook_module(
        """
        from pathlib import Path
        with Path(__file__).with_suffix(".imports").open("a") as log:
            log.write("imported\\n")

        def on_failure(payload):
            pass
        """
    )
    assert send([f"{module}:on_failure"], PAYLOAD, project_root=tmp_path) == []
    sys.modules.pop(module)  # a second import would have to come from the file again
    assert send([f"{module}:on_failure"], PAYLOAD, project_root=tmp_path) == []

    assert (tmp_path / f"{module}.imports").read_text() == "imported\n"


@pytest.mark.parametrize(
    ("raise_it", "said"),
    [
        ("raise ValueError('disk full')", "it raised ValueError: disk full"),
        ("raise SystemExit(3)", "it raised SystemExit: 3"),  # sys.exit() in a hook must not end the run
    ],
)
def test_a_callable_that_raises_is_reported_with_type_message_and_line(
    hook_module: Callable[..., str], tmp_path: Path, raise_it: str, said: str
) -> None:
    module = hook_module(f"def on_failure(payload):\n    {raise_it}\n")
    assert send([f"{module}:on_failure"], PAYLOAD, project_root=tmp_path) == [
        f"Hook '{module}:on_failure' failed: {said} (at {tmp_path.resolve() / module}.py:2)"
    ]


def test_an_unknown_module_is_reported(hook_module: Callable[..., str], tmp_path: Path) -> None:
    assert send(["no_such_alerts:page"], PAYLOAD, project_root=tmp_path) == [
        f"Hook 'no_such_alerts:page' failed: module 'no_such_alerts' was not found or in the project folder"
        f" {tmp_path}: check the module and file names."
    ]


def test_a_missing_function_is_reported_with_the_nearest_name(
    hook_module: Callable[..., str], tmp_path: Path
) -> None:
    module = hook_module(RECORDER)
    assert send([f"{module}:on_failur"], PAYLOAD, project_root=tmp_path) == [
        f"Hook '{module}:on_failur' failed: module '{module}' has no attribute 'on_failur'. Did you mean 'on_failure'?"
    ]


def test_a_hook_that_is_not_callable_is_reported(hook_module: Callable[..., str], tmp_path: Path) -> None:
    module = hook_module(RECORDER)
    assert send([f"{module}:received"], PAYLOAD, project_root=tmp_path) == [
        f"Hook '{module}:received' failed: {module}:received is a list, not a function:"
        " point the hook at a function taking the payload dict."
    ]


def test_an_async_hook_is_reported_not_silently_skipped(hook_module: Callable[..., str], tmp_path: Path) -> None:
    module = hook_module("async def on_failure(payload):\n    pass\n")
    assert send([f"{module}:on_failure"], PAYLOAD, project_root=tmp_path) == [
        f"Hook '{module}:on_failure' failed: it is an async function, which hooks do not await: make it a plain 'def'."
    ]


def test_a_hook_editing_the_payload_changes_nothing_for_the_next_or_the_caller(
    hook_module: Callable[..., str], tmp_path: Path
) -> None:
    vandal = hook_module("def on_failure(payload):\n    payload['checks'].clear()\n    payload['asset'] = 'x'\n")
    recorder = hook_module(RECORDER)
    payload = {"asset": "orders", "checks": [{"name": "unique(id)"}]}

    assert send([f"{vandal}:on_failure", f"{recorder}:on_failure"], payload, project_root=tmp_path) == []

    assert received_by(recorder) == [{"asset": "orders", "checks": [{"name": "unique(id)"}]}]
    assert payload == {"asset": "orders", "checks": [{"name": "unique(id)"}]}


# -- many hooks, logging ---------------------------------------------------------------------------


def test_every_hook_is_attempted_in_order_when_earlier_ones_fail(
    server: Server, hook_module: Callable[..., str], tmp_path: Path
) -> None:
    module = hook_module(RECORDER)
    refused = f"http://127.0.0.1:{closed_port()}/hook"
    hooks = ["nocolon", refused, f"{module}:on_failure", server.url("/ok")]

    problems = send(hooks, PAYLOAD, project_root=tmp_path)

    assert [problem.split(" ")[1] for problem in problems] == ["'nocolon'", f"'{refused}'"]
    assert received_by(module) == [PAYLOAD]
    assert [request.path for request in server.received] == ["/ok"]


def test_each_problem_is_logged_as_one_warning_line(
    hook_module: Callable[..., str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    module = hook_module("def on_failure(payload):\n    raise RuntimeError('pager down\\n  retry later')\n")
    with caplog.at_level(logging.WARNING, logger="assets.notify"):
        problems = send(["nocolon", f"{module}:on_failure"], PAYLOAD, project_root=tmp_path)

    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("assets.notify", logging.WARNING, problem) for problem in problems
    ]
    assert "it raised RuntimeError: pager down retry later (at " in problems[1]
    assert all("\n" not in problem for problem in problems)


# -- validate_hook ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hook",
    [
        "my_alerts:page_oncall",
        "alerts.pager:Pager.send",
        "http://127.0.0.1:8080/hook",
        "https://example.com/assets-webhook?token=abc",
        "HTTPS://user:pw@EXAMPLE.com",
    ],
)
def test_well_formed_hooks_validate(hook: str) -> None:
    assert validate_hook(hook) is None


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        (
            "nocolon",
            "Hook 'nocolon' has no colon: write a callable as 'module:function', a webhook as 'https://…'.",
        ),
        (
            "my_alerts.page_oncall",
            "Hook 'my_alerts.page_oncall' has no colon: write a callable as 'module:function',"
            " a webhook as 'https://…'. Did you mean 'my_alerts:page_oncall'?",
        ),
        (
            "example.com/hook",
            "Hook 'example.com/hook' has no colon: write a callable as 'module:function', a webhook as 'https://…'.",
        ),
        (
            "http://[::1/hook",
            "Hook 'http://[::1/hook' is not a valid URL (Invalid IPv6 URL): write it like 'https://example.com/hook'.",
        ),
        ("ftp://x", "Hook 'ftp://x' uses the URL scheme 'ftp': webhooks must start with http:// or https://."),
        ("mod:", "Hook 'mod:' names no function after the colon: write it like 'mod:page_oncall'."),
        (":page", "Hook ':page' names no module before the colon: write it like 'my_alerts:page'."),
        ("", "Hook '' is empty: write 'my_alerts:page_oncall' or 'https://example.com/hook'."),
        ("  ", "Hook '  ' is empty: write 'my_alerts:page_oncall' or 'https://example.com/hook'."),
        (" a:b", "Hook ' a:b' contains spaces: remove them."),
        ("a:b:c", "Hook 'a:b:c' has more than one colon: write 'module:function', or 'http(s)://' for a webhook."),
        (
            "my-alerts:page",
            "Hook 'my-alerts:page': 'my-alerts' is not a module name: use identifiers joined by dots,"
            " like 'alerts.pager'.",
        ),
        (
            "alerts:page()",
            "Hook 'alerts:page()': 'page()' is not a function name: use a Python identifier, like 'page_oncall'.",
        ),
        ("http://", "Hook 'http://' has no host: write the whole URL, like 'https://example.com/hook'."),
        (  # the slashes forgotten
            "https:example.com",
            "Hook 'https:example.com' has no host: write the whole URL, like 'https://example.com/hook'.",
        ),
        (
            "http://h:99999/x",
            "Hook 'http://h:99999/x' has a bad port: write a number up to 65535, like 'http://127.0.0.1:8080/hook'.",
        ),
    ],
)
def test_malformed_hooks_say_what_is_wrong_and_the_fix(hook: str, message: str) -> None:
    assert validate_hook(hook) == message


def test_a_malformed_hook_is_reported_by_send_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    assert send(["ftp://x"], PAYLOAD) == [
        "Hook 'ftp://x' uses the URL scheme 'ftp': webhooks must start with http:// or https://."
    ]
    assert caplog.messages == [
        "Hook 'ftp://x' uses the URL scheme 'ftp': webhooks must start with http:// or https://."
    ]
