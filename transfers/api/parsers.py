"""Request body parsers: DRF's, with limits a hostile body cannot turn into a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No record of ours nests deeper than a few levels; a body that does is not one of them.
MAX_DEPTH = 32


def _depth_exceeds(data, limit):
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON, at most MAX_DEPTH levels deep (Python's decoder recurses, and a deeper body
    exhausted the stack: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error: nested more than {MAX_DEPTH} levels deep.") from exc
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error: nested more than {MAX_DEPTH} levels deep.")
        return data
