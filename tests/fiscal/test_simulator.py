"""The SEFAZ simulator judged through the real client over mTLS: the subset of SEFAZ's rules it applies,
each answered with SEFAZ's own code and text, the protocols it gives, and its in-process use (demo)."""

import re
from datetime import timedelta

from django.utils import timezone
from lxml import etree
from nfelib.nfe.bindings.v4_0.cons_sit_nfe_v4_00 import ConsSitNfe
from nfelib.nfe.bindings.v4_0.leiaute_cons_sit_nfe_v4_00 import TconsSitNfeXServ, TverConsSitNfe
from nfelib.nfe.bindings.v4_0.leiaute_nfe_v4_00 import Tamb
from nfelib.nfe.bindings.v4_0.ret_cons_sit_nfe_v4_00 import RetConsSitNfe

from backoffice.models import SandboxDocument
from fiscal.nfe import keys
from fiscal.nfe.xml import DS_NS, event_proc, nfe_proc, serialize, validate
from fiscal.providers import sandbox, transport
from fiscal.providers.sefaz import AUTHORIZATION, CONSULTATION, authorization_message, reply_of
from fiscal.providers.sefaz.sandbox import authorize
from fiscal.providers.sefaz.soap import envelope
from tests.fiscal.sefaz_support import (  # noqa: F401 (sefaz: a fixture)
    ALPHANUMERIC_CNPJ,
    OTHER_CNPJ,
    as_company,
    cancellation,
    certificate,
    correction,
    inutilization,
    key_of,
    nfe,
    sefaz,
)


def authorized(sefaz, signed: bytes):
    [protocol] = transport().authorize(sefaz.conn, batch_id="1", signed_nfes=[signed]).protocols
    assert protocol.code == "100", protocol.message
    return protocol


def judged(sefaz, signed: bytes):
    answer = transport().authorize(sefaz.conn, batch_id="7", signed_nfes=[signed])
    assert answer.code == "104"
    [protocol] = answer.protocols
    return protocol


def test_the_status_service_is_in_operation_until_it_stops(sefaz):
    answer = transport().status(sefaz.conn)
    assert (answer.code, answer.message, answer.average_seconds, answer.up) == ("107", "Serviço em Operação", 1, True)
    assert validate(answer.raw, "consStat") == []
    sefaz.set_service(up=False)
    answer = transport().status(sefaz.conn)
    assert (answer.code, answer.message, answer.up) == ("109", "Serviço Paralisado sem Previsão", False)


def test_an_nfe_is_authorized_at_once_with_a_protocol_of_sefaz_form_and_the_signatures_digest(sefaz):
    signed = nfe(number=10)
    answer = transport().authorize(sefaz.conn, batch_id="1", signed_nfes=[signed])
    assert (answer.code, answer.message, answer.receipt) == ("104", "Lote processado", "")
    [protocol] = answer.protocols
    assert (protocol.key, protocol.code, protocol.message) == (key_of(signed), "100", "Autorizado o uso da NF-e")
    # nProt: 1 (a SEFAZ), the UF (35), the year, a sequence of 10.
    assert re.fullmatch(rf"135{timezone.now():%y}\d{{10}}", protocol.number)
    digest = etree.fromstring(signed).findtext(f".//{{{DS_NS}}}DigestValue")
    assert protocol.digest == digest and abs(protocol.received_at - timezone.now()) < timedelta(minutes=1)
    assert validate(answer.raw, "enviNFe") == []
    assert validate(nfe_proc(signed, protocol.raw), "nfe") == []


def test_a_batch_gets_a_receipt_then_is_in_processing_then_processed(sefaz):
    sefaz.processing_polls = 1
    first, second = nfe(number=20), nfe(number=21)
    answer = transport().authorize(sefaz.conn, batch_id="2", signed_nfes=[first, second])
    assert (answer.code, answer.message, answer.protocols) == ("103", "Lote recebido com sucesso", [])
    assert re.fullmatch(r"351\d{12}", answer.receipt) and answer.pending
    waiting = transport().batch_result(sefaz.conn, receipt=answer.receipt)
    assert (waiting.code, waiting.message, waiting.pending) == ("105", "Lote em processamento", True)
    done = transport().batch_result(sefaz.conn, receipt=answer.receipt)
    assert (done.code, done.receipt, done.pending) == ("104", answer.receipt, False)
    assert [(p.key, p.code) for p in done.protocols] == [(key_of(first), "100"), (key_of(second), "100")]
    assert validate(done.raw, "consReci") == []
    assert transport().batch_result(sefaz.conn, receipt="351000000009999").code == "106"


