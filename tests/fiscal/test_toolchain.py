"""The NF-e toolchain: access keys, XML against the official XSDs, signatures checked by signxml and
by an independent verifier (xmlsec1), and the processed documents assembled from the signed bytes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import signxml.exceptions
from lxml import etree
from nfelib.nfe.bindings.v4_0.inut_nfe_v4_00 import InutNfe
from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
from nfelib.nfe.bindings.v4_0.proc_nfe_v4_00 import NfeProc
from nfelib.nfe_evento_cancel.bindings.v1_0 import evento_canc_nfe_v1_00 as cancel
from nfelib.nfe_evento_cancel.bindings.v1_0 import leiaute_evento_canc_nfe_v1_00 as cancel_layout
from stdnum.br import cnpj as stdnum_cnpj
from xsdata.formats.dataclass.parsers import XmlParser

from fiscal import certificates
from fiscal.nfe import keys, signing, xml
from fiscal.nfe.xml import DS_NS, NFE_NS, NFELIB
from tests.fiscal.referee import xmlsec1

SAMPLES = NFELIB / "nfe" / "samples" / "v4_0" / "leiauteNFe"
CCE_SAMPLES = NFELIB / "nfe_evento_cce" / "samples" / "v1_0"
SAMPLE_KEY = "35180834128745000152550010000476051695511860"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
N = {"n": NFE_NS, "ds": DS_NS}


@pytest.fixture(scope="module")
def certificate():
    return certificates.load(*certificates.test_certificate(cnpj="12ABC34501DE35", name="Loja Teste Ltda"))


@pytest.fixture(scope="module")
def other_certificate():
    return certificates.load(*certificates.test_certificate(cnpj="34128745000152", name="Outra Loja"))


def hand_check_digit(first43: str) -> str:
    """The Manual's algorithm written out: weights 2, 3, …, 9, 2, 3, … from the rightmost character."""
    weights = [2, 3, 4, 5, 6, 7, 8, 9] * 6
    total = sum((ord(char) - ord("0")) * weight for char, weight in zip(reversed(first43), weights, strict=False))
    return "0" if total % 11 in (0, 1) else str(11 - total % 11)


def sample_nfe(*, key: str = SAMPLE_KEY, cnpj: str = "34128745000152") -> Nfe:
    """A real NF-e (nfelib's sample from SP), renamed to `key` and issued by `cnpj`, unsigned."""
    nfe = Nfe(infNFe=XmlParser().parse(str(SAMPLES / f"{SAMPLE_KEY}-nfe.xml"), NfeProc).NFe.infNFe)
    nfe.infNFe.Id = f"NFe{key}"
    nfe.infNFe.ide.cNF, nfe.infNFe.ide.cDV = key[35:43], key[43]
    nfe.infNFe.emit.CNPJ = cnpj
    return nfe


def cancellation(key: str, cnpj: str = "34128745000152") -> bytes:
    info = cancel_layout.Tevento.InfEvento
    event = cancel.Evento(versao="1.00", infEvento=info(
        Id=f"ID110111{key}01", cOrgao=cancel_layout.TcorgaoIbge.VALUE_35, tpAmb=cancel_layout.Tamb.VALUE_2, CNPJ=cnpj,
        chNFe=key, dhEvento="2026-12-01T10:00:00-03:00", tpEvento=cancel_layout.InfEventoTpEvento.VALUE_110111,
        nSeqEvento="1", verEvento=cancel_layout.InfEventoVerEvento.VALUE_1_00,
        detEvento=info.DetEvento(versao=cancel_layout.DetEventoVersao.VALUE_1_00,
                                 descEvento=cancel_layout.DetEventoDescEvento.CANCELAMENTO,
                                 nProt="135260000000001", xJust="Pedido cancelado pelo cliente antes do envio")))
    return xml.serialize(event)


