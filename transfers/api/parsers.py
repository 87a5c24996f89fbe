"""Request body parsers: DRF's, with limits a hostile body cannot turn into a 500."""

import codecs
import re
from decimal import Decimal

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding
from rest_framework.utils import json

# No record of ours nests deeper than a few levels; a body that does is not one of them.
MAX_DEPTH = 32


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refusal(data, limit):
    """Why a parsed body is no record of ours, or None: nested deeper than `limit`, or a
    string holding half of a UTF-16 pair (`"\\ud800"`): no text, and the 400 that repeated it
    could not be written as UTF-8 (a 500)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return f"nested more than {limit} levels deep."
        if isinstance(value, dict):
            if any(_SURROGATE.search(key) for key in value):
                return _HALF_PAIR
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            return _HALF_PAIR
    return None


_HALF_PAIR = "a string holds a lone surrogate (half of a UTF-16 pair, e.g. \\ud800), which is not text."


class JSONParser(parsers.JSONParser):
    """JSON, at most MAX_DEPTH levels deep (Python's decoder recurses, and a deeper body
    exhausted the stack: a 500), its strings text (_refusal). Numbers with a fraction or exponent are read as exact
    decimals, not floats: `1e-400` would become 0.0 and be stored as 0, `1e999`
    infinity; as decimals the fields refuse them."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            decoded = codecs.getreader(get_encoding(parser_context or {}))(stream)
            data = json.load(decoded, parse_constant=json.strict_constant, parse_float=Decimal)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise ParseError(f"JSON parse error: nested more than {MAX_DEPTH} levels deep.") from exc
        refusal = _refusal(data, MAX_DEPTH)
        if refusal:
            raise ParseError(f"JSON parse error: {refusal}")
        return data
