"""`safeconduct receipt`: check a receipt or a bot answer offline."""

from __future__ import annotations

import typer

receipt_app = typer.Typer(help="Signed receipts and answers.", no_args_is_help=True)
