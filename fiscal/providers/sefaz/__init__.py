"""SEFAZ's NF-e web services 4.00 (Manual de Orientação do Contribuinte): NFeStatusServico4,
NFeAutorizacao4 and NFeRetAutorizacao4, NFeConsultaProtocolo4, NFeRecepcaoEvento4 and NFeInutilizacao4,
SOAP 1.2 over mTLS with the issuer's A1 certificate, at the endpoints of its UF's authorizer (its own,
SVRS or SVAN; SVC-AN or SVC-RS in contingency) from nfelib's table. Every message body is an nfelib
binding; signed documents travel byte for byte as signed; answers are read with nfelib's bindings and
SEFAZ's protocols kept byte for byte (contracts/NOTES.md: the samples and their sources)."""

import base64
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core import checks
from lxml import etree
from nfelib.nfe.bindings.v4_0.cons_reci_nfe_v4_00 import ConsReciNfe
from nfelib.nfe.bindings.v4_0.cons_sit_nfe_v4_00 import ConsSitNfe
from nfelib.nfe.bindings.v4_0.cons_stat_serv_v4_00 import ConsStatServ
from nfelib.nfe.bindings.v4_0.envi_nfe_v4_00 import EnviNfe
from nfelib.nfe.bindings.v4_0.leiaute_cons_sit_nfe_v4_00 import TconsSitNfeXServ, TverConsSitNfe
from nfelib.nfe.bindings.v4_0.leiaute_cons_stat_serv_v4_00 import TconsStatServXServ
from nfelib.nfe.bindings.v4_0.leiaute_nfe_v4_00 import Tamb, TcodUfIbge, TenviNfeIndSinc
from nfelib.nfe.bindings.v4_0.ret_cons_reci_nfe_v4_00 import RetConsReciNfe
from nfelib.nfe.bindings.v4_0.ret_cons_sit_nfe_v4_00 import RetConsSitNfe
from nfelib.nfe.bindings.v4_0.ret_cons_stat_serv_v4_00 import RetConsStatServ
from nfelib.nfe.bindings.v4_0.ret_envi_nfe_v4_00 import RetEnviNfe
from nfelib.nfe.bindings.v4_0.ret_inut_nfe_v4_00 import RetInutNfe
from nfelib.nfe.client.v4_0.servers import Endpoint, servers
from nfelib.nfe.soap.v4_0 import (
    nfeautorizacao4,
    nfeconsulta4,
    nfeinutilizacao4,
    nferetautorizacao4,
    nfestatusservico4,
    recepcaoevento4,
)
from nfelib.nfe_evento_generico.bindings.v1_0.env_evento_v1_00 import EnvEvento
from nfelib.nfe_evento_generico.bindings.v1_0.ret_env_evento_v1_00 import RetEnvEvento
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request
from fiscal.certificates import client_identity
from fiscal.models import UF_CODES
from fiscal.nfe.xml import DECLARATION, NFE_NS, serialize

from .. import (
    BatchAnswer,
    Connection,
    Consultation,
    EventAnswer,
    Protocol,
    SefazTransport,
    ServiceAnswer,
    VoidAnswer,
)
from .soap import CONTENT_TYPE, Message, MessageError, envelope, read

NFE_VERSION = "4.00"
EVENT_VERSION = "1.00"


@dataclass(frozen=True)
class Service:
    """One web service: its WSDL's namespace (nfeDadosMsg's), its SOAP action, its key in nfelib's
    endpoint table, and its name (the last part of its endpoint when SEFAZ_URL replaces their base)."""

    namespace: str
    action: str
    endpoint: Endpoint

    @property
    def name(self) -> str:
        return self.namespace.rsplit("/", 1)[1]


STATUS = Service(nfestatusservico4.__NAMESPACE__, nfestatusservico4.NfeStatusServico4SoapNfeStatusServicoNf.soapAction,
                 Endpoint.NFESTATUSSERVICO)
AUTHORIZATION = Service(nfeautorizacao4.__NAMESPACE__, nfeautorizacao4.NfeAutorizacao4SoapNfeAutorizacaoLote.soapAction,
                        Endpoint.NFEAUTORIZACAO)
RECEIPT = Service(nferetautorizacao4.__NAMESPACE__,
                  nferetautorizacao4.NfeRetAutorizacao4SoapNfeRetAutorizacaoLote.soapAction, Endpoint.NFERETAUTORIZACAO)
