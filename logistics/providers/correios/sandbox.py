"""Correios' REST API in sandbox mode (setting LOGISTICS_SANDBOX): a posting card's token, pre-postings
given an object code (S10, its check digit right), their labels made asynchronously (a 10 × 15 cm PDF with
the code in Code 128) and SRO Rastro in the shape of the real sample (contracts/): each object posted, in
transit, out for delivery and delivered as time passes since its posting — or the events a test stores on
it. Errors come in Correios' MessageResponse shape. Only the credentials of the store's active Correios
carriers (in tests: the account the sandbox is given) get a token, and every other call wants one."""

import base64
import io
import json
import re
import secrets
import string
import unicodedata
from datetime import datetime, timedelta
from http import HTTPStatus

from django.utils import timezone
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from backoffice.integrations.base import same_digest
from backoffice.integrations.sandbox import SandboxAPI
from backoffice.text import format_cep
from logistics.models import Carrier

from . import LABEL_DOWNLOAD, LABEL_ORDER, PRE_POSTINGS, SAO_PAULO, TOKEN, TRACKING

TOKEN_LIFE = timedelta(hours=24)
# The services of the sandbox's contract: their names and the prefix of their object codes (the sandbox's own).
SERVICES = {"03220": ("SEDEX", "AB"), "03298": ("PAC", "AN"), "04162": ("SEDEX", "AB"), "04669": ("PAC", "AN")}
# An object's history, each event this long after its posting: (after, code, type, description, detail,
# unit type, where: the sender's city or the recipient's).
HISTORY = (
    (timedelta(0), "PO", "01", "Objeto postado", "", "Agência dos Correios", "origem"),
    (timedelta(hours=6), "RO", "01", "Objeto em trânsito", "Por favor, aguarde", "Unidade de Tratamento", "origem"),
    (timedelta(days=1), "OEC", "01", "Objeto saiu para entrega ao destinatário", "", "Unidade de Distribuição",
     "destino"),
    (timedelta(days=1, hours=4), "BDE", "01", "Objeto entregue ao destinatário", "", "Unidade de Distribuição",
     "destino"),
)
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
ALPHANUMERIC = string.ascii_letters + string.digits
LABEL_SIZE = (100 * mm, 150 * mm)


