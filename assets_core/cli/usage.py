"""Usage errors (an unknown option or command, a missing argument, a bad value) as one
``error:`` line naming the closest valid option or command, exit 2, like every other user
mistake: not the framed box typer draws around click's message.

>>> run(app)  # doctest: +SKIP   what ``assets_core.cli.main`` does
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

import typer

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover  older typer, on click itself
    from click import exceptions as click  # type: ignore[no-redef]


def run(app: typer.Typer) -> None:
    """Run ``app`` on the process's arguments, then exit with its code."""
    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # ``assets`` alone: the help, as typer prints it
        typer.echo(exc.ctx.get_help())
        sys.exit(2)
    except click.UsageError as exc:
        from assets_core.cli.output import console, styled

        console(stderr=True).print(styled("error:", "red"), usage_line(exc, _command_path(app, sys.argv[1:])))
        sys.exit(2)
    except typer.Abort:  # Ctrl-C or end of input outside a command (in a prompt, at start-up)
        from assets_core.cli.output import console, styled

        console(stderr=True).print(styled("interrupted.", "red"))
        sys.exit(130)
    sys.exit(code if type(code) is int else 0)  # typer.Exit's code; a command's own return value is not one


def usage_line(exc: click.UsageError, command_path: str = "assets") -> str:
    """What was wrong, the closest valid name when there is one, and where the full usage is
    (``command_path``: the command the arguments name, for an error that does not say it)."""
    ctx = exc.ctx
    command = ctx.command_path if ctx is not None else command_path
    help_hint = f"`{command} --help` lists what it takes."
    if isinstance(exc, click.NoSuchOption) and ctx is not None:
        closest = _closest(exc.option_name, _option_names(ctx.command))
        if closest:
            return f"`{command}` has no option {exc.option_name}: did you mean {closest}? {help_hint}"
        return f"`{command}` has no option {exc.option_name}. {help_hint}"
    message = exc.format_message().strip().rstrip(".")
    if ctx is not None and hasattr(ctx.command, "list_commands") and message.startswith("No such command"):
        name = message.split("'", 2)[1] if message.count("'") >= 2 else ""
        closest = _closest(name, ctx.command.list_commands(ctx))
        if closest:
            return f"`{command}` has no command '{name}': did you mean '{closest}'? {help_hint}"
        return f"`{command}` has no command '{name}'. {help_hint}"
    param = getattr(exc, "param", None)
    if isinstance(exc, click.MissingParameter) and param is not None and not getattr(param, "opts", [""])[0].startswith("-"):
        name = (param.name or "argument").upper()
        return f"`{command}` needs its {name} argument: `{command} {name}`. {help_hint}"
    return f"{message}. {help_hint}"


def _command_path(app: typer.Typer, args: list[str]) -> str:
    """``assets runs show``: the command that the leading words of ``args`` name."""
    command: Any = typer.main.get_command(app)
    words = ["assets"]
    for arg in args:
        if arg.startswith("-") or not hasattr(command, "get_command"):
            break
        found = command.get_command(None, arg)
        if found is None:
            break
        command, words = found, [*words, arg]
    return " ".join(words)


def _option_names(command: Any) -> list[str]:
    return [name for param in command.params for name in (*param.opts, *param.secondary_opts)
            if name.startswith("--")]


def _closest(name: str, candidates: list[str]) -> str | None:
    found: list[Any] = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None
