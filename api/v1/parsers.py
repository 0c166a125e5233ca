"""The API's one parser: JSON, refused with a 400 problem when it nests deeper than
``config.json_input.MAX_DEPTH`` (Python's decoder recurses per level: a thousand nested lists
would otherwise end in a 500). Bodies larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never reach it:
reading them raises ``RequestDataTooBig``, a 413 problem (``api.v1.exceptions``)."""

import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

from config.json_input import JSONTooDeep, json_check_depth


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})  # text encodings only
        raw = stream.read()
        try:
            json_check_depth(raw.decode(encoding))
        except JSONTooDeep as too_deep:
            raise ParseError(str(too_deep), code="too_deep") from None
        except ValueError as exc:  # not text in the declared encoding
            raise ParseError(f"JSON parse error - {exc}") from None
        return super().parse(io.BytesIO(raw), media_type, parser_context)
