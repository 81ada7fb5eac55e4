"""``python -m assets_core.cli``."""

from assets_core.cli import main

main()