CONSULTATION = Service(nfeconsulta4.__NAMESPACE__, nfeconsulta4.NfeConsultaProtocolo4SoapNfeConsultaNf.soapAction,
                       Endpoint.NFECONSULTAPROTOCOLO)
EVENT = Service(recepcaoevento4.__NAMESPACE__, recepcaoevento4.NfeRecepcaoEvento4SoapNfeRecepcaoEvento.soapAction,
                Endpoint.RECEPCAOEVENTO)
VOIDING = Service(nfeinutilizacao4.__NAMESPACE__, nfeinutilizacao4.NfeInutilizacao4SoapNfeInutilizacaoNf.soapAction,
                  Endpoint.NFEINUTILIZACAO)
SERVICES = (STATUS, AUTHORIZATION, RECEIPT, CONSULTATION, EVENT, VOIDING)

# The authorizer of each UF (Portal Nacional da NF-e, "Relação de Serviços Web"; nfelib's mapping):
# ten UFs run their own, Maranhão and Pará use the Sefaz Virtual do Ambiente Nacional, the others
# the Sefaz Virtual do Rio Grande do Sul.
OWN_AUTHORIZER = {"AM", "BA", "GO", "MG", "MS", "MT", "PE", "PR", "RS", "SP"}
SVAN_UFS = {"MA", "PA"}
# In contingency (tpEmis 6 or 7) each UF has one Sefaz Virtual de Contingência.
SVC_RS_UFS = {"AM", "BA", "CE", "GO", "MA", "MS", "MT", "PA", "PE", "PI", "PR"}

# An authorization waits for SEFAZ to process the NF-e; a status check or a lookup can give up sooner.
ATTEMPTS = 3
BACKOFF = 1.0


def authorizer(uf: str, *, contingency: bool = False) -> str:
    """The key of nfelib's endpoint table that serves `uf` (normally, or in contingency)."""
    if uf not in UF_CODES:
        raise ValueError(f"not a UF: {uf!r}")
    if contingency:
        return "SVC-RS" if uf in SVC_RS_UFS else "SVC-AN"
    return uf if uf in OWN_AUTHORIZER else "SVAN" if uf in SVAN_UFS else "SVRS"


def endpoint(conn: Connection, service: Service) -> str:
    """The URL `service` is called at for `conn`: under SEFAZ_URL when set (sandbox mode, tests), else
    the authorizer's endpoint for the environment (nfelib's table, without its "?wsdl")."""
    if settings.SEFAZ_URL:
        return f"{settings.SEFAZ_URL.rstrip('/')}/{service.name}"
    server = servers[authorizer(conn.uf, contingency=conn.contingency)]
    table = server["prod_endpoints"] if conn.environment == 1 else server["dev_endpoints"]
    if service.endpoint not in table:
        raise ProviderError(f"{authorizer(conn.uf, contingency=conn.contingency)} offers no {service.name}")
    return urlunsplit(urlsplit(table[service.endpoint])._replace(query=""))


@cache
def _parser() -> XmlParser:
    # Answers may carry what a later schema added: read what the bindings know, keep the rest raw.
    return XmlParser(context=XmlContext(), config=ParserConfig(fail_on_unknown_properties=False,
                                                               fail_on_converter_warnings=False))


def _when(value) -> datetime | None:
    """A time of SEFAZ's answer ("2026-03-02T10:00:00-03:00"), aware."""
    if value is None:
        return None
    return value.to_datetime() if hasattr(value, "to_datetime") else datetime.fromisoformat(str(value))


def _text(value) -> str:
    return "" if value is None else str(getattr(value, "value", value))


@dataclass(frozen=True)
class Reply:
    """SEFAZ's answer to a call: the document (retConsStatServ, retEnviNFe, …) read into its nfelib
    binding, and the message, whose elements' exact bytes `exact` gives."""

    answer: object
    message: Message

    @property
    def raw(self) -> bytes:
        return self.message.exact(self.message.document)

    def exact(self, local: str) -> list[bytes]:
        """The bytes of each `local` element of the NF-e namespace in the answer, in document order."""
        return [self.message.exact(node) for node in self.message.document.iter(f"{{{NFE_NS}}}{local}")]


