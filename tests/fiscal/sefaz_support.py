"""What the SEFAZ tests share: test A1 certificates, signed documents SEFAZ receives (an NF-e made from
nfelib's bundled homologation sample, events, an inutilização) and the simulator served over HTTPS
that requires the A1 (mTLS) — SEFAZ at the edge of the network."""

from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree
from nfelib.nfe.bindings.v4_0 import inut_nfe_v4_00, leiaute_inut_nfe_v4_00
from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
from nfelib.nfe_evento_cancel.bindings import v1_0 as cancel_bindings
from nfelib.nfe_evento_cce.bindings import v1_0 as cce_bindings
from xsdata.formats.dataclass.parsers import XmlParser

from fiscal.certificates import Certificate, load
from fiscal.certificates import test_certificate as make_certificate
from fiscal.models import UF_CODES
from fiscal.nfe import keys, signing
from fiscal.nfe.xml import NFE_NS, serialize
from fiscal.providers import Connection, sefaz
from fiscal.providers.sefaz.sandbox import HOMOLOGATION_NAME, SefazSimulator
from tests.fake_server import Authority, serve

CNPJ = "11222333000181"
ALPHANUMERIC_CNPJ = "12ABC34501DE35"
OTHER_CNPJ = "99888777000166"
CONTRACTS = Path(sefaz.__file__).parent / "contracts"
SAMPLE = CONTRACTS / "pr_nfeProc_100.xml"  # nfelib's bundled NF-e authorized by SEFAZ-PR


def certificate(cnpj: str = CNPJ) -> Certificate:
    """A test A1 certificate of `cnpj` (one per run: an RSA key takes a while to make)."""
    return _certificate(cnpj)


@cache
def _certificate(cnpj: str) -> Certificate:
    return load(*make_certificate(cnpj=cnpj, name=f"Loja {cnpj}"))


@cache
def _sample() -> bytes:
    root = etree.parse(str(SAMPLE)).getroot()
    return etree.tostring(root.find(f"{{{NFE_NS}}}NFe"))


def moment(value: datetime) -> str:
    return value.astimezone(keys.SAO_PAULO).isoformat(timespec="seconds")


def nfe(*, number: int = 1, series: int = 1, cnpj: str = CNPJ, uf: str = "SP", issued_at: datetime | None = None,
        environment: int = 2, purpose: int = 1, recipient: str = HOMOLOGATION_NAME, code: str | None = None,
        signer: Certificate | None = None, key: str | None = None, refers_to: str | None = None,
        item_refers_to: str | None = None) -> bytes:
    """A signed NF-e (nfelib's homologation sample, one item, Simples Nacional) of `cnpj` in `uf`,
    under the key its fields make (or `key`, to get it wrong), referring to the NF-e `refers_to` (NFref)
    or, in its item, to `item_refers_to` (DFeReferenciado)."""
    document = XmlParser().from_bytes(_sample(), Nfe)
    document.signature = None
    info, ide = document.infNFe, document.infNFe.ide
    issued_at = issued_at or timezone.now() - timedelta(minutes=1)
    code = code or keys.new_code(number)
    real_key = keys.access_key(uf_code=UF_CODES[uf], issued_at=issued_at, cnpj=cnpj, series=series, number=number,
                               code=code)
    ide.cUF = type(ide.cUF)(UF_CODES[uf])
    ide.tpAmb = type(ide.tpAmb)(str(environment))
    ide.finNFe = type(ide.finNFe)(str(purpose))
    ide.serie, ide.nNF, ide.cNF, ide.cDV = str(series), str(number), code, real_key[-1]
    ide.dhEmi, ide.dhSaiEnt = moment(issued_at), None
    info.emit.CNPJ = cnpj
    info.dest.xNome = recipient
    info.Id = f"NFe{key or real_key}"
    if refers_to:
        ide.NFref = [type(ide).Nfref(refNFe=refers_to)]
    if item_refers_to:
        info.det[0].DFeReferenciado = type(info.det[0]).DfeReferenciado(chaveAcesso=item_refers_to, nItem="1")
    return signing.sign(serialize(document), signer or certificate(cnpj))


def key_of(signed_nfe: bytes) -> str:
    return etree.fromstring(signed_nfe).find(f"{{{NFE_NS}}}infNFe").get("Id")[3:]


