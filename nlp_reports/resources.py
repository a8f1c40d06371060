"""Every packaged data file is loaded here, once, and checked for the fields code relies on."""
from __future__ import annotations

import functools
import re
from importlib import resources

from .errors import DataError

_DATA = "nlp_reports.data"


def data_path(name: str):
    return resources.files(_DATA).joinpath(name)


@functools.cache
def load(name: str):
    """Parsed content of data file `name` (YAML, JSON or plain text lines), cached for the process."""
    try:
        text = data_path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"packaged data file {name} is missing") from None
    if name.endswith((".yaml", ".yml")):
        import yaml

        try:
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise DataError(f"data file {name} is not valid YAML: {exc}") from None
    if name.endswith(".json"):
        import json

        return json.loads(text)
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def alternation(words) -> str:
    """A regex alternation of literal words, longest first so that the longest match wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