def reply_of(content: bytes, binding: type) -> Reply:
    """SEFAZ's SOAP answer `content`, whose document must be `binding`'s (MessageError, ParserError or
    ValueError when it cannot be read)."""
    message = read(content)
    expected = binding.Meta.name
    if etree.QName(message.document).localname != expected:
        raise MessageError(f"expected {expected}, got {message.document.tag}")
    return Reply(_parser().from_bytes(message.exact(message.document), binding), message)


def _protocol(binding, raw: bytes) -> Protocol:
    info = binding.infProt
    return Protocol(key=_text(info.chNFe), code=_text(info.cStat), message=_text(info.xMotivo),
                    number=_text(info.nProt), received_at=_when(info.dhRecbto),
                    digest=base64.b64encode(info.digVal).decode() if info.digVal else "", raw=raw)


def batch_answer(reply: Reply) -> BatchAnswer:
    """A retEnviNFe or retConsReciNFe read: the batch's code and each NF-e's protocol."""
    answer = reply.answer
    bindings = answer.protNFe if isinstance(answer.protNFe, list) else [answer.protNFe] if answer.protNFe else []
    receipt = getattr(answer, "nRec", None) or (answer.infRec.nRec if getattr(answer, "infRec", None) else "")
    return BatchAnswer(code=_text(answer.cStat), message=_text(answer.xMotivo), receipt=_text(receipt),
                       protocols=[_protocol(binding, raw) for binding, raw in zip(bindings, reply.exact("protNFe"),
                                                                                     strict=True)],
                       received_at=_when(answer.dhRecbto), raw=reply.raw)


def event_answer(reply: Reply) -> EventAnswer:
    """A retEnvEvento read: its (first) event's answer, or the batch's when the batch was refused."""
    answer = reply.answer
    if not answer.retEvento:  # the whole batch refused (e.g. 215 schema failure)
        return EventAnswer(code=_text(answer.cStat), message=_text(answer.xMotivo), protocol="", registered_at=None,
                           raw=reply.raw)
    info = answer.retEvento[0].infEvento
    return EventAnswer(code=_text(info.cStat), message=_text(info.xMotivo), protocol=_text(info.nProt),
                       registered_at=_when(info.dhRegEvento), raw=reply.exact("retEvento")[0])


def _inside(head: bytes, tag: str, parts: list[bytes]) -> bytes:
    """The documents `parts`, byte for byte (declarations dropped), appended inside `head`'s root `tag`."""
    closing = f"</{tag}>".encode()
    if not head.endswith(closing):
        raise ValueError(f"unexpected {tag} serialization: {head[-40:]!r}")
    return head[:-len(closing)] + b"".join(DECLARATION.sub(b"", part).strip() for part in parts) + closing


def authorization_message(*, batch_id: str, signed_nfes: list[bytes]) -> bytes:
    """enviNFe with the signed NFe exactly as signed: one is answered at once (indSinc 1), a batch of
    several gets a receipt to ask with later."""
    if not signed_nfes:
        raise ValueError("an authorization batch holds at least one NF-e")
    sync = TenviNfeIndSinc.VALUE_1 if len(signed_nfes) == 1 else TenviNfeIndSinc.VALUE_0
    return _inside(serialize(EnviNfe(versao=NFE_VERSION, idLote=batch_id, indSinc=sync)), "enviNFe", signed_nfes)


def event_message(*, batch_id: str, signed_event: bytes) -> bytes:
    """envEvento with the signed evento exactly as signed."""
    return _inside(serialize(EnvEvento(versao=EVENT_VERSION, idLote=batch_id)), "envEvento", [signed_event])


