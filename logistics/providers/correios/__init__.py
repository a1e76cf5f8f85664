"""Correios through its REST API (api.correios.com.br; the SOAP SIGEP Web was switched off in 2023-09),
as contracts/README.md describes it: a token per posting card (HTTP Basic with the user and the API access
code, valid about 24 h: kept in the cache until shortly before it expires); a parcel's pre-posting (its
object code) and its label, made asynchronously (a receipt, then the PDF a few seconds later); and SRO
Rastro, the parcel's events newest first, in São Paulo's time without an offset, each meaning what the
pair of its code and type means."""

import base64
import binascii
import hashlib
import logging
import time
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request
from backoffice.text import format_phone
from logistics.models import TrackingStatus

from .. import CarrierProvider, Label, ReportedEvent

log = logging.getLogger("logistics.correios")

TOKEN = "/token/v1/autentica/cartaopostagem"
PRE_POSTINGS = "/prepostagem/v1/prepostagens"
LABEL_ORDER = f"{PRE_POSTINGS}/rotulo/assincrono/pdf"
LABEL_DOWNLOAD = f"{PRE_POSTINGS}/rotulo/download/assincrono/"
TRACKING = "/srorastro/v1/objetos/"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# A token is renewed this long before Correios says it expires (clocks drift, a call takes a while).
TOKEN_MARGIN = timedelta(minutes=10)
# Seconds between two downloads of a label Correios has not made yet (it takes a few seconds).
LABEL_WAITS = (0.5, 1.0, 2.0, 4.0)
BOX = "2"  # codigoFormatoObjetoInformado: 1 envelope, 2 box or package, 3 roll or cylinder

S = TrackingStatus
# What an SRO event means, by the pair (code, type) of Correios' event table. BDE (delivery round), BDI
# (delivery at a unit) and BDR (correction) are outcomes of delivering, which their type tells apart.
DELIVERY_CODES = ("BDE", "BDI", "BDR")
DELIVERY_OUTCOMES = {
    S.DELIVERED: "00 01 67 70",
    # Not delivered this time (nobody home, refused, wrong or incomplete address, moved, closed …); the
    # parcel is tried again, kept for pickup or sent back, which later events say.
    S.FAILED_ATTEMPT: "02 04 05 06 07 08 10 18 19 20 21 25 26 30 33 34 35 36 38 39 46 47 48 49",
    S.AWAITING_PICKUP: "24 68",  # in a PO box, in a smart locker
    S.RETURNED: "23",  # delivered back to the sender
    # Still on its way: back at the unit, a delivery date set, at the distribution unit, reprinted, delayed.
    S.IN_TRANSIT: "15 22 32 45 53 66 69",
    # Lost, stolen, damaged, seized, refused at customs, the sender gave up or did not collect it back.
    S.EXCEPTION: "03 09 12 14 28 37 40 43 50 51 52 56 60 80 89",
}
STATUSES = {(code, kind): status for status, kinds in DELIVERY_OUTCOMES.items() for kind in kinds.split()
            for code in DELIVERY_CODES} | {
    ("PO", "01"): S.POSTED, ("PO", "09"): S.POSTED,  # 09: posted after the unit's cut-off time
    ("CO", "01"): S.POSTED,  # collected at the sender's
    ("OEC", "01"): S.OUT_FOR_DELIVERY,
    ("OEC", "09"): S.IN_TRANSIT, ("LDE", "09"): S.IN_TRANSIT,  # out for delivery back to the sender
    ("FC", "02"): S.IN_TRANSIT, ("FC", "03"): S.IN_TRANSIT,  # delivery date set; misrouted, rerouted
    ("FC", "08"): S.IN_TRANSIT, ("FC", "10"): S.IN_TRANSIT,  # area with longer delivery; at the delivery unit
    ("FC", "04"): S.FAILED_ATTEMPT, ("FC", "07"): S.FAILED_ATTEMPT,  # wrong address; the company was closed
}
# A pair the table does not list: what its code means whatever its type (the units it passes through, the
# round it leaves on, the unit it waits at). Any other code (FC, BLQ, EST, IDC …) is an exception to look at.
BY_CODE = {
    "PO": S.POSTED, "CO": S.POSTED,
    **dict.fromkeys(("RO", "DO", "TRI", "PMT", "CMT", "CD", "CUN", "CAR", "CMR", "PAR"), S.IN_TRANSIT),
    "OEC": S.OUT_FOR_DELIVERY, "LDI": S.AWAITING_PICKUP,
}


