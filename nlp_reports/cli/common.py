"""What the command modules share: the one-line error and the atomic output file."""
from __future__ import annotations

import sys

import click

from ..errors import ReportError


def fail(exc: ReportError) -> None:
    """One line on stderr naming the file and the reason."""
    click.echo(f"nlp-reports: error: {exc}", err=True)


class Output:
    """Writes to stdout or, with -o, to a file replaced atomically at the end."""

    def __init__(self, path):
        self.path, self.parts = path, []

    def write(self, text: str) -> None:
        if self.path:
            self.parts.append(text)
        else:
            click.echo(text)

    def close(self) -> None:
        if self.path:
            from ..atomic import write_text_atomic

            write_text_atomic(self.path, "\n".join(self.parts) + "\n")


def finish(out: Output, code: int) -> None:
    """Close `out` (an unwritable output is a one-line error) and exit with `code`."""
    try:
        out.close()
    except ReportError as exc:
        fail(exc)
        sys.exit(exc.exit_code)
    sys.exit(code)
