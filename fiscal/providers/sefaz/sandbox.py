"""SEFAZ in sandbox mode (setting FISCAL_SANDBOX, on in `make run`) and in the tests: a local NF-e
authorizer answering the six web services' SOAP 1.2 as SEFAZ does, with a real subset of its validation
rules and its return codes and texts (Manual de Orientação do Contribuinte 4.00, table of codes; the
cancellation and CC-e event rules; contracts/NOTES.md), over what it authorized (`nfe`, by key;
`numbers`; `events`; `voids`; `batches`).

Two knobs for the tests and the demo: `lose_next_answer()` makes the next authorization's answer get
lost at the network edge after it was processed (the NF-e is authorized; the client sees a dropped
connection or, with a delay, its timeout), and `authorize()` / `register_event()` below authorize a
signed NF-e or register an event in process, without HTTP, at a chosen time (the demo's history)."""

import base64
import binascii
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from lxml import etree
from nfelib.nfe.bindings.v4_0.leiaute_inut_nfe_v4_00 import Tmod
from nfelib.nfe.bindings.v4_0.leiaute_nfe_v4_00 import Tamb, TcodUfIbge, TprotNfe
from nfelib.nfe.bindings.v4_0.ret_cons_reci_nfe_v4_00 import RetConsReciNfe
from nfelib.nfe.bindings.v4_0.ret_cons_sit_nfe_v4_00 import RetConsSitNfe
from nfelib.nfe.bindings.v4_0.ret_cons_stat_serv_v4_00 import RetConsStatServ
from nfelib.nfe.bindings.v4_0.ret_envi_nfe_v4_00 import RetEnviNfe
from nfelib.nfe.bindings.v4_0.ret_inut_nfe_v4_00 import RetInutNfe
from nfelib.nfe_evento_generico.bindings.v1_0.leiaute_evento_v1_00 import TcorgaoIbge, TretEvento
from nfelib.nfe_evento_generico.bindings.v1_0.ret_env_evento_v1_00 import RetEnvEvento
from xsdata.models.datatype import XmlDateTime

from backoffice.integrations.sandbox import Dropped, SandboxAPI
from fiscal.certificates import cnpj_of
from fiscal.nfe.build import HOMOLOGATION_NAME  # dest/xNome in homologação (rule 598)
from fiscal.nfe.keys import SAO_PAULO, is_valid_key
from fiscal.nfe.signing import SignatureInvalid, verify
from fiscal.nfe.xml import DS_NS, NFE_NS, event_proc, nfe_time, parse, serialize, validate

from .. import SEFAZ, EventAnswer, Protocol
from . import (
    AUTHORIZATION,
    EVENT,
    NFE_VERSION,
    SERVICES,
    authorization_message,
    batch_answer,
    event_answer,
    event_message,
    reply_of,
)
from .soap import MessageError, answer_envelope, exact, fault, read

APPLICATION = "SIMULADOR_NFE_4.00"  # verAplic: the application that answered
CANCELLATION, CORRECTION = "110111", "110110"
EVENT_NAMES = {CANCELLATION: "Cancelamento registrado", CORRECTION: "Carta de Correção registrada"}
# How far dhEmi may be from the reception: a little ahead (clocks drift), at most 30 days behind.
AHEAD = timedelta(minutes=5)
BEHIND = timedelta(days=30)
# A cancellation within 24 hours of the authorization is registered (135); up to 7 days, registered out of
# time (155, as SEFAZ-SP answers); later, refused (501).
CANCELLATION_WINDOW = timedelta(hours=24)
LATE_CANCELLATION = timedelta(days=7)
# What SEFAZ requires of a signature (MOC 4.00, 4.3 Padrão de assinatura digital).
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

