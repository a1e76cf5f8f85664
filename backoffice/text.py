"""Text as every database keeps it."""


def storable(text: str, limit: int | None = None) -> str:
    """`text` (its first `limit` characters) as PostgreSQL's text and jsonb keep it: NUL and
    lone surrogates (which UTF-8 cannot encode) become U+FFFD."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
