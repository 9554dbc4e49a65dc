"""The command line: parse arguments, call the library, turn errors into messages.

Exit status: 0 everything processed; 1 some inputs were skipped (the rest written) or the command
failed; 2 usage error (click's own). Library errors (`ZhkgError`) print one line on stderr; any other
exception is a bug and shows its traceback only with `--debug`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from zhkg.errors import ZhkgError

EXIT_SKIPPED = 1


class _Group(click.Group):
    """Turns library errors into one-line messages at the edge, like sqlite-utils."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZhkgError as exc:
            if ctx.meta.get("zhkg.debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if ctx.meta.get("zhkg.debug"):
                raise
            click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
                       err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="zhkg")
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """zhkg: Chinese news articles to a knowledge graph (RDF, SPARQL, an interactive page)."""
    ctx.meta["zhkg.debug"] = debug


def main() -> None:
    cli(prog_name="zhkg")


# -- commands: each helper fills its own below -------------------------------------------------
_ = Path  # used by the commands
