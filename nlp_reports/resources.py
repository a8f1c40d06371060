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
    """A regex matching any of the literal `words`, the longest where several match.

    Built as a trie (人(?:次|天)?) rather than a flat list, so that the engine tries one branch per
    character instead of every word: lexicons of a few hundred words stay fast on long texts.

    >>> alternation(["人", "人次", "个", "个月"])
    '(?:个(?:月)?|人(?:次)?)'
    """
    trie: dict = {}
    for word in set(map(str, words)):
        if word:
            node = trie
            for ch in word:
                node = node.setdefault(ch, {})
            node[""] = {}
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    branches = [re.escape(ch) + _trie_regex(child) if child else re.escape(ch)
                for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here: what follows is optional (greedy, so longer words win)
        return f"(?:{body})?"
    return body