# cStat and xMotivo as the MOC's table has them.
REASONS = {
    "100": "Autorizado o uso da NF-e",
    "101": "Cancelamento de NF-e homologado",
    "102": "Inutilização de número homologado",
    "103": "Lote recebido com sucesso",
    "104": "Lote processado",
    "105": "Lote em processamento",
    "106": "Lote não localizado",
    "107": "Serviço em Operação",
    "109": "Serviço Paralisado sem Previsão",
    "110": "Uso Denegado",
    "128": "Lote de Evento Processado",
    "135": "Evento registrado e vinculado a NF-e",
    "155": "Cancelamento homologado fora de prazo",
    "204": "Rejeição: Duplicidade de NF-e [nRec:{receipt}]",
    "205": "Rejeição: NF-e está denegada na base de dados da SEFAZ [nRec:{receipt}]",
    "206": "Rejeição: NF-e já está inutilizada na Base de dados da SEFAZ",
    "213": "Rejeição: CNPJ-Base do Emitente difere do CNPJ-Base do Certificado Digital",
    "215": "Rejeição: Falha no schema XML",
    "217": "Rejeição: NF-e não consta na base de dados da SEFAZ",
    "218": "Rejeição: NF-e já está cancelada na base de dados da SEFAZ [nProt:{protocol}]",
    "222": "Rejeição: Protocolo de Autorização de Uso difere do cadastrado",
    "224": "Rejeição: A faixa inicial é maior que a faixa final",
    "225": "Rejeição: Falha no Schema XML do lote de NFe",
    "228": "Rejeição: Data de Emissão muito atrasada",
    "236": "Rejeição: Chave de Acesso com dígito verificador inválido",
    "241": "Rejeição: Um número da faixa já foi utilizado",
    "256": "Rejeição: Uma NF-e da faixa já está inutilizada na Base de dados da SEFAZ",
    "297": "Rejeição: Assinatura difere do calculado",
    "298": "Rejeição: Assinatura difere do padrão do Sistema",
    "302": "Uso Denegado: Irregularidade fiscal do destinatário",
    "321": "Rejeição: NF-e de devolução de mercadoria não possui documento fiscal referenciado",
    "453": "Rejeição: Ano de inutilização não pode ser superior ao Ano atual",
    "501": "Rejeição: Pedido de Cancelamento intempestivo (NF-e autorizada a mais de 7 dias)",
    "502": "Rejeição: Erro na Chave de Acesso - Campo Id não corresponde à concatenação dos campos "
           "correspondentes",
    "539": "Rejeição: Duplicidade de NF-e com diferença na Chave de Acesso [chNFe: {key}][nRec:{receipt}]",
    "563": "Rejeição: Já existe pedido de Inutilização com a mesma faixa de inutilização",
    "572": "Rejeição: Erro Atributo ID do evento não corresponde a concatenação dos campos "
           "(\u201cID\u201d + tpEvento + chNFe + nSeqEvento)",
    "573": "Rejeição: Duplicidade de Evento",
    "574": "Rejeição: O autor do evento diverge do emissor da NF-e",
    "577": "Rejeição: A data do evento não pode ser menor que a data de emissão da NF-e",
    "578": "Rejeição: A data do evento não pode ser maior que a data do processamento",
    "580": "Rejeição: O evento exige uma NF-e autorizada",
    "598": "Rejeição: NF-e emitida em ambiente de homologação com Razão Social do destinatário diferente de "
           f"{HOMOLOGATION_NAME}",
    "703": "Rejeição: Data-Hora de Emissão posterior ao horário de recebimento",
    "764": "Rejeição: Solicitada resposta síncrona para Lote com mais de uma NF-e (indSinc=1)",
}
DENIED = {"302"}


@dataclass
class ProtNfe(TprotNfe):
    """protNFe as an element of its own (nfelib has it only as the type of retEnviNFe's field)."""

    class Meta:
        name = "protNFe"
        namespace = NFE_NS


@dataclass
class RetEvento(TretEvento):
    """retEvento as an element of its own."""

    class Meta:
        name = "retEvento"
        namespace = NFE_NS


# One simulator answers at a time in a process (its sequences and documents are read, then written).
_lock = threading.RLock()


def reason(code: str, **values) -> str:
    return REASONS[code].format(**values)


def _text(element, path: str) -> str:
    if element is None:
        return ""
    return element.findtext(path, namespaces={"n": NFE_NS, "ds": DS_NS}) or ""


