"""SEFAZ, the tax authority's NF-e web services, as the fiscal app sees them: the transport's base
(`SefazTransport`: status, authorization and its receipt, consultation, events, voiding), the answers
in our terms, and the one registry (`SEFAZ`). The client is in `sefaz/` beside its simulator
(`sefaz/sandbox.py`, sandbox mode: setting FISCAL_SANDBOX) and its contract samples."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from backoffice.integrations.base import Provider
from backoffice.integrations.registry import Registry

# cStat of an NF-e's protocol (protNFe) or of a consultation: what it says of the invoice.
AUTHORIZED = frozenset({"100", "150"})  # 150: authorized out of time
DENIED = frozenset({"110", "205", "301", "302", "303"})  # uso denegado: the number is spent
CANCELLED = frozenset({"101", "151", "155"})
# cStat of an authorization batch (retEnviNFe / retConsReciNFe): 103 received (ask for the result by
# its receipt later), 105 still processing, 104 processed (its protocols say each NF-e's fate).
BATCH_RECEIVED, BATCH_PROCESSED, BATCH_PROCESSING = "103", "104", "105"
DUPLICATE = "204"  # the key is authorized already: consult it, never issue another key
NOT_FOUND = "217"  # consultation: SEFAZ has no NF-e under that key
SERVICE_UP = "107"
EVENT_REGISTERED = frozenset({"135", "136", "155"})  # 136: registered, not linked to the NF-e yet
VOID_REGISTERED = "102"


@dataclass(frozen=True)
class Connection:
    """Where and as whom a call is made: the issuer's UF (its authorizer), the environment (tpAmb:
    1 production, 2 homologação) and its A1 certificate (fiscal.certificates.Certificate), which the
    TLS connection presents; `contingency` sends to the UF's Sefaz Virtual de Contingência (NF-e of
    tpEmis 6 or 7)."""

    uf: str
    environment: int
    certificate: object
    contingency: bool = False


@dataclass(frozen=True)
class ServiceAnswer:
    """NFeStatusServico4 (retConsStatServ): 107 when the service is in operation."""

    code: str
    message: str
    checked_at: datetime | None
    average_seconds: int | None  # tMed: the average answer time of the last minutes
    raw: bytes

    @property
    def up(self) -> bool:
        return self.code == SERVICE_UP


@dataclass(frozen=True)
class Protocol:
    """One NF-e's answer (protNFe): authorized (100, 150), denied (110, 301, 302, …) or rejected (any
    other code). `raw` is the protNFe element byte for byte as SEFAZ sent it, for the nfeProc."""

    key: str
    code: str
    message: str
    number: str  # nProt, 15 digits; empty when rejected
    received_at: datetime | None
    digest: str  # digVal: the DigestValue of the signature SEFAZ checked
    raw: bytes

    @property
    def authorized(self) -> bool:
        return self.code in AUTHORIZED

    @property
    def denied(self) -> bool:
        return self.code in DENIED


@dataclass(frozen=True)
class BatchAnswer:
    """NFeAutorizacao4 (retEnviNFe) or NFeRetAutorizacao4 (retConsReciNFe). The batch's code: 104
    processed (synchronous sending, or the receipt's result: `protocols` has one per NF-e), 103
    received (asynchronous: ask `batch_result` with `receipt` later), 105 still processing, or a
    rejection of the whole batch (e.g. 225 schema failure, 213 CNPJ not the certificate's)."""

    code: str
    message: str
    receipt: str  # nRec, empty when none was given
    protocols: list[Protocol] = field(default_factory=list)
    received_at: datetime | None = None
    raw: bytes = b""

    @property
    def pending(self) -> bool:
        return self.code in (BATCH_RECEIVED, BATCH_PROCESSING)


@dataclass(frozen=True)
class Consultation:
    """NFeConsultaProtocolo4 (retConsSitNFe): what SEFAZ holds under a key — 100 authorized (with
    its protocol), 101 cancelled, 110 denied, 217 not found. `events` are the procEventoNFe elements
    it lists (the cancellation, the CC-e), byte for byte."""

    code: str
    message: str
    protocol: Protocol | None
    events: list[bytes] = field(default_factory=list)
    raw: bytes = b""

    @property
    def found(self) -> bool:
        return self.code != NOT_FOUND


@dataclass(frozen=True)
class Registration:
    """SEFAZ's answer to a request it registers, or refuses, with its code: an event or a voiding."""

    code: str
    message: str
    protocol: str
    registered_at: datetime | None
    raw: bytes
    registered_codes: ClassVar[frozenset[str]] = frozenset()

    @property
    def registered(self) -> bool:
        return self.code in self.registered_codes


class EventAnswer(Registration):
    """RecepcaoEvento4: the event's answer (its retEvento: 135 registered, or a rejection such as
    573 duplicate, 218 already cancelled, 501 past the deadline), or the batch's when the whole
    batch was refused (no retEvento). `raw` is the retEvento element byte for byte (the batch's
    retEnvEvento when there is none), for the procEventoNFe."""

    registered_codes = EVENT_REGISTERED


class VoidAnswer(Registration):
    """NFeInutilizacao4 (retInutNFe): 102 homologated, or a rejection (241 a number already used,
    256 already voided). `raw` is the retInutNFe element byte for byte, for the procInutNFe."""

    registered_codes = frozenset({VOID_REGISTERED})


class SefazTransport(Provider):
    """SEFAZ's NF-e web services for one issuer (`Connection`). No webhooks: everything is asked.
    Network failures, timeouts and unreadable answers are the kit's ProviderError; SEFAZ's own
    refusals are answers with their code. `batch_id` is idLote (up to 15 digits)."""

    def status(self, conn: Connection) -> ServiceAnswer:
        raise NotImplementedError

    def authorize(self, conn: Connection, *, batch_id: str, signed_nfes: list[bytes]) -> BatchAnswer:
        """Send signed NFe elements (exactly as signed). Never resent blindly after a failure: a
        timeout may have been authorized — consult the key (a resend is answered 204)."""
        raise NotImplementedError

    def batch_result(self, conn: Connection, *, receipt: str) -> BatchAnswer:
        raise NotImplementedError

    def consult(self, conn: Connection, *, key: str) -> Consultation:
        raise NotImplementedError

    def send_event(self, conn: Connection, *, batch_id: str, signed_event: bytes) -> EventAnswer:
        """Send one signed evento (cancellation, CC-e) in a batch of its own."""
        raise NotImplementedError

    def void(self, conn: Connection, *, signed_inut: bytes) -> VoidAnswer:
        """Send a signed inutNFe (a range of unused numbers)."""
        raise NotImplementedError


SEFAZ = Registry()
SEFAZ.add("sefaz", "SEFAZ", "fiscal.providers.sefaz.Sefaz", sandbox="fiscal.providers.sefaz.sandbox.SefazSimulator")

sandbox = SEFAZ.sandbox  # the simulator over the documents kept in the database (sandbox mode)


def transport() -> SefazTransport:
    """The SEFAZ client; sandbox mode points its endpoints at the simulator (setting SEFAZ_URL)."""
    return SEFAZ.provider("sefaz")