def _event(bindings, *, kind: str, key: str, sequence: int, when: datetime, detail, environment: int = 2,
           signer: Certificate | None = None, cnpj: str | None = None) -> bytes:
    info = bindings.Tevento.InfEvento
    document = bindings.Evento(versao="1.00", infEvento=info(
        Id=f"ID{kind}{key}{sequence:02d}", cOrgao=bindings.TcorgaoIbge(key[:2]), tpAmb=bindings.Tamb(str(environment)),
        CNPJ=cnpj or key[6:20], chNFe=key, dhEvento=moment(when), tpEvento=bindings.InfEventoTpEvento(kind),
        nSeqEvento=str(sequence), verEvento=bindings.InfEventoVerEvento("1.00"), detEvento=detail))
    return signing.sign(serialize(document), signer or certificate(cnpj or key[6:20]))


def cancellation(*, key: str, protocol: str, when: datetime | None = None, sequence: int = 1, **kwargs) -> bytes:
    """A signed cancellation of the NF-e `key` authorized under `protocol` (numbered 1, as usual; the
    schema allows up to 20)."""
    detail = cancel_bindings.Tevento.InfEvento.DetEvento(
        versao=cancel_bindings.DetEventoVersao("1.00"), descEvento=cancel_bindings.DetEventoDescEvento("Cancelamento"),
        nProt=protocol, xJust="Pedido cancelado pelo cliente antes do envio")
    return _event(cancel_bindings, kind="110111", key=key, sequence=sequence, when=when or timezone.now(),
                  detail=detail, **kwargs)


CONDITIONS = list(cce_bindings.DetEventoXCondUso)[0]  # the CC-e's conditions of use, the accented text


def correction(*, key: str, sequence: int, text: str = "Corrigir o complemento do endereço do destinatário",
               when: datetime | None = None, **kwargs) -> bytes:
    """A signed correction letter (CC-e) number `sequence` of the NF-e `key`."""
    detail = cce_bindings.Tevento.InfEvento.DetEvento(
        versao=cce_bindings.DetEventoVersao("1.00"), descEvento=cce_bindings.DetEventoDescEvento("Carta de Correção"),
        xCorrecao=text, xCondUso=CONDITIONS)
    return _event(cce_bindings, kind="110110", key=key, sequence=sequence, when=when or timezone.now(), detail=detail,
                  **kwargs)


def inutilization(*, first: int, last: int, series: int = 1, cnpj: str = CNPJ, uf: str = "SP", year: int | None = None,
                  environment: int = 2) -> bytes:
    """A signed inutNFe of the numbers `first` to `last` of `series`."""
    year = f"{(year or timezone.now().year) % 100:02d}"
    info = leiaute_inut_nfe_v4_00.TinutNfe.InfInut(
        Id=f"ID{UF_CODES[uf]}{year}{cnpj}55{series:03d}{first:09d}{last:09d}",
        tpAmb=leiaute_inut_nfe_v4_00.Tamb(str(environment)), xServ=leiaute_inut_nfe_v4_00.InfInutXServ("INUTILIZAR"),
        cUF=leiaute_inut_nfe_v4_00.TcodUfIbge(UF_CODES[uf]), ano=year, CNPJ=cnpj,
        mod=leiaute_inut_nfe_v4_00.Tmod("55"), serie=str(series), nNFIni=str(first), nNFFin=str(last),
        xJust="Numeros pulados por falha do sistema emissor")
    return signing.sign(serialize(inut_nfe_v4_00.InutNfe(versao="4.00", infInut=info)), certificate(cnpj))


@contextmanager
def served(settings, folder: Path, *, clients: bytes, timeout: float):
    """The simulator (plain dicts) served over HTTPS by a test authority, requiring a client
    certificate the PEM `clients` vouch for; the client pointed at it (SEFAZ_URL), trusting that
    authority, with `timeout`. Closed on leaving."""
    authority = Authority.create("Test ICP-Brasil")
    simulator = serve(SefazSimulator(), tls=authority.server_tls(clients=clients))
    settings.SEFAZ_URL = f"{simulator.url}/ws"
    settings.SEFAZ_CA_BUNDLE = authority.write(folder / "icp-brasil.pem")
    settings.SEFAZ_TIMEOUT = timeout
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.fixture
def sefaz(settings, tmp_path):
    """The simulator served over mTLS to the store's, the alphanumeric store's and the other
    company's A1; its `conn` is the store's Connection in São Paulo, homologação."""
    clients = b"".join(certificate(cnpj).pem()[0] for cnpj in (CNPJ, ALPHANUMERIC_CNPJ, OTHER_CNPJ))
    with served(settings, tmp_path, clients=clients, timeout=5.0) as simulator:
        simulator.conn = Connection(uf="SP", environment=2, certificate=certificate())
        yield simulator


def as_company(conn: Connection, cnpj: str) -> Connection:
    return replace(conn, certificate=certificate(cnpj))
