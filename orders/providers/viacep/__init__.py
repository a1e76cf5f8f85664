"""ViaCEP (viacep.com.br), the free CEP lookup: `GET /ws/{8 digits}/json/` answers the CEP's
street (logradouro), district (bairro), city (localidade, and its IBGE code) and UF;
`{"erro": "true"}` (HTTP 200) for a CEP it does not know, 400 for a malformed one
(contracts/NOTES.md). No account, no credentials."""

import re

import httpx
from django.conf import settings

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request
from backoffice.text import storable

from .. import CepLookup, Place

CEP = re.compile(r"[0-9]{8}")
# Staff wait for it with the form open: a short wait and one more try, then the form goes on without it.
TIMEOUT = httpx.Timeout(3.0, connect=2.0)
ATTEMPTS = 2
BACKOFF = 0.2


def _text(document: dict, name: str, limit: int) -> str:
    value = document.get(name)
    return storable(value.strip(), limit) if isinstance(value, str) else ""


class ViaCep(CepLookup):
    code = "viacep"

    def place(self, cep):
        if not CEP.fullmatch(cep):
            raise ValueError(f"a CEP has 8 digits, not {cep!r}")
        url = f"{settings.VIACEP_API_URL.rstrip('/')}/ws/{cep}/json/"
        response = request("GET", url, timeout=TIMEOUT, attempts=ATTEMPTS, backoff=BACKOFF, max_wait=1.0, check=False)
        if response.status_code == 400:
            return None  # malformed for ViaCEP: it knows no such CEP
        if not response.is_success:
            raise ProviderError(f"GET {url}: HTTP {response.status_code}", status=response.status_code)
        try:
            document = response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past what Python reads
            raise ProviderError(f"GET {url}: the answer is not JSON") from exc
        if not isinstance(document, dict):
            raise ProviderError(f"GET {url}: the answer is not a JSON object")
        # "true" as documented today; older answers had the JSON true.
        if str(document.get("erro", "")).lower() == "true":
            return None
        if "".join(ch for ch in str(document.get("cep", "")) if ch.isdigit()) != cep:
            raise ProviderError(f"GET {url}: the answer is about another CEP ({document.get('cep')!r})")
        return Place(cep=cep, street=_text(document, "logradouro", 150), district=_text(document, "bairro", 100),
                     city_code=_text(document, "ibge", 7), city_name=_text(document, "localidade", 100),
                     uf=_text(document, "uf", 2).upper())