def status_of(code: str, kind: str) -> str:
    """The TrackingStatus of an SRO event of `code` and type `kind` ("1" and "01" are one type)."""
    code, kind = (code or "").strip().upper(), (kind or "").strip()
    kind = kind.zfill(2) if kind.isdigit() else kind
    return STATUSES.get((code, kind)) or BY_CODE.get(code, S.EXCEPTION)


def _text(value) -> str:
    return " ".join(str(value or "").split())  # Correios' details carry \r\n


def _place(unit) -> str:
    """A unit's "CITY/UF" (a foreign unit's address may be empty)."""
    address = unit.get("endereco") if isinstance(unit, dict) else None
    if not isinstance(address, dict):
        return ""
    return "/".join(part for part in (_text(address.get("cidade")), _text(address.get("uf"))) if part)


def local_time(value) -> datetime | None:
    """An SRO time (São Paulo's, without an offset) made aware; None when it is not a time."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=SAO_PAULO) if moment.tzinfo is None else moment


def _description(event: dict) -> str:
    text = _text(event.get("descricao"))
    if detail := _text(event.get("detalhe")):
        text = f"{text} – {detail}" if text else detail
    if destination := _place(event.get("unidadeDestino")):
        text = f"{text} → {destination}"
    return text


def reported_events(document) -> list[ReportedEvent]:
    """The events of an SRO Rastro answer, every object's, newest first as Correios lists them; an object
    Correios does not know (its `mensagem`, SRO-020) has none. ProviderError when it is no such answer."""
    if not isinstance(document, dict) or not isinstance(document.get("objetos"), list):
        raise ProviderError(_("Correios' tracking answer lists no objects."))
    events = []
    for item in document["objetos"]:
        if not isinstance(item, dict):
            continue
        tracking_code = str(item.get("codObjeto") or "")
        for event in item.get("eventos") or []:
            occurred = local_time(event.get("dtHrCriado")) if isinstance(event, dict) else None
            if occurred is None or not event.get("codigo"):
                log.warning("Correios reported an event of %s without its code or time: %r", tracking_code, event)
                continue
            code, kind = str(event["codigo"]), str(event.get("tipo") or "")
            events.append(ReportedEvent(
                tracking_code=tracking_code, occurred_at=occurred, code=code, kind=kind, status=status_of(code, kind),
                description=_description(event), place=_place(event.get("unidade")), raw=event))
    return events


def _messages(document) -> str:
    """What a Correios answer says went wrong: its `msgs` (their MessageResponse), or its `mensagem`."""
    if not isinstance(document, dict):
        return ""
    messages = document.get("msgs")
    if not isinstance(messages, list):
        messages = [document.get("mensagem") or document.get("message") or ""]
    return "; ".join(text for text in map(_text, messages) if text)


def answer_of(response) -> dict:
    """A Correios answer's JSON object; ProviderError (with Correios' own words) when the call failed."""
    try:
        document = response.json() if response.content.strip() else {}
    except ValueError:
        document = None
    if not response.is_success:
        raise ProviderError(_("Correios answered %(status)s: %(messages)s") % {
            "status": response.status_code, "messages": _messages(document) or response.reason_phrase},
            status=response.status_code)
    if not isinstance(document, dict):
        raise ProviderError(_("Correios' answer is not a JSON object."), status=response.status_code)
    return document


def _expiry(answer: dict) -> datetime | None:
    """When a token expires: its `expiraEm`, local to its `zoneOffset` (São Paulo's without one)."""
    try:
        moment = datetime.fromisoformat(str(answer.get("expiraEm")))
    except ValueError:
        return None
    if moment.tzinfo is None:
        try:
            zone = datetime.strptime(str(answer.get("zoneOffset")), "%z").tzinfo
        except ValueError:
            zone = SAO_PAULO
        moment = moment.replace(tzinfo=zone)
    return moment


def _ceiling(value: Decimal) -> str:
    return str(int(Decimal(value).to_integral_value(rounding=ROUND_CEILING)))


def _party(party: dict) -> dict:
    """A sender or a recipient as a pre-posting holds one (at the lengths its label prints)."""
    entry = {
        "nome": party["name"][:50],
        "cpfCnpj": "".join(ch for ch in party["document"] if ch.isalnum()).upper(),
        "endereco": {
            "cep": "".join(ch for ch in party["cep"] if ch.isdigit()), "logradouro": party["street"][:50],
            "numero": party["number"][:6], "complemento": party["complement"][:30],
            "bairro": party["district"][:30], "cidade": party["city"][:30], "uf": party["uf"].upper()[:2],
        },
    }
    if party.get("email"):
        entry["email"] = party["email"][:50]
    phone = "".join(ch for ch in format_phone(party.get("phone") or "") if ch.isdigit())
    if len(phone) == 11:
        entry.update(dddCelular=phone[:2], celular=phone[2:])
    elif len(phone) == 10:
        entry.update(dddTelefone=phone[:2], telefone=phone[2:])
    return entry


def pre_posting(parcel) -> dict:
    """The pre-posting of `parcel` (a logistics.providers.Parcel): its parties, service, weight in grams
    and size in cm (rounded up), and its NF-e — or, without one, the declaration of its contents."""
    document = {
        "remetente": _party(parcel.sender), "destinatario": _party(parcel.recipient),
        "codigoServico": parcel.service_code,
        "pesoInformado": _ceiling(parcel.weight_kg * 1000),
        "codigoFormatoObjetoInformado": BOX,
        "comprimentoInformado": _ceiling(parcel.length_cm), "larguraInformada": _ceiling(parcel.width_cm),
        "alturaInformada": _ceiling(parcel.height_cm),
        "cienteObjetoNaoProibido": "1",  # the sender declares it holds nothing forbidden
    }
    if parcel.invoice_key:
        document.update(chaveNFe=parcel.invoice_key, numeroNotaFiscal=parcel.invoice_number)
    else:
        document["itensDeclaracaoConteudo"] = [
            {"conteudo": item["name"][:60], "quantidade": str(item["quantity"]),
             "valor": f"{Decimal(item['unit_value']):.2f}"} for item in parcel.items]
    return document


def _pdf(data: str) -> bytes:
    try:
        pdf = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(_("Correios' label is not base64.")) from exc
    if not pdf.startswith(b"%PDF-"):
        raise ProviderError(_("Correios' label is not a PDF."))
    return pdf


class Correios(CarrierProvider):
    """The Correios contract of a carrier (its credentials: CWS user, API access code, posting card and
    contract); the API's address is settings.CORREIOS_API_URL."""

    code = "correios"
    credentials = (
        CredentialField("user", gettext_lazy("user"), secret=False,
                        help_text=gettext_lazy("Your idCorreios user for the API: the contract's CNPJ (or CPF).")),
        CredentialField("access_code", gettext_lazy("API access code"),
                        help_text=gettext_lazy("Correios Web Services (CWS) → API access management: the access "
                                               "code generated for the user.")),
        CredentialField("posting_card", gettext_lazy("posting card"), secret=False,
                        help_text=gettext_lazy("The number of the contract's posting card the parcels are billed "
                                               "to.")),
        CredentialField("contract", gettext_lazy("contract"), secret=False,
                        help_text=gettext_lazy("The contract's number: the posting card must be one of its.")),
    )

    def _url(self, path: str) -> str:
        return f"{settings.CORREIOS_API_URL.rstrip('/')}{path}"

    def _token(self, carrier, *, renew: bool = False) -> str:
        """The carrier's token: from the cache, or a new one (`renew`: always new) kept until shortly
        before it expires. ProviderError when Correios refuses the credentials, or the posting card is
        another contract's."""
        user, secret, card = (carrier.credential(name) for name in ("user", "access_code", "posting_card"))
        if not (user and secret and card):
            raise ProviderError(_("%(carrier)s needs its Correios user, API access code and posting card.")
                                % {"carrier": carrier})
        digest = hashlib.sha256(f"{settings.CORREIOS_API_URL}|{user}|{secret}|{card}".encode()).hexdigest()
        key = f"logistics:correios:token:{digest[:32]}"
        if not renew and (token := cache.get(key)):
            return token
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        answer = answer_of(request("POST", self._url(TOKEN), body={"numero": card}, idempotent=True, check=False,
                                   headers={"Authorization": f"Basic {basic}"}))
        token = answer.get("token")
        if not token or not isinstance(token, str):
            raise ProviderError(_("Correios gave no token."))
        granted = str((answer.get("cartaoPostagem") or {}).get("contrato") or "")
        contract = carrier.credential("contract")
        if contract and granted and granted.lstrip("0") != contract.lstrip("0"):
            raise ProviderError(_("Posting card %(card)s is of contract %(granted)s, not %(contract)s: check the "
                                  "carrier's credentials.") % {"card": card, "granted": granted, "contract": contract})
        expires = _expiry(answer)
        # Without a readable expiry the token serves this call only.
        if expires and (lifetime := (expires - timezone.now() - TOKEN_MARGIN).total_seconds()) > 0:
            cache.set(key, token, lifetime)
        return token

    def _call(self, carrier, method: str, path: str, *, body=None, idempotent: bool | None = None):
        """Call the API with the carrier's token; its answer whatever its status. A 401 (the token revoked
        or expired early) is tried once more with a new token."""
        for renew in (False, True):
            response = request(method, self._url(path), body=body, idempotent=idempotent, check=False,
                               headers={"Authorization": f"Bearer {self._token(carrier, renew=renew)}"})
            if response.status_code != 401:
                break
        return response

    def label(self, carrier, parcel):
        """The pre-posting of `parcel` (its object code) and its label: asked for, then downloaded as soon
        as Correios has made it."""
        created = answer_of(self._call(carrier, "POST", PRE_POSTINGS, body=pre_posting(parcel)))
        pre_posting_id, code = str(created.get("id") or ""), str(created.get("codigoObjeto") or "")
        if not (pre_posting_id and code):
            raise ProviderError(_("Correios gave the pre-posting no id or object code."))
        receipt = answer_of(self._call(carrier, "POST", LABEL_ORDER, idempotent=True, body={
            "idsPrePostagem": [pre_posting_id], "numeroCartaoPostagem": carrier.credential("posting_card"),
            "tipoRotulo": "P", "formatoRotulo": "ET", "imprimeRemetente": "S", "layoutImpressao": "PADRAO",
        })).get("idRecibo")
        if not receipt:
            raise ProviderError(_("Correios gave the label no receipt."))
        return Label(tracking_code=code, carrier_reference=pre_posting_id,
                     pdf=self._label_pdf(carrier, str(receipt)))

    def _label_pdf(self, carrier, receipt: str) -> bytes:
        """The label of `receipt`, downloaded again after a short wait while it is not made yet (an answer
        without its `dados`, or a 404)."""
        for wait in (*LABEL_WAITS, None):
            response = self._call(carrier, "GET", LABEL_DOWNLOAD + quote(receipt, safe=""))
            if response.status_code != 404 and (data := answer_of(response).get("dados")):
                return _pdf(data)
            if wait is not None:
                time.sleep(wait)
        raise ProviderError(_("Correios has not made the label of receipt %(receipt)s yet: try again in a few "
                              "minutes.") % {"receipt": receipt})

    def track(self, carrier, tracking_codes):
        events = []
        for code in tracking_codes:
            path = f"{TRACKING}{quote(code, safe='')}?resultado=T"
            events += reported_events(answer_of(self._call(carrier, "GET", path)))
        return events
