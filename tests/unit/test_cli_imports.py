"""The CLI's import rules (STYLE.md): only ``assets_core.cli`` imports rich and typer; inside
it, imports point one way (app -> command modules -> output), and no module reaches for
another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "assets_core"


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file, at any depth (lazy imports count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_only_the_cli_imports_rich_and_typer() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in PACKAGE.rglob("*.py") if "cli" not in path.relative_to(PACKAGE).parts[:1]
        for module, _ in imports(path) if module.split(".")[0] in ("rich", "typer")
    ]
    assert offenders == []


def test_cli_imports_point_one_way() -> None:
    cli = PACKAGE / "cli"
    for path in cli.glob("*.py"):
        for module, names in imports(path):
            if path.name not in ("__init__.py", "app.py"):
                assert module != "assets_core.cli.app", f"{path.name} imports the app: register it in app.py instead"
            if path.name == "output.py":
                assert not module.startswith("assets_core.cli"), f"output.py imports {module}"
            if module.startswith("assets_core."):
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{path.name} imports private {private} from {module}"