def test_a_synchronous_batch_of_several_is_refused_764(sefaz):
    message = authorization_message(batch_id="3", signed_nfes=[nfe(number=30), nfe(number=31)])
    message = message.replace(b"<indSinc>0</indSinc>", b"<indSinc>1</indSinc>")
    status, answer = sefaz.handle("POST", "/ws/NFeAutorizacao4", {}, envelope(AUTHORIZATION.namespace, message))
    assert status == 200 and b"<cStat>764</cStat>" in answer


def test_an_nfe_that_fails_the_schema_fails_the_whole_batch_225(sefaz):
    signed = re.sub(rb"<natOp>[^<]*</natOp>", b"", nfe(number=40))
    answer = transport().authorize(sefaz.conn, batch_id="4", signed_nfes=[signed])
    assert (answer.code, answer.message, answer.protocols) == ("225", "Rejeição: Falha no Schema XML do lote de NFe",
                                                               [])


def test_a_signed_nfe_changed_afterwards_is_297(sefaz):
    signed = re.sub(rb"<xProd>[^<]*</xProd>", b"<xProd>OUTRO PRODUTO</xProd>", nfe(number=41))
    protocol = judged(sefaz, signed)
    assert (protocol.code, protocol.message, protocol.number) == ("297", "Rejeição: Assinatura difere do calculado", "")


def test_a_signature_out_of_sefazs_pattern_is_298(sefaz):
    signed = nfe(number=42)
    signed = signed.replace(f'URI="#NFe{key_of(signed)}"'.encode(), b'URI="#NFe0"')  # not its Id
    protocol = judged(sefaz, signed)
    assert (protocol.code, protocol.message) == ("298", "Rejeição: Assinatura difere do padrão do Sistema")


def test_an_nfe_signed_by_another_company_is_213(sefaz):
    protocol = judged(sefaz, nfe(number=43, signer=certificate(OTHER_CNPJ)))
    assert (protocol.code, protocol.message) == (
        "213", "Rejeição: CNPJ-Base do Emitente difere do CNPJ-Base do Certificado Digital")


def test_a_key_with_a_wrong_check_digit_is_236_and_one_not_of_the_documents_fields_502(sefaz):
    issued = timezone.now() - timedelta(minutes=1)
    right = keys.access_key(uf_code="35", issued_at=issued, cnpj="11222333000181", series=1, number=44,
                            code="12345670")
    wrong_digit = right[:43] + str((int(right[43]) + 1) % 10)
    protocol = judged(sefaz, nfe(number=44, issued_at=issued, code="12345670", key=wrong_digit))
    assert (protocol.code, protocol.message) == ("236", "Rejeição: Chave de Acesso com dígito verificador inválido")
    other_code = keys.access_key(uf_code="35", issued_at=issued, cnpj="11222333000181", series=1, number=44,
                                 code="87654329")
    protocol = judged(sefaz, nfe(number=44, issued_at=issued, code="12345670", key=other_code))
    assert protocol.code == "502" and protocol.message.startswith("Rejeição: Erro na Chave de Acesso - Campo Id")


def test_an_nfe_sent_again_is_a_duplicate_204_naming_its_first_receipt(sefaz):
    signed = nfe(number=50)
    first = authorized(sefaz, signed)
    again = judged(sefaz, signed)
    receipt = sefaz.nfe[first.key]["receipt"]
    assert (again.code, again.message, again.number) == ("204", f"Rejeição: Duplicidade de NF-e [nRec:{receipt}]", "")
    consulted = transport().consult(sefaz.conn, key=first.key)
    assert consulted.protocol.number == first.number and consulted.protocol.raw == first.raw


def test_the_same_number_under_another_key_is_539(sefaz):
    first = authorized(sefaz, nfe(number=51, code="11111112"))
    other = judged(sefaz, nfe(number=51, code="22222223"))
    receipt = sefaz.nfe[first.key]["receipt"]
    assert other.code == "539" and other.key != first.key
    assert other.message == (f"Rejeição: Duplicidade de NF-e com diferença na Chave de Acesso [chNFe: {first.key}]"
                             f"[nRec:{receipt}]")


