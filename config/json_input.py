"""JSON sent by clients, read with a limit on how deeply it nests.

Python's decoder recurses once per level of nesting, so a body of a thousand nested lists ends
in a ``RecursionError`` (a 500) inside the decoder or in whatever walks the value afterwards.
Nothing the site accepts nests more than a few levels, so text nested deeper than ``MAX_DEPTH``
is refused before it is decoded: ``json_loads`` raises ``JSONTooDeep``, a ``ValueError`` like
any other malformed JSON. The API's parser (``api.v1.parsers``) and the page script's beacon
(``web.views.feedback``) read JSON through it.
"""

import json
import re
from itertools import accumulate

MAX_DEPTH = 32

# A string, up to its closing quote or the end of the text: brackets in strings do not nest.
# It matches wherever a quote is (possessively, without backtracking), so it takes linear time.
_STRING = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONTooDeep(ValueError):
    pass


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of JSON ``text`` nest (0 for a bare value), found
    without decoding it; for malformed text, an upper bound."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def json_check_depth(text: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``JSONTooDeep`` if ``text`` nests deeper than ``max_depth``."""
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise JSONTooDeep(f"JSON may nest at most {max_depth} levels deep.")


def json_loads(text: str, *, max_depth: int = MAX_DEPTH):
    """``json.loads`` for text from clients: ``JSONTooDeep`` beyond ``max_depth`` levels."""
    json_check_depth(text, max_depth=max_depth)
    return json.loads(text)
