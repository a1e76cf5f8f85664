"""The NF-e access key (chave de acesso): 44 characters that name one document for good — cUF,
AAMM of issue, the issuer's CNPJ, model, series, number, emission type, the random cNF and a
mod-11 check digit. Alphanumeric CNPJs (from July 2026) weigh each character as its code minus 48."""

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
KEY = re.compile(r"\d{6}[0-9A-Z]{12}\d{2}\d{24}")


def check_digit(first43: str) -> str:
    """The key's last digit (cDV): weights 2 to 9 from the right, repeating; 11 minus the
    remainder, 0 when the remainder is 0 or 1."""
    total = sum((ord(char) - 48) * (2 + position % 8) for position, char in enumerate(reversed(first43)))
    remainder = total % 11
    return "0" if remainder < 2 else str(11 - remainder)


def access_key(*, uf_code: str, issued_at: datetime, cnpj: str, model: int = 55, series: int, number: int,
               emission: int = 1, code: str) -> str:
    """The 44-character key of the NF-e `number` of `series` issued at `issued_at` (AAMM as in
    São Paulo, as dhEmi carries it) by `cnpj` (14 characters, digits or the alphanumeric CNPJ)."""
    cnpj = cnpj.upper()
    if not re.fullmatch(r"[0-9A-Z]{12}\d{2}", cnpj):
        raise ValueError(f"not a CNPJ of 14 characters: {cnpj!r}")
    if not re.fullmatch(r"\d{8}", code):
        raise ValueError(f"cNF must be 8 digits: {code!r}")
    if not (0 <= series <= 999 and 1 <= number <= 999_999_999):
        raise ValueError(f"series {series} or number {number} out of range")
    first43 = (f"{int(uf_code):02d}{issued_at.astimezone(SAO_PAULO):%y%m}{cnpj}{model:02d}{series:03d}"
               f"{number:09d}{emission:01d}{code}")
    return first43 + check_digit(first43)


def is_valid_key(key: str) -> bool:
    """Whether `key` has the key's shape and its check digit is right."""
    return bool(KEY.fullmatch(key or "")) and check_digit(key[:43]) == key[43]


def trivial(code: str) -> bool:
    """A cNF SEFAZ refuses as guessable: one digit repeated, or a run up or down (12345678)."""
    steps = {int(b) - int(a) for a, b in zip(code, code[1:], strict=False)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def new_code(number: int) -> str:
    """A fresh random cNF for the NF-e `number`: 8 digits, never the number itself, never trivial."""
    while True:
        code = f"{secrets.randbelow(100_000_000):08d}"
        if int(code) != number and not trivial(code):
            return code