def voiding(cnpj: str = "34128745000152") -> bytes:
    info = InutNfe.InfInut
    inut = InutNfe(versao="4.00", infInut=info(
        Id=f"ID3526{cnpj}55001000000005000000007", tpAmb="2", xServ="INUTILIZAR", cUF="35", ano="26", CNPJ=cnpj,
        mod="55", serie="1", nNFIni="5", nNFFin="7", xJust="Numeros pulados por falha no sistema de emissao"))
    return xml.serialize(inut)


def prot_nfe(key: str, digest: str) -> bytes:
    return (f'<protNFe xmlns="{NFE_NS}" versao="4.00"><infProt><tpAmb>2</tpAmb><verAplic>SIMULADOR</verAplic>'
            f"<chNFe>{key}</chNFe><dhRecbto>2026-12-01T10:00:05-03:00</dhRecbto><nProt>135260000000001</nProt>"
            f"<digVal>{digest}</digVal><cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt>"
            "</protNFe>").encode()


# Access keys

def test_the_published_sample_keys_have_valid_check_digits():
    names = [path.name[:44] for path in SAMPLES.glob("[0-9]*.xml")]
    assert len(names) >= 10
    for key in names:
        assert keys.is_valid_key(key), key
        assert keys.check_digit(key[:43]) == hand_check_digit(key[:43]) == key[43]


def test_it_composes_a_real_nfes_key_from_its_parts():
    # The sample's own fields: SP, issued 2018-08-15, CNPJ 34128745000152, series 1, number 47605, cNF 69551186.
    key = keys.access_key(uf_code="35", issued_at=datetime(2018, 8, 15, 16, 0, tzinfo=SAO_PAULO),
                          cnpj="34128745000152", series=1, number=47605, code="69551186")
    assert key == SAMPLE_KEY


def test_the_month_is_sao_paulos_not_utcs():
    # 2026-12-01 01:30 UTC is still 30 November in São Paulo.
    key = keys.access_key(uf_code="35", issued_at=datetime.fromisoformat("2026-12-01T01:30:00+00:00"),
                          cnpj="34128745000152", series=1, number=1, code="12345670")
    assert key[2:6] == "2611"


def test_an_alphanumeric_cnpj_weighs_each_character_as_its_code_minus_48():
    assert stdnum_cnpj.is_valid("12ABC34501DE35")
    key = keys.access_key(uf_code="35", issued_at=datetime(2026, 12, 1, 10, tzinfo=SAO_PAULO),
                          cnpj="12abc34501de35", series=3, number=123456789, code="40211337")
    assert key[:43] == "3526" "12" "12ABC34501DE35" "55" "003" "123456789" "1" "40211337"
    # A (65) weighs 17, B 18, C 19, D 20, E 21: the digit differs from reading the letters as anything else.
    assert key[43] == hand_check_digit(key[:43])
    assert keys.is_valid_key(key)
    assert not keys.is_valid_key(key[:43] + str((int(key[43]) + 1) % 10))


@pytest.mark.parametrize("bad", [
    "", "3518083412874500015255001000047605169551186", "35180834128745000152550010000476051695511861",
    "3518083412874500015255001000047605169551186X", "3518083412874500015255001000047605169551186 ",
])
def test_it_refuses_malformed_keys(bad):
    assert not keys.is_valid_key(bad)


def test_it_refuses_parts_that_do_not_fit_a_key():
    parts = {"uf_code": "35", "issued_at": datetime(2026, 12, 1, tzinfo=SAO_PAULO), "series": 1, "number": 1}
    with pytest.raises(ValueError):
        keys.access_key(**parts, cnpj="1234", code="12345670")
    with pytest.raises(ValueError):
        keys.access_key(**parts, cnpj="34128745000152", code="1234")
    with pytest.raises(ValueError):
        keys.access_key(**{**parts, "number": 0}, cnpj="34128745000152", code="12345670")


def test_new_codes_are_random_eight_digits_never_the_number_nor_trivial():
    codes = {keys.new_code(47605) for _ in range(200)}
    assert len(codes) > 190
    assert all(len(code) == 8 and code.isdigit() and not keys.trivial(code) and int(code) != 47605 for code in codes)
    assert keys.trivial("00000000") and keys.trivial("12345678") and keys.trivial("87654321")
    assert not keys.trivial("13572468")


