"""The REST API's JSON, encoded with orjson.

The output is DRF's JSON: the same values, with dates and other Python types that JSON lacks
turned into text by DRF's own encoder. It may also hold `orjson.Fragment`s, JSON already
written elsewhere (the entry list's rows come from PostgreSQL as JSON), which are copied as
they are."""

from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_INDENTED = _OPTIONS | orjson.OPT_INDENT_2


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indented = self.get_indent(accepted_media_type or "", renderer_context or {})
        return orjson.dumps(data, default=_drf_value, option=_INDENTED if indented else _OPTIONS)


def _drf_value(value: Any) -> Any:
    """What DRF's encoder writes for a value orjson leaves to us (dates, decimals, lazy
    translations, querysets ...)."""
    return JSONEncoder().default(value)