def test_a_return_needs_a_referenced_document_321_in_its_header_or_its_items(sefaz):
    original = authorized(sefaz, nfe(number=60))
    protocol = judged(sefaz, nfe(number=61, purpose=4))
    assert (protocol.code, protocol.message) == (
        "321", "Rejeição: NF-e de devolução de mercadoria não possui documento fiscal referenciado")
    assert judged(sefaz, nfe(number=61, purpose=4, refers_to=original.key)).code == "100"
    assert judged(sefaz, nfe(number=62, purpose=4, item_refers_to=original.key)).code == "100"


def test_an_nfe_issued_in_the_future_is_703_and_one_issued_long_ago_228(sefaz):
    ahead = judged(sefaz, nfe(number=70, issued_at=timezone.now() + timedelta(hours=1)))
    assert (ahead.code, ahead.message) == ("703", "Rejeição: Data-Hora de Emissão posterior ao horário de recebimento")
    late = judged(sefaz, nfe(number=71, issued_at=timezone.now() - timedelta(days=31)))
    assert (late.code, late.message) == ("228", "Rejeição: Data de Emissão muito atrasada")


def test_in_homologation_the_recipient_is_named_as_sefaz_requires_598(sefaz):
    protocol = judged(sefaz, nfe(number=72, recipient="JOSE DA SILVA"))
    assert protocol.code == "598" and protocol.message.endswith(
        "diferente de NF-E EMITIDA EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL")


def test_an_irregular_recipient_is_denied_302_and_the_number_is_spent(sefaz):
    signed = nfe(number=73)
    recipient = etree.fromstring(signed).findtext(".//{*}dest/{*}CNPJ") or etree.fromstring(signed).findtext(
        ".//{*}dest/{*}CPF")
    sefaz.deny_recipient(recipient)
    protocol = judged(sefaz, signed)
    assert (protocol.code, protocol.denied, protocol.message) == (
        "302", True, "Uso Denegado: Irregularidade fiscal do destinatário")
    assert protocol.number  # a denial is recorded under a protocol
    assert transport().consult(sefaz.conn, key=protocol.key).code == "110"
    assert judged(sefaz, signed).code == "205"


def test_an_alphanumeric_cnpj_issues_as_a_numeric_one(sefaz):
    conn = as_company(sefaz.conn, ALPHANUMERIC_CNPJ)
    signed = nfe(number=80, cnpj=ALPHANUMERIC_CNPJ)
    [protocol] = transport().authorize(conn, batch_id="8", signed_nfes=[signed]).protocols
    assert (protocol.code, protocol.key[6:20]) == ("100", ALPHANUMERIC_CNPJ)
    assert transport().consult(conn, key=protocol.key).code == "100"


def test_the_consultation_answers_100_101_and_217(sefaz):
    protocol = authorized(sefaz, nfe(number=90))
    found = transport().consult(sefaz.conn, key=protocol.key)
    assert (found.code, found.found, found.protocol.number, found.events) == ("100", True, protocol.number, [])
    assert validate(found.raw, "consSit") == []
    transport().send_event(sefaz.conn, batch_id="9", signed_event=cancellation(key=protocol.key,
                                                                                protocol=protocol.number))
    cancelled = transport().consult(sefaz.conn, key=protocol.key)
    assert (cancelled.code, cancelled.message) == ("101", "Cancelamento de NF-e homologado")
    [event] = cancelled.events
    assert b"<tpEvento>110111</tpEvento>" in event and validate(event, "cancel") == []
    unknown = keys.access_key(uf_code="35", issued_at=timezone.now(), cnpj="11222333000181", series=1, number=999,
                              code="31415926")
    missing = transport().consult(sefaz.conn, key=unknown)
    assert (missing.code, missing.message, missing.found, missing.protocol) == (
        "217", "Rejeição: NF-e não consta na base de dados da SEFAZ", False, None)
    assert transport().consult(sefaz.conn, key=unknown[:43] + str((int(unknown[43]) + 1) % 10)).code == "236"