# XML and the official XSDs

def test_it_serializes_with_the_nfe_namespace_as_default_and_no_declaration():
    out = xml.serialize(sample_nfe())
    assert out.startswith(f'<NFe xmlns="{NFE_NS}"><infNFe'.encode())
    assert b"<?xml" not in out and b"\n" not in out and b"ns0:" not in out


def test_an_unsigned_nfe_lacks_only_its_signature():
    errors = xml.validate(xml.serialize(sample_nfe()), "nfe")
    assert len(errors) == 1 and "Signature" in errors[0]


def test_it_finds_a_schema_error_and_says_where(certificate):
    nfe = sample_nfe()
    nfe.infNFe.det[0].prod.vProd = "12,50"
    errors = xml.validate(signing.sign(xml.serialize(nfe), certificate), "nfe")
    assert len(errors) == 1
    assert errors[0].startswith("line 1, NFe/infNFe/det[1]/prod/vProd: Element 'vProd': [facet 'pattern']")
    assert "12,50" in errors[0]


def test_it_answers_a_document_of_another_family_or_broken_xml():
    assert "not a document of the cancel schema" in xml.validate(xml.serialize(sample_nfe()), "cancel")[0]
    assert xml.validate(b"<NFe", "nfe")[0].startswith("line 1:")
    assert xml.validate(b'<NFe xmlns="http://www.portalfiscal.inf.br/nfe"/>', "nfe")[0].startswith("line 1, NFe: ")
    assert "not an element of" in xml.validate(b"<NFe/>", "nfe")[0]


def test_each_schema_compiles_once():
    xml.validate(b"<x/>", "nfe")
    assert xml.schema("nfe", "NFe") is xml.schema("nfe", "NFe")
    assert xml.schema("cancel", "evento") is not xml.schema("cce", "evento")


def test_the_alphanumeric_cnpj_passes_the_nfe_xsd(certificate):
    key = keys.access_key(uf_code="35", issued_at=datetime(2026, 12, 1, 10, tzinfo=SAO_PAULO),
                          cnpj="12ABC34501DE35", series=1, number=47605, code="69551186")
    signed = signing.sign(xml.serialize(sample_nfe(key=key, cnpj="12ABC34501DE35")), certificate)
    assert xml.validate(signed, "nfe") == []


def test_nfelibs_event_xsds_still_refuse_an_alphanumeric_cnpj(certificate):
    """nfelib 3.2.0 ships the events' v1.00 XSDs, whose TCnpj is 14 digits: what SEFAZ publishes
    next must replace them before an alphanumeric issuer can cancel (a known limit, not ours)."""
    key = keys.access_key(uf_code="35", issued_at=datetime(2026, 12, 1, 10, tzinfo=SAO_PAULO),
                          cnpj="12ABC34501DE35", series=1, number=1, code="69551186")
    errors = xml.validate(signing.sign(cancellation(key, cnpj="12ABC34501DE35"), certificate), "cancel")
    assert any("CNPJ" in error for error in errors)


# Signatures, checked by signxml and by xmlsec1

