"""The ``assets`` command line: the typer app, one module per command group; the only printer."""

from __future__ import annotations


def main() -> None:
    """The ``assets`` script: every command group registered, then the app run."""
    from assets_core.cli.app import main as run

    run()