def test_a_cancellation_is_registered_once_and_only_within_its_deadline(sefaz):
    protocol = authorized(sefaz, nfe(number=100))
    event = cancellation(key=protocol.key, protocol=protocol.number)
    answer = transport().send_event(sefaz.conn, batch_id="10", signed_event=event)
    assert (answer.code, answer.message, answer.registered) == ("135", "Evento registrado e vinculado a NF-e", True)
    assert re.fullmatch(r"135\d{12}", answer.protocol) and answer.registered_at
    assert validate(event_proc(event, answer.raw), "cancel") == []
    again = transport().send_event(sefaz.conn, batch_id="11", signed_event=event)
    assert (again.code, again.message, again.protocol) == ("573", "Rejeição: Duplicidade de Evento", "")


def test_a_cancelled_nfe_takes_no_other_cancellation_218_nor_correction_580(sefaz):
    protocol = authorized(sefaz, nfe(number=101))
    transport().send_event(sefaz.conn, batch_id="1", signed_event=cancellation(key=protocol.key,
                                                                                protocol=protocol.number))
    second = cancellation(key=protocol.key, protocol=protocol.number, sequence=2)
    answer = transport().send_event(sefaz.conn, batch_id="2", signed_event=second)
    assert answer.code == "218" and answer.message == (
        f"Rejeição: NF-e já está cancelada na base de dados da SEFAZ [nProt:{protocol.number}]")
    letter = transport().send_event(sefaz.conn, batch_id="3", signed_event=correction(key=protocol.key, sequence=1))
    assert (letter.code, letter.message) == ("580", "Rejeição: O evento exige uma NF-e autorizada")


def test_a_late_cancellation_is_registered_out_of_time_155_and_after_seven_days_refused_501(sefaz):
    early = authorized(sefaz, nfe(number=102))
    later = authorized(sefaz, nfe(number=103))
    sefaz.now = lambda: timezone.now() + timedelta(hours=30)
    answer = transport().send_event(sefaz.conn, batch_id="1", signed_event=cancellation(
        key=early.key, protocol=early.number))
    assert (answer.code, answer.message, answer.registered) == ("155", "Cancelamento homologado fora de prazo", True)
    sefaz.now = lambda: timezone.now() + timedelta(days=8)
    answer = transport().send_event(sefaz.conn, batch_id="2", signed_event=cancellation(
        key=later.key, protocol=later.number))
    assert (answer.code, answer.message) == (
        "501", "Rejeição: Pedido de Cancelamento intempestivo (NF-e autorizada a mais de 7 dias)")


def test_a_cancellation_must_name_the_authorization_222_of_a_known_nfe_217(sefaz):
    protocol = authorized(sefaz, nfe(number=104))
    wrong = transport().send_event(sefaz.conn, batch_id="1", signed_event=cancellation(
        key=protocol.key, protocol="135260000000999"))
    assert (wrong.code, wrong.message) == ("222", "Rejeição: Protocolo de Autorização de Uso difere do cadastrado")
    unknown = keys.access_key(uf_code="35", issued_at=timezone.now(), cnpj="11222333000181", series=1, number=998,
                              code="27182818")
    missing = transport().send_event(sefaz.conn, batch_id="2", signed_event=cancellation(
        key=unknown, protocol="135260000000001"))
    assert (missing.code, missing.message) == ("217", "Rejeição: NF-e não consta na base de dados da SEFAZ")


def test_correction_letters_are_numbered_and_each_number_registered_once(sefaz):
    protocol = authorized(sefaz, nfe(number=110))
    first = transport().send_event(sefaz.conn, batch_id="1", signed_event=correction(key=protocol.key, sequence=1))
    second = transport().send_event(sefaz.conn, batch_id="2", signed_event=correction(
        key=protocol.key, sequence=2, text="Corrigir o complemento e o bairro do destinatário"))
    assert (first.code, second.code) == ("135", "135") and first.protocol != second.protocol
    assert validate(event_proc(correction(key=protocol.key, sequence=1), first.raw), "cce") == []
    again = transport().send_event(sefaz.conn, batch_id="3", signed_event=correction(key=protocol.key, sequence=2))
    assert again.code == "573"
    assert len(transport().consult(sefaz.conn, key=protocol.key).events) == 2


