"""The report's data put into one self-contained HTML file: the template, its style, its
script and the data inline, nothing fetched when it is opened.

User text is safe twice over: the data is a JSON block in which ``<``, ``>`` and ``&`` are
escaped (so no text can close the block or open a tag), the script only ever puts it on the
page as text; and a Content-Security-Policy lets run only the report's own script (by its
hash), so that even a tag that got through could not run.

    >>> embed_json({"description": "</script><script>alert(1)</script>"})
    '{"description":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from importlib.resources import files
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_UNSAFE_IN_SCRIPT = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE = re.compile("[<>&\u2028\u2029]")


def render(data: dict[str, Any]) -> str:
    """The whole HTML page for ``data`` (:func:`assets_core.reports.html.data.report_data`)."""
    package = files("assets_core.reports.html")
    script = package.joinpath("report.js").read_text(encoding="utf-8")
    style = package.joinpath("report.css").read_text(encoding="utf-8")
    policy = (f"default-src 'none'; script-src '{_digest(script)}'; style-src '{_digest(style)}'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    parts = {
        "csp": policy,
        "title": html.escape(f"{data.get('project', 'assets')}: assets report"),
        "style": style,
        "script": script,
        "data": embed_json(data),
    }
    template = package.joinpath("template.html").read_text(encoding="utf-8")
    # One pass over the template: text substituted in is never searched for placeholders again.
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)


def embed_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``</script>``, no
    ``<!--``, and no line separator that an older parser reads as a line break."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _UNSAFE.sub(lambda m: _UNSAFE_IN_SCRIPT[m.group(0)], text)


def _digest(text: str) -> str:
    """A CSP source for an inline block: the base64 SHA-256 of its exact text."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
