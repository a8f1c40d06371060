"""The `nlp-reports` command. Each sub-module holds the commands of one job; they parse options,
call the library and format, nothing else (library imports stay inside the commands, so that
`nlp-reports --help` and `extract` do not pay for what they do not use)."""
from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nlp-reports")
def main():
    """Turn Chinese local-government self-inspection and annual work reports into data."""


def _register():
    from . import classify, evaluate, extract, store

    for module in (extract, evaluate, store, classify):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
