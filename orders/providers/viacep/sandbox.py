"""ViaCEP's API in sandbox mode (setting CEP_SANDBOX, on in `make run`): `GET /ws/{cep}/json/`
over CEP documents in ViaCEP's format (contracts/): the documented samples, and in the demo
store one per CEP of its addresses, described from the IBGE table (orders/data/ibge/)."""

import csv
import json
import re
from functools import cache
from pathlib import Path

from backoffice.integrations.sandbox import SandboxAPI
from backoffice.models import SandboxDocument
from backoffice.text import format_cep

from ...models import Address

SAMPLES = Path(__file__).resolve().parent / "contracts"
IBGE = Path(__file__).resolve().parents[2] / "data" / "ibge"
CEP_PATH = re.compile(r"/ws/([^/]*)/json/?")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@cache
def documented() -> dict[str, dict]:
    """The CEPs of ViaCEP's documentation, by their 8 digits."""
    return {"01001000": sample("cep_01001000.json")}


@cache
def _ibge() -> tuple[dict, dict]:
    """(city code → its DDD and SIAFI id, state code → (state name, region)) from the IBGE table."""
    with (IBGE / "municipios.csv").open(encoding="utf-8-sig", newline="") as handle:
        cities = {row["codigo_ibge"]: row for row in csv.DictReader(handle)}
    with (IBGE / "estados.csv").open(encoding="utf-8-sig", newline="") as handle:
        states = {row["codigo_uf"]: (row["nome"], row["regiao"]) for row in csv.DictReader(handle)}
    return cities, states


def document_of(address: Address) -> dict:
    """The CEP of `address` as ViaCEP describes one: its street, district and city."""
    cities, states = _ibge()
    city = cities.get(address.city_id, {})
    state, region = states.get(address.city_id[:2], ("", ""))
    return {
        "cep": format_cep(address.cep), "logradouro": address.street, "complemento": "",
        "unidade": "", "bairro": address.district, "localidade": address.city.name, "uf": address.city.uf,
        "estado": state, "regiao": region, "ibge": address.city_id, "gia": "", "ddd": city.get("ddd", ""),
        "siafi": city.get("siafi_id", ""),
    }


def keep_store_ceps() -> int:
    """Sandbox mode: keep one document per CEP of the store's addresses (the demo's), the first
    address at a CEP describing it; a CEP kept already is left as it is. How many CEPs there are."""
    first = {}
    for address in Address.objects.select_related("city").order_by("pk").iterator(chunk_size=2000):
        first.setdefault(address.cep, address)
    SandboxDocument.objects.bulk_create(
        [SandboxDocument(provider=ViaCepSandbox.provider, kind="ceps", key=cep, document=document_of(address))
         for cep, address in first.items()],
        batch_size=500, ignore_conflicts=True,
    )
    return len(first)


class ViaCepSandbox(SandboxAPI):
    """CEPs (`ceps`, by their 8 digits) besides the documented ones; open to anyone, as ViaCEP is."""

    provider = "viacep"
    kinds = ("ceps",)

    def respond(self, method, path, headers, body):
        match = CEP_PATH.fullmatch(path.split("?")[0])
        if method != "GET" or not match:
            return 404, {}
        cep = match[1]
        if not re.fullmatch(r"[0-9]{8}", cep):
            return 400, {}  # ViaCEP: 400 Bad Request
        return 200, self.ceps.get(cep) or documented().get(cep) or sample("cep_unknown.json")
