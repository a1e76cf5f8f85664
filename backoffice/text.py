"""Text as every database keeps it, and Brazilian registration numbers as people read them."""

from stdnum.br import cnpj, cpf


def storable(text: str, limit: int | None = None) -> str:
    """`text` (its first `limit` characters) as PostgreSQL's text and jsonb keep it: NUL and
    lone surrogates (which UTF-8 cannot encode) become U+FFFD."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def format_document(document: str) -> str:
    """A stored CPF (11 characters) or CNPJ (14, alphanumeric too) as Brazilians write it:
    123.456.789-09, 12.345.678/0001-95; anything else as stored."""
    document = document or ""
    if len(document) == 11 and document.isdigit():
        return cpf.format(document)
    if len(document) == 14 and document.isalnum():
        return cnpj.format(document)
    return document


def format_cep(cep: str) -> str:
    """A stored CEP (8 digits) as it is written, 01001-000; anything else as stored."""
    cep = cep or ""
    return f"{cep[:5]}-{cep[5:]}" if len(cep) == 8 and cep.isdigit() else cep


# Non-geographic numbers (toll-free 0800, shared-cost 0300, …) keep their own grouping.
SERVICE_PREFIXES = ("0300", "0500", "0800", "0900")


def format_phone(phone: str) -> str:
    """A Brazilian phone number as it is written, however it was typed: (11) 98765-4321 for a
    mobile, (11) 3456-7890 for a landline (or an old 8-digit mobile), 0800 123 4567; the country code (55) and the trunk
    0 are dropped. A number that is none of these stays as stored."""
    phone = phone or ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith(SERVICE_PREFIXES):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    elif len(digits) in (11, 12) and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) == 11 and digits[2] == "9":
        return f"({digits[:2]}) {digits[2:7]}-{digits[7:]}"
    if len(digits) == 10:
        return f"({digits[:2]}) {digits[2:6]}-{digits[6:]}"
    return phone
