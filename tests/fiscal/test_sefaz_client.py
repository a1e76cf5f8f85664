"""The SEFAZ client: every web service over mTLS against the simulator (the A1 presented, the server
verified), SOAP 1.2 with the signed documents byte for byte, SEFAZ's protocols kept byte for byte, a
lost authorization found by its key, the endpoints per UF, and SEFAZ's real answers (contracts/)."""

import re
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core import checks

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request
from backoffice.integrations.sandbox import SandboxAPI
from fiscal.nfe import signing
from fiscal.nfe.xml import nfe_proc, validate
from fiscal.providers import Connection, transport
from fiscal.providers.sefaz import SERVICES, endpoint, sefaz_ca_check
from fiscal.providers.sefaz.soap import SOAP12
from tests.fake_server import Authority, serve
from tests.fiscal.sefaz_support import (  # noqa: F401 (sefaz: a fixture)
    CONTRACTS,
    cancellation,
    certificate,
    correction,
    inutilization,
    key_of,
    nfe,
    sefaz,
)


def calls(simulator, service: str) -> list:
    return [call for call in simulator.requests if call[1].endswith("/" + service)]


def test_every_service_is_called_in_soap_12_presenting_the_a1(sefaz):
    client = transport()
    assert client.status(sefaz.conn).code == "107"
    signed = nfe(number=1)
    [protocol] = client.authorize(sefaz.conn, batch_id="1", signed_nfes=[signed]).protocols
    batch = client.authorize(sefaz.conn, batch_id="2", signed_nfes=[nfe(number=2), nfe(number=3)])
    assert client.batch_result(sefaz.conn, receipt=batch.receipt).code == "104"
    assert client.consult(sefaz.conn, key=protocol.key).code == "100"
    assert client.send_event(sefaz.conn, batch_id="3", signed_event=correction(key=protocol.key, sequence=1)).code \
        == "135"
    assert client.void(sefaz.conn, signed_inut=inutilization(first=10, last=11)).code == "102"
    a1 = certificate().certificate.public_bytes(Encoding.DER)
    assert len(sefaz.requests) == 7 and set(sefaz.peers) == {a1}
    for service in SERVICES:
        [(method, path, headers, body), *_] = calls(sefaz, service.name)
        assert (method, path) == ("POST", f"/ws/{service.name}")
        assert headers["content-type"] == f'application/soap+xml; charset=utf-8; action="{service.action}"'
        assert body.startswith(f'<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><nfeDadosMsg xmlns="'
                               f'{service.namespace}">'.encode())
    [(_, _, _, sent)] = [call for call in calls(sefaz, "NFeAutorizacao4") if key_of(signed).encode() in call[3]]
    assert signed in sent  # the signed NF-e travels exactly as signed
    assert b"<indSinc>1</indSinc>" in sent and b"<indSinc>0</indSinc>" in calls(sefaz, "NFeAutorizacao4")[1][3]


def test_without_the_a1_the_handshake_is_refused(sefaz, settings):
    with pytest.raises(ProviderError):
        request("POST", f"{settings.SEFAZ_URL}/NFeStatusServico4", body=b"<x/>", ca=settings.SEFAZ_CA_BUNDLE,
                attempts=1)
    stranger = Connection(uf="SP", environment=2, certificate=certificate("55444333000122"))
    with pytest.raises(ProviderError):
        transport().status(stranger)  # an A1 the server does not trust
    assert sefaz.requests == []


def test_a_server_whose_certificate_is_not_trusted_is_refused(sefaz, settings, tmp_path):
    settings.SEFAZ_CA_BUNDLE = Authority.create("Another CA").write(tmp_path / "other.pem")
    with pytest.raises(ProviderError, match="CERTIFICATE_VERIFY_FAILED"):
        transport().status(sefaz.conn)
    assert sefaz.requests == []


def test_a_lost_authorization_is_never_sent_again_and_its_key_is_found_authorized(sefaz):
    signed = nfe(number=20)
    sefaz.lose_next_answer()
    with pytest.raises(ProviderError):
        transport().authorize(sefaz.conn, batch_id="1", signed_nfes=[signed])
    assert len(calls(sefaz, "NFeAutorizacao4")) == 1  # not repeated blindly
    found = transport().consult(sefaz.conn, key=key_of(signed))
    assert (found.code, found.protocol.key, found.protocol.code) == ("100", key_of(signed), "100")
    assert validate(nfe_proc(signed, found.protocol.raw), "nfe") == []
    [again] = transport().authorize(sefaz.conn, batch_id="2", signed_nfes=[signed]).protocols
    assert again.code == "204"


