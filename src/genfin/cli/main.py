"""Entry point of the ``genfin`` command line tool.

Errors a user can fix (bad data, a missing file, a corrupt model folder) are printed as one line
and exit with status 2; ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import sys
import traceback
from importlib import metadata

import typer

from genfin.cli import demo, detect, gan, image, latent, semi, synth
from genfin.exceptions import GenfinError

app = typer.Typer(
    name="genfin",
    help="Generative models for financial data: fraud detection with autoencoders, and more.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(detect.app, name="detect")
app.add_typer(latent.app, name="latent")
app.add_typer(image.app, name="image")
app.add_typer(gan.app, name="gan")
app.add_typer(semi.app, name="semi")
app.command("demo")(demo.demo)
app.command("synth")(synth.synth)


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("genfin")
        except metadata.PackageNotFoundError:
            version = "dev"
        typer.echo(f"genfin {version}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when a command fails."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Generative models for financial data."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status instead of raising on user errors."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Typer handles usage errors itself (message and status 2) and ends with SystemExit.
        app(args=args, prog_name="genfin")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (GenfinError, ValueError, OSError, KeyError) as exc:
        if debug:
            traceback.print_exc()
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"genfin: error: {message}", file=sys.stderr)
        if not debug:
            print("genfin: run again with --debug for the traceback", file=sys.stderr)
        return 2
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