def test_an_event_by_another_company_is_refused_574(sefaz):
    protocol = authorized(sefaz, nfe(number=111))
    event = correction(key=protocol.key, sequence=1, cnpj=OTHER_CNPJ)
    assert transport().send_event(as_company(sefaz.conn, OTHER_CNPJ), batch_id="1", signed_event=event).code == "574"


def test_a_batch_of_events_failing_the_schema_is_refused_215(sefaz):
    protocol = authorized(sefaz, nfe(number=112))
    event = correction(key=protocol.key, sequence=1, text="curto")
    answer = transport().send_event(sefaz.conn, batch_id="1", signed_event=event)
    assert (answer.code, answer.message, answer.protocol) == ("215", "Rejeição: Falha no schema XML", "")


def test_numbers_are_voided_once_and_only_when_unused(sefaz):
    authorized(sefaz, nfe(number=125))
    voided = transport().void(sefaz.conn, signed_inut=inutilization(first=120, last=122))
    assert (voided.code, voided.message, voided.registered) == ("102", "Inutilização de número homologado", True)
    assert re.fullmatch(r"135\d{12}", voided.protocol) and validate(voided.raw, "inut") == []
    same = transport().void(sefaz.conn, signed_inut=inutilization(first=120, last=122))
    assert (same.code, same.message) == ("563", "Rejeição: Já existe pedido de Inutilização com a mesma faixa de "
                                                "inutilização")
    overlap = transport().void(sefaz.conn, signed_inut=inutilization(first=122, last=123))
    assert (overlap.code, overlap.message) == (
        "256", "Rejeição: Uma NF-e da faixa já está inutilizada na Base de dados da SEFAZ")
    used = transport().void(sefaz.conn, signed_inut=inutilization(first=124, last=126))
    assert (used.code, used.message) == ("241", "Rejeição: Um número da faixa já foi utilizado")
    backwards = transport().void(sefaz.conn, signed_inut=inutilization(first=130, last=128))
    assert (backwards.code, backwards.message) == ("224", "Rejeição: A faixa inicial é maior que a faixa final")
    protocol = judged(sefaz, nfe(number=121))
    assert (protocol.code, protocol.message) == ("206", "Rejeição: NF-e já está inutilizada na Base de dados da SEFAZ")


def test_the_demo_authorizes_in_process_at_a_past_moment_and_the_sandbox_view_answers_for_it(db, client, settings):
    settings.FISCAL_SANDBOX = True
    moment = timezone.now() - timedelta(days=3)
    protocol = authorize(nfe(number=130, issued_at=moment - timedelta(minutes=2)), at=moment)
    assert protocol.code == "100" and abs(protocol.received_at - moment) < timedelta(seconds=1)
    assert SandboxDocument.objects.filter(provider="sefaz", kind="nfe", key=protocol.key).exists()
    message = serialize(ConsSitNfe(tpAmb=Tamb.VALUE_2, xServ=TconsSitNfeXServ.CONSULTAR, chNFe=protocol.key,
                                   versao=TverConsSitNfe.VALUE_4_00))
    answer = client.post("/fiscal/sandbox/sefaz/NFeConsultaProtocolo4", envelope(CONSULTATION.namespace, message),
                         content_type="application/soap+xml")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/soap+xml; charset=utf-8"
    consulted = reply_of(answer.content, RetConsSitNfe).answer
    assert (consulted.cStat, consulted.protNFe.infProt.nProt) == ("100", protocol.number)


def test_the_sandbox_view_loses_an_answer_as_asked_and_is_closed_outside_sandbox_mode(db, client, settings):
    settings.FISCAL_SANDBOX = True
    sandbox("sefaz").lose_next_answer()
    body = envelope(AUTHORIZATION.namespace, authorization_message(batch_id="2", signed_nfes=[nfe(number=132)]))
    lost = client.post("/fiscal/sandbox/sefaz/NFeAutorizacao4", body, content_type="application/soap+xml")
    assert (lost.status_code, lost.content) == (502, b"")
    assert SandboxDocument.objects.filter(provider="sefaz", kind="nfe").count() == 1  # authorized all the same
    settings.FISCAL_SANDBOX = False
    closed = client.post("/fiscal/sandbox/sefaz/NFeAutorizacao4", body, content_type="application/soap+xml")
    assert closed.status_code == 404