def test_an_answer_later_than_the_timeout_is_a_provider_error_and_the_key_found_authorized(sefaz, settings):
    settings.SEFAZ_TIMEOUT = 0.3
    signed = nfe(number=21)
    sefaz.lose_next_answer(delay=1.0)
    with pytest.raises(ProviderError, match="(?i)timed out"):
        transport().authorize(sefaz.conn, batch_id="1", signed_nfes=[signed])
    settings.SEFAZ_TIMEOUT = 5.0
    assert transport().consult(sefaz.conn, key=key_of(signed)).protocol.code == "100"
    assert len(calls(sefaz, "NFeAutorizacao4")) == 1


def test_protocols_and_event_answers_are_kept_byte_for_byte_as_sefaz_sent_them(sefaz):
    signed = nfe(number=30)
    answer = transport().authorize(sefaz.conn, batch_id="1", signed_nfes=[signed])
    [protocol] = answer.protocols
    stored = sefaz.nfe[protocol.key]["prot"].encode()  # what the simulator put in its answer
    assert protocol.raw == stored and protocol.raw in answer.raw
    proc = nfe_proc(signed, protocol.raw)
    assert signing.verify(proc) and validate(proc, "nfe") == []
    event = cancellation(key=protocol.key, protocol=protocol.number)
    registered = transport().send_event(sefaz.conn, batch_id="2", signed_event=event)
    assert registered.raw.startswith(b"<retEvento") and registered.raw in sefaz.events[
        f"110111|{protocol.key}|1"]["proc"].encode()
    consulted = transport().consult(sefaz.conn, key=protocol.key)
    assert consulted.protocol.raw == protocol.raw and registered.raw in consulted.events[0]
    voided = transport().void(sefaz.conn, signed_inut=inutilization(first=40, last=40))
    assert voided.raw.startswith(b'<retInutNFe xmlns="http://www.portalfiscal.inf.br/nfe"')


class Recorded(SandboxAPI):
    """SEFAZ as a project recorded it: every call answered with one contract sample."""

    provider = "recorded"

    def __init__(self, sample: str):
        super().__init__()
        self.sample = (CONTRACTS / sample).read_bytes()

    def respond(self, method, path, headers, body):
        return 200, self.sample


@pytest.fixture
def recorded(settings):
    served = []

    def answering(sample: str) -> Connection:
        served.append(serve(Recorded(sample)))
        settings.SEFAZ_URL = served[-1].url
        return Connection(uf="SC", environment=2, certificate=certificate())

    yield answering
    for api in served:
        api.close()


def test_sefazs_real_status_and_receipt_answers_are_read(recorded):
    status = transport().status(recorded("svrs_retConsStatServ_107.xml"))
    assert (status.code, status.message, status.average_seconds) == ("107", "Servico em Operacao", 1)
    assert status.checked_at == datetime(2023, 6, 11, 3, 15, tzinfo=UTC)
    received = transport().authorize(recorded("svrs_retEnviNFe_103.xml"), batch_id="1", signed_nfes=[b"<NFe/>"])
    assert (received.code, received.receipt, received.protocols, received.pending) == (
        "103", "423002202113232", [], True)


def test_sefazs_real_authorizations_and_rejections_are_read_with_their_protocols_exact(recorded):
    answer = transport().authorize(recorded("rs_retEnviNFe_104_100.xml"), batch_id="1", signed_nfes=[b"<NFe/>"])
    [protocol] = answer.protocols
    assert (answer.code, protocol.code, protocol.number, protocol.digest) == (
        "104", "100", "143210000624926", "aWpBMlDjIlWUn2ALNSdwzLi2ntE=")
    assert protocol.key == "43211105730928000145650010000002401717268120"
    sample = (CONTRACTS / "rs_retEnviNFe_104_100.xml").read_bytes()
    inner = re.search(rb"<protNFe versao=\"4.00\">.*</protNFe>", sample)[0]
    # The very bytes, given the namespace they inherit.
    assert protocol.raw == inner.replace(b"<protNFe", b'<protNFe xmlns="http://www.portalfiscal.inf.br/nfe"', 1)
    rejected = transport().batch_result(recorded("svrs_retConsReciNFe_297.xml"), receipt="423002202113232")
    [refused] = rejected.protocols
    assert (rejected.code, refused.code, refused.message, refused.number) == (
        "104", "297", "Rejeicao: Assinatura difere do calculado", "")
    older = transport().batch_result(recorded("sp_retConsReciNFe_104_100.xml"), receipt="351000109901280")
    assert [(p.code, p.number) for p in older.protocols] == [("100", "135170001136476")]


