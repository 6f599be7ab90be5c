"""`safeconduct retention`: destroy channel data that has served."""

from __future__ import annotations

import typer

retention_app = typer.Typer(help="Two-stage retention of channel data.", no_args_is_help=True)