class Sefaz(SefazTransport):
    """SEFAZ's web services, called as the issuer of `conn` (its A1 certificate presented in mTLS, the
    server checked against SEFAZ_CA_BUNDLE). An authorization, an event or a voiding is never repeated
    by the client: after a failure the caller consults."""

    code = "sefaz"

    def _call(self, conn: Connection, service: Service, message: bytes, binding: type, *, repeatable: bool) -> Reply:
        url = endpoint(conn, service)
        timeout = httpx.Timeout(settings.SEFAZ_TIMEOUT, connect=min(10.0, settings.SEFAZ_TIMEOUT))
        response = request("POST", url, body=envelope(service.namespace, message), identity=client_identity(
            conn.certificate), ca=settings.SEFAZ_CA_BUNDLE or None, timeout=timeout, idempotent=repeatable,
            attempts=ATTEMPTS, backoff=BACKOFF, headers={
                "Content-Type": f'{CONTENT_TYPE}; action="{service.action}"', "Accept": "application/soap+xml"})
        try:
            return reply_of(response.content, binding)
        except (MessageError, ParserError, ValueError) as exc:
            raise ProviderError(f"{service.name} at {url}: an answer that cannot be read: {exc}") from exc

    def status(self, conn):
        message = serialize(ConsStatServ(tpAmb=Tamb(str(conn.environment)), cUF=TcodUfIbge(UF_CODES[conn.uf]),
                                         xServ=TconsStatServXServ.STATUS, versao=NFE_VERSION))
        reply = self._call(conn, STATUS, message, RetConsStatServ, repeatable=True)
        answer = reply.answer
        return ServiceAnswer(code=_text(answer.cStat), message=_text(answer.xMotivo),
                             checked_at=_when(answer.dhRecbto),
                             average_seconds=int(answer.tMed) if answer.tMed else None, raw=reply.raw)

    def authorize(self, conn, *, batch_id, signed_nfes):
        message = authorization_message(batch_id=batch_id, signed_nfes=signed_nfes)
        return batch_answer(self._call(conn, AUTHORIZATION, message, RetEnviNfe, repeatable=False))

    def batch_result(self, conn, *, receipt):
        message = serialize(ConsReciNfe(tpAmb=Tamb(str(conn.environment)), nRec=receipt, versao=NFE_VERSION))
        return batch_answer(self._call(conn, RECEIPT, message, RetConsReciNfe, repeatable=True))

    def consult(self, conn, *, key):
        message = serialize(ConsSitNfe(tpAmb=Tamb(str(conn.environment)), xServ=TconsSitNfeXServ.CONSULTAR,
                                       chNFe=key, versao=TverConsSitNfe.VALUE_4_00))
        reply = self._call(conn, CONSULTATION, message, RetConsSitNfe, repeatable=True)
        answer = reply.answer
        protocols = reply.exact("protNFe")
        return Consultation(code=_text(answer.cStat), message=_text(answer.xMotivo),
                            protocol=_protocol(answer.protNFe, protocols[0]) if answer.protNFe else None,
                            events=reply.exact("procEventoNFe"), raw=reply.raw)

    def send_event(self, conn, *, batch_id, signed_event):
        message = event_message(batch_id=batch_id, signed_event=signed_event)
        return event_answer(self._call(conn, EVENT, message, RetEnvEvento, repeatable=False))

    def void(self, conn, *, signed_inut):
        reply = self._call(conn, VOIDING, DECLARATION.sub(b"", signed_inut).strip(), RetInutNfe, repeatable=False)
        info = reply.answer.infInut
        return VoidAnswer(code=_text(info.cStat), message=_text(info.xMotivo), protocol=_text(info.nProt),
                          registered_at=_when(info.dhRecbto), raw=reply.raw)


def sefaz_ca_check(app_configs, **kwargs):
    """SEFAZ's servers are verified against the ICP-Brasil chain: SEFAZ_CA_BUNDLE must name a readable
    PEM file; unset outside sandbox mode and debug, a warning (the usual public authorities are used)."""
    if settings.SEFAZ_CA_BUNDLE:
        try:
            with open(settings.SEFAZ_CA_BUNDLE, "rb") as handle:
                if b"-----BEGIN CERTIFICATE-----" not in handle.read():
                    raise OSError("no PEM certificate in it")
        except OSError as exc:
            return [checks.Error(f"SEFAZ_CA_BUNDLE {settings.SEFAZ_CA_BUNDLE!r} cannot be used: {exc}",
                                 id="fiscal.E001", hint="Point it at a PEM file of the ICP-Brasil chain.")]
        return []
    if settings.DEBUG or settings.FISCAL_SANDBOX or settings.SEFAZ_URL:
        return []
    return [checks.Warning(
        "SEFAZ_CA_BUNDLE is not set: SEFAZ's servers are verified against the usual public authorities only.",
        id="fiscal.W001",
        hint="Download ITI's bundle of the ICP-Brasil authorities (repositorio.iti.gov.br, \"ACcompactado\"), "
             "join its certificates into one PEM file and set SEFAZ_CA_BUNDLE to its path.")]