def s10_check_digit(serial: str) -> str:
    """The check digit of an object code's 8-digit serial (UPU S10: weights 8 6 4 2 3 5 9 7, modulo 11;
    a 10 is 0, an 11 is 5)."""
    digit = 11 - sum(int(number) * weight for number, weight in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(digit, str(digit))


def _local(moment: datetime) -> str:
    """A moment as Correios writes it: São Paulo's time, without an offset."""
    return moment.astimezone(SAO_PAULO).replace(tzinfo=None).isoformat(timespec="seconds")


def _unit_name(text: str) -> str:
    """A city as SRO names it: upper case, without accents."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper()


def message(status: int, method: str, path: str, *messages: str) -> dict:
    """An error as Correios answers one (MessageResponse)."""
    return {"msgs": list(messages), "date": _local(timezone.now()), "method": method, "path": path,
            "causa": HTTPStatus(status).phrase, "stackTrace": None}


def label_pdf(pre_postings: list[dict]) -> bytes:
    """The labels of `pre_postings` (Correios' documents), one 10 × 15 cm page each: the service, the object
    code in Code 128 and as text, the recipient's and the sender's addresses."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=LABEL_SIZE)
    pdf.setTitle("Rótulos (sandbox)")
    width, height = LABEL_SIZE
    for document in pre_postings:
        code = document["codigoObjeto"]
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(8 * mm, height - 14 * mm, SERVICES.get(document["codigoServico"], ("", ""))[0])
        pdf.setFont("Helvetica", 7)
        pdf.drawRightString(width - 8 * mm, height - 10 * mm, "SANDBOX – sem valor postal")
        pdf.drawRightString(width - 8 * mm, height - 14 * mm, f"Peso: {document['pesoInformado']} g")
        barcode = Code128(code, barHeight=20 * mm, barWidth=0.4 * mm, quiet=True)
        barcode.drawOn(pdf, (width - barcode.width) / 2, height - 42 * mm)
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawCentredString(width / 2, height - 48 * mm, code)
        top = height - 60 * mm
        for title, party, size in (("DESTINATÁRIO", document["destinatario"], 10),
                                   ("Remetente", document["remetente"], 8)):
            address = party["endereco"]
            lines = [party["nome"], f"{address['logradouro']}, {address['numero']} {address.get('complemento') or ''}",
                     address["bairro"], f"{format_cep(address['cep'])} {address['cidade']}/{address['uf']}"]
            pdf.setFont("Helvetica-Bold", size)
            pdf.drawString(8 * mm, top, title)
            pdf.setFont("Helvetica", size)
            for number, line in enumerate(lines, start=1):
                pdf.drawString(8 * mm, top - number * (size + 2), line.strip())
            top -= (len(lines) + 2) * (size + 2) + 6 * mm
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class CorreiosSandbox(SandboxAPI):
    """Tokens (`tokens`), pre-postings (`prepostagens`, by id), label receipts (`recibos`: their
    pre-postings, how many downloads found them not made yet, `prontoApos` the number that do) and objects
    (`objetos`, by code: when it was posted, from and to where; `eventos`, when set, is its history as is)."""

    provider = "correios"
    kinds = ("tokens", "prepostagens", "recibos", "objetos")

    def __init__(self, documents=lambda kind: {}, account: dict | None = None):
        super().__init__(documents)
        self.account = account

    def respond(self, method, path, headers, body):
        route = path.split("?")[0].rstrip("/")
        if (method, route) == ("POST", TOKEN):
            return self.authenticate(headers, body, method, path)
        token = self.token_of(headers)
        if token is None:
            return 401, message(401, method, path, "Token inválido ou expirado.")
        if method == "POST" and route in (PRE_POSTINGS, LABEL_ORDER):
            try:
                document = json.loads(body or b"{}")
            except ValueError:
                document = None
            if not isinstance(document, dict):
                return 400, message(400, method, path, "O corpo da requisição não é um objeto JSON.")
            if route == PRE_POSTINGS:
                return self.pre_post(document, token, method, path)
            return self.order_labels(document, method, path)
        if method == "GET" and route.startswith(LABEL_DOWNLOAD):
            return self.download(route.removeprefix(LABEL_DOWNLOAD), method, path)
        if method == "GET" and route.startswith(TRACKING):
            return 200, self.rastro(route.removeprefix(TRACKING))
        return 404, message(404, method, path, "Recurso não encontrado.")

    def account_of(self, user: str, secret: str, card: str) -> dict | None:
        """The credentials of the account whose user, access code and posting card these are."""
        accounts = [self.account] if self.account is not None else [
            carrier.credentials for carrier in Carrier.objects.filter(provider=self.provider, active=True)]
        for account in accounts:
            if (account.get("access_code") and same_digest(account.get("user", ""), user)
                    and same_digest(account["access_code"], secret)
                    and same_digest(account.get("posting_card", ""), card)):
                return account
        return None

    def authenticate(self, headers, body, method, path):
        """`POST /token/v1/autentica/cartaopostagem`: Basic user:access code, {"numero": posting card}."""
        try:
            user, _, secret = base64.b64decode(headers.get("authorization", "").removeprefix("Basic ")).decode() \
                .partition(":")
            card = str(json.loads(body or b"{}").get("numero") or "")
        except (ValueError, AttributeError):
            return 400, message(400, method, path, "Requisição inválida.")
        account = self.account_of(user, secret, card)
        if account is None:
            return 401, message(401, method, path, "Usuário, código de acesso ou cartão de postagem inválido.")
        now = timezone.now()
        for expired in [key for key, kept in self.tokens.items() if datetime.fromisoformat(kept["expira"]) <= now]:
            del self.tokens[expired]
        token = secrets.token_urlsafe(32)
        self.tokens[token] = {"usuario": user, "cartao": card, "expira": (now + TOKEN_LIFE).isoformat()}
        return 201, {
            "ambiente": "HOMOLOGACAO", "id": user, "perfil": "PJ", "cnpj": user,
            "cartaoPostagem": {"numero": card, "contrato": account.get("contract", ""), "dr": 72, "api": [34, 36, 87]},
            "emissao": _local(now), "expiraEm": _local(now + TOKEN_LIFE),
            "zoneOffset": now.astimezone(SAO_PAULO).isoformat()[-6:], "token": token,
        }

    def token_of(self, headers) -> dict | None:
        """The unexpired token the call's `Authorization: Bearer` names."""
        kept = self.tokens.get(headers.get("authorization", "").removeprefix("Bearer ").strip())
        if kept is None or datetime.fromisoformat(kept["expira"]) <= timezone.now():
            return None
        return kept

    def problems(self, document: dict) -> list[str]:
        """What Correios would refuse in a pre-posting."""
        problems = []
        if str(document.get("codigoServico")) not in SERVICES:
            problems.append(f"O serviço {document.get('codigoServico')} não está no contrato do cartão de postagem.")
        for role, name in (("remetente", "remetente"), ("destinatario", "destinatário")):
            party = document.get(role) if isinstance(document.get(role), dict) else {}
            address = party.get("endereco") if isinstance(party.get("endereco"), dict) else {}
            cep = str(address.get("cep") or "")
            if not (party.get("nome") and isinstance(party["nome"], str)):
                problems.append(f"Informe o nome do {name}.")
            if not re.fullmatch(r"[0-9]{8}", cep) or cep < "01000000":  # no CEP starts below 01000-000
                problems.append(f"O CEP do {name} ({cep}) é inválido.")
            if not all(address.get(field) and isinstance(address[field], str)
                       for field in ("logradouro", "cidade", "uf")):
                problems.append(f"Informe o logradouro, a cidade e a UF do {name}.")
        weight = str(document.get("pesoInformado") or "")
        if not weight.isdigit() or not 0 < int(weight) <= 30000:
            problems.append("O peso informado deve estar entre 1 e 30000 gramas.")
        sizes = [str(document.get(field) or "") for field in ("comprimentoInformado", "larguraInformada",
                                                                 "alturaInformada")]
        if document.get("codigoFormatoObjetoInformado") == "2" and not all(
                size.isdigit() and 0 < int(size) <= 100 for size in sizes):
            problems.append("Informe comprimento, largura e altura da caixa, de 1 a 100 cm.")
        if not (re.fullmatch(r"[0-9]{44}", str(document.get("chaveNFe") or ""))
                or document.get("itensDeclaracaoConteudo")):
            problems.append("Informe a chave da NF-e ou os itens da declaração de conteúdo.")
        if document.get("cienteObjetoNaoProibido") != "1":
            problems.append("O remetente deve declarar que o objeto não contém itens proibidos.")
        return problems

    def new_code(self, prefix: str) -> str:
        while True:
            serial = f"{secrets.randbelow(10**8):08d}"
            code = f"{prefix}{serial}{s10_check_digit(serial)}BR"
            if code not in self.objetos:
                return code

    def pre_post(self, document, token, method, path):
        """`POST /prepostagem/v1/prepostagens`: the pre-posting kept with its id and object code; the
        object is posted at once (its history starts now)."""
        if problems := self.problems(document):
            return 400, message(400, method, path, *problems)
        code = self.new_code(SERVICES[document["codigoServico"]][1])
        pre_posting = {**document, "id": "PR" + "".join(secrets.choice(ALPHANUMERIC) for _ in range(22)),
                       "codigoObjeto": code, "numeroCartaoPostagem": token["cartao"]}
        self.prepostagens[pre_posting["id"]] = pre_posting
        where = {role: {"cidade": _unit_name(document[role]["endereco"]["cidade"]),
                        "uf": document[role]["endereco"]["uf"].upper()}
                 for role in ("remetente", "destinatario")}
        self.objetos[code] = {"postadoEm": timezone.now().isoformat(), "servico": document["codigoServico"],
                              "peso": int(document["pesoInformado"]) / 1000, "origem": where["remetente"],
                              "destino": where["destinatario"]}
        return 200, pre_posting

    def order_labels(self, document, method, path):
        """`POST …/rotulo/assincrono/pdf`: a receipt for the labels of `idsPrePostagem`."""
        ids = document.get("idsPrePostagem")
        if not isinstance(ids, list) or not ids:
            return 400, message(400, method, path, "Informe os ids das pré-postagens.")
        if unknown := [str(pre_posting) for pre_posting in ids if str(pre_posting) not in self.prepostagens]:
            return 400, message(400, method, path, *(f"Pré-postagem {item} não encontrada." for item in unknown))
        if document.get("tipoRotulo") not in ("P", "R") or document.get("formatoRotulo") != "ET":
            return 400, message(400, method, path, "Tipo ou formato de rótulo inválido.")
        receipt = secrets.token_hex(16)
        self.recibos[receipt] = {"idsPrePostagem": [str(item) for item in ids], "consultas": 0, "prontoApos": 1}
        return 200, {"idRecibo": receipt}

    def download(self, receipt, method, path):
        """`GET …/rotulo/download/assincrono/{idRecibo}`: not made yet for its first `prontoApos` downloads,
        then the PDF in base64."""
        document = self.recibos.get(receipt)
        if document is None:
            return 404, message(404, method, path, f"Recibo {receipt} não encontrado.")
        document["consultas"] += 1
        self.recibos[receipt] = document
        if document["consultas"] <= document["prontoApos"]:
            return 200, {"idRecibo": receipt, "mensagem": "Rótulo em processamento, tente novamente em instantes."}
        pdf = label_pdf([self.prepostagens[pre_posting] for pre_posting in document["idsPrePostagem"]])
        return 200, {"idRecibo": receipt, "nome": f"{receipt}.pdf", "dados": base64.b64encode(pdf).decode()}

    def history(self, document: dict) -> list[dict]:
        """The events of an object so far (HISTORY since its posting), newest first."""
        posted = datetime.fromisoformat(document["postadoEm"])
        events = []
        for after, code, kind, description, detail, unit, where in HISTORY:
            if posted + after > timezone.now():
                break
            event = {"codigo": code, "tipo": kind, "dtHrCriado": _local(posted + after), "descricao": description,
                     "unidade": {"tipo": unit, "endereco": document[where]}}
            if detail:
                event["detalhe"] = detail
            if code == "RO":
                event["unidadeDestino"] = {"tipo": "Unidade de Distribuição", "endereco": document["destino"]}
            events.append(event)
        return events[::-1]

    def rastro(self, code: str) -> dict:
        """`GET /srorastro/v1/objetos/{codigo}`: the object's events (SRO-020 for an object not known)."""
        answer = {"versao": "1.8.7", "quantidade": 1, "resultado": "Todos os Eventos"}
        document = self.objetos.get(code)
        if document is None:
            return {**answer, "objetos": [
                {"codObjeto": code, "mensagem": "SRO-020: Objeto não encontrado na base de dados dos Correios."}]}
        service, _prefix = SERVICES[document["servico"]]
        posted = datetime.fromisoformat(document["postadoEm"])
        return {**answer, "objetos": [{
            "codObjeto": code, "tipoPostal": {"sigla": code[:2], "descricao": f"ENCOMENDA {service}",
                                              "categoria": service},
            "dtPrevista": _local(posted + timedelta(days=2)), "modalidade": "F", "peso": document["peso"],
            "formato": "Pacote", "eventos": document["eventos"] if "eventos" in document else self.history(document),
        }]}