def test_it_signs_an_nfe_as_sefaz_asks(certificate, tmp_path):
    signed = signing.sign(xml.serialize(sample_nfe()), certificate)
    root = etree.fromstring(signed)
    signature = root[1]
    assert [etree.QName(child).localname for child in root] == ["infNFe", "Signature"]
    assert signature.nsmap == {None: DS_NS}
    assert signature.find("ds:SignedInfo/ds:Reference", N).get("URI") == f"#NFe{SAMPLE_KEY}"
    algorithms = [node.get("Algorithm") for node in signature.iterfind(".//*[@Algorithm]")]
    assert algorithms == [
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/2000/09/xmldsig#sha1"]
    assert [etree.QName(child).localname for child in signature.find("ds:KeyInfo/ds:X509Data", N)] == \
        ["X509Certificate"]
    assert b'xmlns=""' not in signed and b"\n" not in signed
    assert xml.validate(signed, "nfe") == []
    assert signing.verify(signed) == certificate.certificate
    result = xmlsec1(signed, "infNFe", certificate, tmp_path)
    assert result.returncode == 0, result.stderr


def test_it_signs_an_event_and_a_voiding(certificate, tmp_path):
    event = signing.sign(cancellation(SAMPLE_KEY), certificate)
    assert xml.validate(event, "cancel") == []
    assert signing.verify(event) == certificate.certificate
    assert xmlsec1(event, "infEvento", certificate, tmp_path).returncode == 0
    inut = signing.sign(voiding(), certificate)
    assert xml.validate(inut, "inut") == []
    assert signing.verify(inut) == certificate.certificate
    assert xmlsec1(inut, "infInut", certificate, tmp_path).returncode == 0
    # nfelib's sample CC-e (a real one, unsigned), signed as it is.
    correction = signing.sign((CCE_SAMPLES / "35180803102452000172550010000476051695511860-01-cce.xml").read_bytes(),
                              certificate)
    assert xml.validate(correction, "cce") == []
    assert xml.validate(event, "cce") != []  # a cancellation is not a correction letter
    assert xmlsec1(correction, "infEvento", certificate, tmp_path).returncode == 0


@pytest.mark.parametrize("document, id_element, schema", [
    (lambda: xml.serialize(sample_nfe()), "infNFe", "nfe"),
    (lambda: cancellation(SAMPLE_KEY), "infEvento", "cancel"),
    (voiding, "infInut", "inut"),
])
def test_a_tampered_document_fails_both_verifiers(document, id_element, schema, certificate, tmp_path):
    signed = signing.sign(document(), certificate)
    tampered = signed.replace(b"<tpAmb>2</tpAmb>", b"<tpAmb>1</tpAmb>", 1)
    if tampered == signed:  # the NF-e's sample is from production: make it homologação instead
        tampered = signed.replace(b"<tpAmb>1</tpAmb>", b"<tpAmb>2</tpAmb>", 1)
    assert tampered != signed and xml.validate(tampered, schema) == []
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(tampered)
    assert xmlsec1(tampered, id_element, certificate, tmp_path).returncode != 0


def test_a_signature_by_another_key_fails_both_verifiers(certificate, other_certificate, tmp_path):
    """The certificate swapped in KeyInfo (which the signature does not cover) no longer matches."""
    signed = signing.sign(xml.serialize(sample_nfe()), certificate)
    mine = etree.fromstring(signed).findtext(".//ds:X509Certificate", namespaces=N)
    theirs = etree.fromstring(signing.sign(xml.serialize(sample_nfe()), other_certificate)).findtext(
        ".//ds:X509Certificate", namespaces=N)
    swapped = signed.replace(mine.encode(), theirs.encode())
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(swapped)
    assert xmlsec1(swapped, "infNFe", other_certificate, tmp_path).returncode != 0


def test_the_excised_xmlns_flag_is_what_makes_signxml_agree_with_xmlsec1(certificate, tmp_path):
    """Pitfall 1, as it stands with signxml 5.2: without excise_empty_xmlns_declarations signxml
    canonicalizes SignedInfo with an xmlns="" no other verifier writes, and calls a good signature
    bad. With the flag it agrees with xmlsec1 — the referee every signature is checked against."""

    class Careless(signing.SefazVerifier):
        excise_empty_xmlns_declarations = False

    signed = signing.sign(xml.serialize(sample_nfe()), certificate)
    assert xmlsec1(signed, "infNFe", certificate, tmp_path).returncode == 0
    assert signing.verify(signed) == certificate.certificate
    with pytest.raises(signxml.exceptions.InvalidSignature):
        Careless().verify(signed, x509_cert=certificate.certificate, expect_config=signing.EXPECTED)


def test_unsigned_or_reformatted_documents_do_not_verify(certificate):
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(xml.serialize(sample_nfe()))
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(b"<NFe")
    # nfelib's samples were pretty-printed after SEFAZ authorized them: their signatures no longer hold.
    with pytest.raises(signing.SignatureInvalid):
        signing.verify((SAMPLES / f"{SAMPLE_KEY}-nfe.xml").read_bytes())


def test_it_signs_the_one_element_with_an_id_wherever_it_is(certificate):
    with pytest.raises(ValueError):
        signing.sign(b'<NFe xmlns="http://www.portalfiscal.inf.br/nfe"><infNFe/></NFe>', certificate)


# nfeProc, procEventoNFe, ProcInutNFe

def test_nfe_proc_keeps_the_signed_bytes_and_the_signature(certificate, tmp_path):
    signed = signing.sign(xml.serialize(sample_nfe()), certificate)
    digest = etree.fromstring(signed).findtext(".//ds:DigestValue", namespaces=N)
    proc = xml.nfe_proc(signed, prot_nfe(SAMPLE_KEY, digest))
    assert signed in proc
    assert proc.startswith(f'<nfeProc xmlns="{NFE_NS}" versao="4.00"><NFe'.encode())
    assert xml.validate(proc, "nfe") == []
    assert signing.verify(proc) == certificate.certificate
    assert xmlsec1(proc, "infNFe", certificate, tmp_path).returncode == 0


def test_nfe_proc_refuses_the_protocol_of_another_key(certificate):
    signed = signing.sign(xml.serialize(sample_nfe()), certificate)
    other = SAMPLE_KEY[:-1] + "1"
    with pytest.raises(ValueError):
        xml.nfe_proc(signed, prot_nfe(other, "x"))
    with pytest.raises(ValueError):
        xml.nfe_proc(prot_nfe(SAMPLE_KEY, "x"), signed)


RET_EVENTO = (f'<retEvento xmlns="{NFE_NS}" versao="1.00"><infEvento><tpAmb>2</tpAmb><verAplic>SIMULADOR</verAplic>'
              f"<cOrgao>35</cOrgao><cStat>135</cStat><xMotivo>Evento registrado e vinculado a NF-e</xMotivo>"
              f"<chNFe>{SAMPLE_KEY}</chNFe><tpEvento>110111</tpEvento><xEvento>Cancelamento registrado</xEvento>"
              "<nSeqEvento>1</nSeqEvento><dhRegEvento>2026-12-01T10:00:05-03:00</dhRegEvento>"
              "<nProt>135260000000002</nProt></infEvento></retEvento>").encode()
RET_INUT = (f'<retInutNFe xmlns="{NFE_NS}" versao="4.00"><infInut><tpAmb>2</tpAmb><verAplic>SIMULADOR</verAplic>'
            "<cStat>102</cStat><xMotivo>Inutilizacao de numero homologado</xMotivo><cUF>35</cUF><ano>26</ano>"
            "<CNPJ>34128745000152</CNPJ><mod>55</mod><serie>1</serie><nNFIni>5</nNFIni><nNFFin>7</nNFFin>"
            "<dhRecbto>2026-12-01T10:00:05-03:00</dhRecbto><nProt>135260000000003</nProt></infInut>"
            "</retInutNFe>").encode()


@pytest.mark.parametrize("document, answer, proc, schema, element", [
    (lambda: cancellation(SAMPLE_KEY), RET_EVENTO, xml.event_proc, "cancel", "infEvento"),
    (voiding, RET_INUT, xml.inut_proc, "inut", "infInut"),
], ids=["procEventoNFe", "ProcInutNFe"])
def test_event_proc_and_inut_proc_keep_their_signatures(certificate, tmp_path, document, answer, proc, schema,
                                                        element):
    signed = signing.sign(document(), certificate)
    kept = proc(signed, answer)
    assert signed in kept and xml.validate(kept, schema) == []
    assert signing.verify(kept) == certificate.certificate
    assert xmlsec1(kept, element, certificate, tmp_path).returncode == 0