def _algorithm(element, path: str) -> str | None:
    found = None if element is None else element.find(path, namespaces={"ds": DS_NS})
    return None if found is None else found.get("Algorithm")


class Rejected(Exception):
    """A document refused with `code` (the reason's values in `values`)."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code, self.values = code, values


class SefazSimulator(SandboxAPI):
    """The six NF-e web services of one authorizer, answering every UF and both environments. NF-e
    (`nfe`, by key: status, protocol, its protNFe), the numbers they took (`numbers`), the events
    registered (`events`), the voided ranges (`voids`), asynchronous batches (`batches`, by receipt),
    and its sequences and knobs (`state`)."""

    provider = "sefaz"
    kinds = ("nfe", "numbers", "events", "voids", "batches", "state")
    # Polls of a receipt answered "105 em processamento" before its result (tests set it).
    processing_polls = 0

    def now(self) -> datetime:
        return timezone.now()

    # Knobs ---------------------------------------------------------------------------------------

    def lose_next_answer(self, delay: float = 0.0) -> None:
        """The next authorization is processed, then its answer is lost: the connection closed after
        `delay` seconds (past the client's timeout, the client gives up first)."""
        self.state["lose"] = {"delay": delay}

    def set_service(self, *, up: bool) -> None:
        """Whether the status service answers 107 (in operation) or 109 (stopped without forecast)."""
        self.state["service"] = {"code": "107" if up else "109"}

    def deny_recipient(self, document: str) -> None:
        """NF-e to the CPF/CNPJ `document` are denied (302, irregular recipient) from now on."""
        self.state[f"irregular:{document}"] = {}

    # The web services --------------------------------------------------------------------------

    def respond(self, method, path, headers, body):
        service = next((item for item in SERVICES if path.split("?")[0].rstrip("/").endswith("/" + item.name)), None)
        if service is None:
            return 404, b""
        if method != "POST":
            return 405, b""
        try:
            message = read(body)
        except MessageError as exc:
            return 400, fault(str(exc))
        if message.namespace != service.namespace:
            return 400, fault(f"{service.name} reads nfeDadosMsg of {service.namespace}", version=message.version)
        handler = getattr(self, f"_{service.endpoint.name.lower()}")
        with _lock:
            document = handler(message.exact(message.document), self.now())
            lost = self.state.pop("lose", None) if service is AUTHORIZATION else None
        if lost:
            return 200, Dropped(lost["delay"])
        return 200, answer_envelope(service.namespace, document, version=message.version)

    def _nfestatusservico(self, xml: bytes, received: datetime):
        root = parse(xml)
        uf = _text(root, "n:cUF")
        if validate(xml, "consStat"):
            code = "215"
        else:
            code = (self.state.get("service") or {}).get("code", "107")
        return serialize(RetConsStatServ(
            versao=NFE_VERSION, tpAmb=_environment(_text(root, "n:tpAmb")), verAplic=APPLICATION, cStat=code,
            xMotivo=REASONS[code], cUF=_uf(uf), dhRecbto=nfe_time(received), tMed="1" if code == "107" else None))

    def _nfeautorizacao(self, xml: bytes, received: datetime):
        root = parse(xml)
        nfes = root.findall("n:NFe", {"n": NFE_NS})
        first = nfes[0] if nfes else None
        environment, uf = _text(first, "n:infNFe/n:ide/n:tpAmb") or "2", _text(first, "n:infNFe/n:ide/n:cUF")

        def answer(code, **extra):
            return serialize(RetEnviNfe(versao=NFE_VERSION, tpAmb=_environment(environment), verAplic=APPLICATION,
                                        cStat=code, xMotivo=REASONS[code], cUF=_uf(uf), dhRecbto=nfe_time(received),
                                        **extra))

        if validate(xml, "enviNFe"):
            return answer("225")
        sync = _text(root, "n:indSinc") == "1"
        if sync and len(nfes) > 1:
            return answer("764")
        receipt = self._sequence("receipt", uf, received)
        protocols = [self._judge(exact(xml, nfe), nfe, received, receipt) for nfe in nfes]
        if sync:
            document = _insert(answer("104"), "retEnviNFe", protocols)
        else:
            self.batches[receipt] = {"environment": environment, "uf": uf, "received_at": received.isoformat(),
                                     "polls": self.processing_polls, "protocols": [p.decode() for p in protocols]}
            document = answer("103", infRec=RetEnviNfe.InfRec(nRec=receipt, tMed="1"))
        return document

    def _nferetautorizacao(self, xml: bytes, received: datetime):
        root = parse(xml)
        receipt = _text(root, "n:nRec")
        invalid = bool(validate(xml, "consReci"))
        batch = None if invalid else self.batches.get(receipt)
        code = "215" if invalid else "106" if batch is None else "105" if batch["polls"] else "104"
        uf = batch["uf"] if batch else receipt[:2]
        document = serialize(RetConsReciNfe(
            versao=NFE_VERSION, tpAmb=_environment(_text(root, "n:tpAmb")), verAplic=APPLICATION, nRec=receipt,
            cStat=code, xMotivo=REASONS[code], cUF=_uf(uf), dhRecbto=nfe_time(
                datetime.fromisoformat(batch["received_at"]) if code == "104" else received)))
        if code == "105":
            self.batches[receipt] = {**batch, "polls": batch["polls"] - 1}
        if code == "104":
            document = _insert(document, "retConsReciNFe", [p.encode() for p in batch["protocols"]])
        return document

    def _nfeconsultaprotocolo(self, xml: bytes, received: datetime):
        root = parse(xml)
        key = _text(root, "n:chNFe")
        stored = None
        if validate(xml, "consSit"):
            code = "215"
        elif not is_valid_key(key):
            code = "236"
        else:
            stored = self.nfe.get(key)
            code = {None: "217", "authorized": "100", "cancelled": "101", "denied": "110"}[
                stored and stored["status"]]
        document = serialize(RetConsSitNfe(
            versao=NFE_VERSION, tpAmb=_environment(_text(root, "n:tpAmb")), verAplic=APPLICATION, cStat=code,
            xMotivo=REASONS[code], cUF=_uf(key[:2]), dhRecbto=nfe_time(received), chNFe=key or None))
        if stored:
            events = [self.events[name]["proc"].encode() for name in stored.get("events", [])]
            document = _insert(document, "retConsSitNFe", [stored["prot"].encode(), *events])
        return document

    def _recepcaoevento(self, xml: bytes, received: datetime):
        root = parse(xml)
        events = root.findall("n:evento", {"n": NFE_NS})
        kinds = {_text(event, "n:infEvento/n:tpEvento") for event in events}
        family = {CANCELLATION: "cancel", CORRECTION: "cce"}.get(kinds.pop() if len(kinds) == 1 else "")
        environment = _text(events[0], "n:infEvento/n:tpAmb") if events else "2"
        organ = _text(events[0], "n:infEvento/n:cOrgao") if events else ""
        invalid = family is None or validate(xml, family)
        code = "215" if invalid else "128"
        document = serialize(RetEnvEvento(
            versao="1.00", idLote=None if invalid else _text(root, "n:idLote"), tpAmb=_environment(environment),
            verAplic=APPLICATION, cOrgao=_organ(organ), cStat=code, xMotivo=REASONS[code]))
        if not invalid:
            document = _insert(document, "retEnvEvento", [self._event(exact(xml, event), event, received)
                                                          for event in events])
        return document

    def _nfeinutilizacao(self, xml: bytes, received: datetime):
        root = parse(xml)
        info = root.find("n:infInut", {"n": NFE_NS})
        fields = {name: _text(info, f"n:{name}") for name in ("tpAmb", "cUF", "ano", "CNPJ", "mod", "serie",
                                                               "nNFIni", "nNFFin")}
        try:
            if validate(xml, "inut"):
                raise Rejected("215")
            self._check_signature(xml, fields["CNPJ"])
            first, last = int(fields["nNFIni"]), int(fields["nNFFin"])
            if first > last:
                raise Rejected("224")
            if 2000 + int(fields["ano"]) > received.astimezone(SAO_PAULO).year:
                raise Rejected("453")
            series = (fields["tpAmb"], fields["CNPJ"], fields["mod"], int(fields["serie"]))
            name = "|".join(map(str, (*series, first, last)))
            if name in self.voids:
                raise Rejected("563")
            for other in self.voids.values():
                if tuple(other["series"]) == series and other["first"] <= last and first <= other["last"]:
                    raise Rejected("256")
            for number in self.numbers:
                *taken, value = number.split("|")
                if (taken[0], taken[1], taken[2], int(taken[3])) == series and first <= int(value) <= last:
                    raise Rejected("241")
        except Rejected as rejection:
            code, protocol = rejection.code, None
        else:
            code, protocol = "102", self._sequence("protocol", fields["cUF"], received)
            self.voids[name] = {"series": list(series), "first": first, "last": last, "protocol": protocol,
                                "registered_at": received.isoformat()}
        echoed = {name: fields[name] for name in ("ano", "CNPJ", "serie", "nNFIni", "nNFFin")} if protocol else {}
        return serialize(RetInutNfe(versao=NFE_VERSION, infInut=RetInutNfe.InfInut(
            tpAmb=_environment(fields["tpAmb"]), verAplic=APPLICATION, cStat=code, xMotivo=REASONS[code],
            cUF=_uf(fields["cUF"]), mod=Tmod(fields["mod"]) if protocol else None, dhRecbto=nfe_time(received),
            nProt=protocol, **echoed)))

    # The rules -----------------------------------------------------------------------------------

    def _check_signature(self, xml: bytes, cnpj: str):
        """298 unless signed as SEFAZ's pattern asks, 297 unless the signature matches the content, 213
        unless the signer's certificate is of the same company (CNPJ root) as `cnpj`."""
        root = parse(xml)
        info = root.find("ds:Signature/ds:SignedInfo", {"ds": DS_NS})
        references = [] if info is None else info.findall(f"{{{DS_NS}}}Reference")
        signed = next((element for element in root.iterchildren(etree.Element) if element.get("Id")), None)
        if not (len(references) == 1 and signed is not None
                and _algorithm(info, "ds:CanonicalizationMethod") == C14N
                and _algorithm(info, "ds:SignatureMethod") == RSA_SHA1
                and references[0].get("URI") == "#" + signed.get("Id")
                and [t.get("Algorithm") for t in references[0].iter(f"{{{DS_NS}}}Transform")] == [ENVELOPED, C14N]
                and _algorithm(references[0], "ds:DigestMethod") == SHA1):
            raise Rejected("298")
        try:
            signer = verify(xml)
        except SignatureInvalid as exc:
            raise Rejected("297") from exc
        if cnpj_of(signer)[:8] != cnpj.upper()[:8]:
            raise Rejected("213")

    def _judge(self, xml: bytes, nfe: etree._Element, received: datetime, receipt: str) -> bytes:
        """One NF-e of a batch judged: its protNFe (authorized, denied or rejected with the reason)."""
        info = nfe.find("n:infNFe", {"n": NFE_NS})
        key = (info.get("Id") or "")[3:]
        ide = {name: _text(info, f"n:ide/n:{name}") for name in (
            "cUF", "tpAmb", "mod", "serie", "nNF", "tpEmis", "cNF", "cDV", "dhEmi", "finNFe")}
        cnpj = _text(info, "n:emit/n:CNPJ")
        digest = _text(nfe, "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue")
        protocol = None
        try:
            self._check_signature(xml, cnpj)
            if not is_valid_key(key):
                raise Rejected("236")
            issued = datetime.fromisoformat(ide["dhEmi"])
            expected = (f"{ide['cUF']}{issued.strftime('%y%m')}{cnpj.upper()}{ide['mod']}{int(ide['serie']):03d}"
                        f"{int(ide['nNF']):09d}{ide['tpEmis']}{ide['cNF']}{ide['cDV']}")
            if expected != key:
                raise Rejected("502")
            if issued > received + AHEAD:
                raise Rejected("703")
            if issued < received - BEHIND:
                raise Rejected("228")
            if ide["tpAmb"] == "2" and info.find("n:dest", {"n": NFE_NS}) is not None and _text(
                    info, "n:dest/n:xNome") != HOMOLOGATION_NAME:
                raise Rejected("598")
            if ide["finNFe"] == "4" and not _references(info):
                raise Rejected("321")
            series = (ide["tpAmb"], cnpj.upper(), ide["mod"], int(ide["serie"]))
            number = "|".join(map(str, (*series, int(ide["nNF"]))))
            for void in self.voids.values():
                if tuple(void["series"]) == series and void["first"] <= int(ide["nNF"]) <= void["last"]:
                    raise Rejected("206")
            if stored := self.nfe.get(key):
                raise Rejected("205" if stored["status"] == "denied" else "204", receipt=stored["receipt"])
            if other := self.numbers.get(number):
                raise Rejected("539", key=other, receipt=self.nfe[other]["receipt"])
            recipient = _text(info, "n:dest/n:CNPJ") or _text(info, "n:dest/n:CPF")
            code = "302" if recipient and f"irregular:{recipient}" in self.state else "100"
        except Rejected as rejection:
            code, values = rejection.code, rejection.values
        else:
            values = {}
            protocol = self._sequence("protocol", ide["cUF"], received)
        answer = serialize(ProtNfe(versao=NFE_VERSION, infProt=TprotNfe.InfProt(
            tpAmb=_environment(ide["tpAmb"]), verAplic=APPLICATION, chNFe=key or None,
            dhRecbto=XmlDateTime.from_string(nfe_time(received)), nProt=protocol, digVal=_digest(digest),
            cStat=code, xMotivo=reason(code, **values))))
        if protocol:
            self.nfe[key] = {"status": "denied" if code in DENIED else "authorized", "protocol": protocol,
                             "receipt": receipt, "received_at": received.isoformat(), "issued_at": ide["dhEmi"],
                             "cnpj": cnpj.upper(), "environment": ide["tpAmb"], "prot": answer.decode(),
                             "events": []}
            self.numbers[number] = key
        return answer

    def _event(self, xml: bytes, event: etree._Element, received: datetime) -> bytes:
        """One event of a batch judged and, when registered, kept: its retEvento."""
        info = event.find("n:infEvento", {"n": NFE_NS})
        fields = {name: _text(info, f"n:{name}") for name in (
            "cOrgao", "tpAmb", "CNPJ", "chNFe", "dhEvento", "tpEvento", "nSeqEvento")}
        key, kind, sequence = fields["chNFe"], fields["tpEvento"], int(fields["nSeqEvento"] or 0)
        name = f"{kind}|{key}|{sequence}"
        stored, protocol, values, code = None, None, {}, "135"
        try:
            self._check_signature(xml, fields["CNPJ"])
            if not is_valid_key(key):
                raise Rejected("236")
            if info.get("Id") != f"ID{kind}{key}{sequence:02d}":
                raise Rejected("572")
            stored = self.nfe.get(key)
            if stored is None:
                raise Rejected("217")
            if fields["CNPJ"].upper() != key[6:20]:
                raise Rejected("574")
            if name in self.events:
                raise Rejected("573")
            when = datetime.fromisoformat(fields["dhEvento"])
            if when < datetime.fromisoformat(stored["issued_at"]):
                raise Rejected("577")
            if when > received + AHEAD:
                raise Rejected("578")
            if kind == CANCELLATION and stored["status"] == "cancelled":
                raise Rejected("218", protocol=stored["protocol"])
            if stored["status"] != "authorized":
                raise Rejected("580")
            if kind == CANCELLATION:
                if _text(info, "n:detEvento/n:nProt") != stored["protocol"]:
                    raise Rejected("222")
                age = received - datetime.fromisoformat(stored["received_at"])
                if age > LATE_CANCELLATION:
                    raise Rejected("501")
                code = "155" if age > CANCELLATION_WINDOW else "135"
        except Rejected as rejection:
            code, values = rejection.code, rejection.values
        else:
            protocol = self._sequence("protocol", key[:2], received)
        answer = serialize(RetEvento(versao="1.00", infEvento=TretEvento.InfEvento(
            tpAmb=_environment(fields["tpAmb"]), verAplic=APPLICATION, cOrgao=_organ(fields["cOrgao"]), cStat=code,
            xMotivo=reason(code, **values), chNFe=key or None, tpEvento=kind or None,
            xEvento=EVENT_NAMES.get(kind) if protocol else None, nSeqEvento=str(sequence) if sequence else None,
            dhRegEvento=nfe_time(received), nProt=protocol)))
        if protocol:
            self.events[name] = {"protocol": protocol, "registered_at": received.isoformat(),
                                 "proc": event_proc(xml, answer).decode()}
            self.nfe[key] = {**stored, "events": [*stored["events"], name],
                             **({"status": "cancelled"} if kind == CANCELLATION else {})}
        return answer

    def _sequence(self, name: str, uf: str, when: datetime) -> str:
        """The next protocol (15 digits: 1, cUF, the year's two digits, a sequence of 10) or receipt
        (nRec, 15 digits: cUF, 1, a sequence of 12)."""
        value = (self.state.get(name) or {}).get("value", 0) + 1
        self.state[name] = {"value": value}
        uf = f"{int(uf or 0):02d}"
        return f"1{uf}{when.astimezone(SAO_PAULO):%y}{value:010d}" if name == "protocol" else f"{uf}1{value:012d}"


def _references(info: etree._Element) -> bool:
    """Whether an NF-e refers to another document: NFref in ide, or (PL_010) DFeReferenciado in an item."""
    return info.find("n:ide/n:NFref", {"n": NFE_NS}) is not None or info.find(
        "n:det/n:DFeReferenciado", {"n": NFE_NS}) is not None


def _insert(document: bytes, tag: str, parts: list[bytes]) -> bytes:
    """`parts` (exact bytes) appended inside `document`'s root `tag`, at its end."""
    closing = f"</{tag}>".encode()
    if not document.endswith(closing):  # serialized without children: <tag .../>
        document = document[:-2] + b">" + closing
    return document[:-len(closing)] + b"".join(parts) + closing


def _environment(code: str) -> Tamb:
    """tpAmb as the message says it; homologação when it says nothing readable (a schema failure)."""
    try:
        return Tamb(code)
    except ValueError:
        return Tamb.VALUE_2


def _uf(code: str):
    try:
        return TcodUfIbge(code)
    except ValueError:
        return None


def _organ(code: str):
    try:
        return TcorgaoIbge(code)
    except ValueError:
        return None


def _digest(text: str) -> bytes | None:
    """digVal: the signature's DigestValue, as the bytes it encodes (None when it is not base64)."""
    try:
        return base64.b64decode(text, validate=True) if text else None
    except binascii.Error:
        return None


def authorize(signed_nfe: bytes, *, at: datetime | None = None, batch_id: str = "1") -> Protocol:
    """Sandbox mode, in process (the demo's history): `signed_nfe` judged and, when it passes, authorized
    by the simulator over the database's documents as if received `at` (now by default); its protocol."""
    simulator = SEFAZ.sandbox("sefaz")
    with _lock:
        document = simulator._nfeautorizacao(authorization_message(batch_id=batch_id, signed_nfes=[signed_nfe]),
                                             at or timezone.now())
    [protocol] = batch_answer(reply_of(answer_envelope(AUTHORIZATION.namespace, document), RetEnviNfe)).protocols
    return protocol


def register_event(signed_event: bytes, *, at: datetime | None = None, batch_id: str = "1") -> EventAnswer:
    """Sandbox mode, in process: a signed event (cancellation, CC-e) judged and, when it passes,
    registered as if received `at`; its answer."""
    simulator = SEFAZ.sandbox("sefaz")
    with _lock:
        document = simulator._recepcaoevento(event_message(batch_id=batch_id, signed_event=signed_event),
                                             at or timezone.now())
    return event_answer(reply_of(answer_envelope(EVENT.namespace, document), RetEnvEvento))
