"""The ``assets`` command line: the typer app (``app``), one module per command group, one
output module (``output``); the only package that prints, and the only one that imports
typer and rich."""

from __future__ import annotations

import os


def main() -> None:
    """The ``assets`` script: the app, with every command group registered, run."""
    # pydantic looks for plugins through importlib.metadata on its first model (~30 ms of every
    # command's start-up); the CLI uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from assets_core.cli.app import app
    from assets_core.cli.usage import run

    run(app)