def test_sefazs_real_consultation_event_and_voiding_answers_are_read(recorded):
    missing = transport().consult(recorded("svrs_retConsSitNFe_217.xml"),
                                  key="42230675277525000259550010000364481754015406")
    assert (missing.code, missing.found, missing.protocol) == ("217", False, None)
    refused = transport().send_event(recorded("svrs_retEnvEvento_215.xml"), batch_id="1", signed_event=b"<evento/>")
    assert (refused.code, refused.protocol, refused.registered) == ("215", "", False)
    letter = transport().send_event(recorded("sp_retEnvEvento_135_cce.xml"), batch_id="1", signed_event=b"<evento/>")
    assert (letter.code, letter.protocol, letter.registered) == ("135", "135170002269169", True)
    assert letter.registered_at == datetime(2017, 5, 17, 14, 45, 33, tzinfo=UTC)
    assert letter.raw.startswith(b'<retEvento xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.00">')
    late = transport().send_event(recorded("sp_retEnvEvento_155_cancel.xml"), batch_id="1", signed_event=b"<e/>")
    assert (late.code, late.registered) == ("155", True)
    voided = transport().void(recorded("go_retInutNFe_102.xml"), signed_inut=b"<inutNFe/>")
    assert (voided.code, voided.protocol, voided.registered) == ("102", "152250025831513", True)


def test_an_answer_that_is_not_sefazs_is_a_provider_error(recorded):
    with pytest.raises(ProviderError, match="expected retConsStatServ"):
        transport().status(recorded("svrs_retEnviNFe_103.xml"))


def test_the_protocol_in_an_authorized_nfeproc_is_its_exact_text():
    from fiscal.nfe.xml import parse
    from fiscal.providers.sefaz.soap import exact

    body = (CONTRACTS / "pr_nfeProc_100.xml").read_bytes()
    root = parse(body)
    [element] = root.iter("{http://www.portalfiscal.inf.br/nfe}protNFe")
    assert exact(body, element) in body  # it declares its namespace itself: nothing added


@pytest.mark.parametrize(("uf", "environment", "contingency", "expected"), [
    ("SP", 2, False, "https://homologacao.nfe.fazenda.sp.gov.br/ws/nfeautorizacao4.asmx"),
    ("RJ", 1, False, "https://nfe.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("MA", 1, False, "https://www.sefazvirtual.fazenda.gov.br/NFeAutorizacao4/NFeAutorizacao4.asmx"),
    ("PR", 1, False, "https://nfe.sefa.pr.gov.br/nfe/NFeAutorizacao4"),  # nfelib's "?wsdl" dropped
    ("SP", 1, True, "https://www.sefazvirtual.fazenda.gov.br/NFeAutorizacao4/NFeAutorizacao4.asmx"),
    ("BA", 1, True, "https://nfe.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
])
def test_each_uf_is_served_by_its_authorizer(settings, uf, environment, contingency, expected):
    settings.SEFAZ_URL = ""
    authorization = next(service for service in SERVICES if service.name == "NFeAutorizacao4")
    conn = Connection(uf=uf, environment=environment, certificate=None, contingency=contingency)
    assert endpoint(conn, authorization) == expected


def test_sefaz_url_replaces_every_endpoints_base_and_svc_does_not_void(settings):
    voiding = next(service for service in SERVICES if service.name == "NFeInutilizacao4")
    settings.SEFAZ_URL = ""
    with pytest.raises(ProviderError, match="SVC-RS offers no NFeInutilizacao4"):
        endpoint(Connection(uf="BA", environment=1, certificate=None, contingency=True), voiding)
    settings.SEFAZ_URL = "http://127.0.0.1:8000/fiscal/sandbox/sefaz/"
    assert endpoint(Connection(uf="BA", environment=1, certificate=None), voiding) == (
        "http://127.0.0.1:8000/fiscal/sandbox/sefaz/NFeInutilizacao4")


def test_the_ca_bundle_check_warns_in_production_and_refuses_a_file_that_is_not_pem(settings, tmp_path):
    settings.DEBUG, settings.FISCAL_SANDBOX, settings.SEFAZ_URL, settings.SEFAZ_CA_BUNDLE = False, False, "", ""
    [warning] = sefaz_ca_check(None)
    assert (warning.id, warning.level) == ("fiscal.W001", checks.WARNING)
    settings.SEFAZ_CA_BUNDLE = str(tmp_path / "missing.pem")
    assert [error.id for error in sefaz_ca_check(None)] == ["fiscal.E001"]
    settings.SEFAZ_CA_BUNDLE = Authority.create().write(tmp_path / "icp.pem")
    assert sefaz_ca_check(None) == []
    settings.SEFAZ_CA_BUNDLE, settings.FISCAL_SANDBOX = "", True
    assert sefaz_ca_check(None) == []
