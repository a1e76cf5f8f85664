"""XML signatures as SEFAZ asks for them (Manual de Orientação do Contribuinte, 4.00): enveloped,
RSA-SHA1 over a SHA1 digest, inclusive C14N 1.0, the reference to the element's Id, KeyInfo with the
signer's X509Certificate only, the Signature the last child of the signed element's parent (after
infNFeSupl, which follows infNFe unsigned).

signxml 5.x forbids SHA1 by default; the subclasses below allow it for this purpose only. Both
excise the empty xmlns="" declarations inclusive C14N leaves (without that, signxml signs bytes no
other verifier computes, and still calls the result valid)."""

import base64
from dataclasses import replace
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from .xml import DS_NS, parse, validate

C14N = CanonicalizationMethod.CANONICAL_XML_1_0  # http://www.w3.org/TR/2001/REC-xml-c14n-20010315
SIGNED_ELEMENTS = ("infNFe", "infEvento", "infInut")
SIGNATURE = f"{{{DS_NS}}}Signature"
ONE_LINE = frozenset({f"{{{DS_NS}}}X509Certificate", f"{{{DS_NS}}}SignatureValue"})


class SignatureInvalid(Exception):
    """A document whose signature is missing, malformed or does not match its content."""


class SefazSigner(XMLSigner):
    excise_empty_xmlns_declarations = True

    def __init__(self):
        super().__init__(method=methods.enveloped, signature_algorithm=SignatureMethod.RSA_SHA1,
                         digest_algorithm=DigestAlgorithm.SHA1, c14n_algorithm=C14N)
        self.namespaces = {None: DS_NS}

    def check_deprecated_methods(self):
        """SHA1 is what SEFAZ verifies: allowed here."""


class SefazVerifier(XMLVerifier):
    excise_empty_xmlns_declarations = True


def _signature_of(target: etree._Element) -> etree._Element | None:
    """The Signature beside the signed element: its parent's (last) ds:Signature child."""
    return target.getparent().find(SIGNATURE)


def _signed_element(root: etree._Element) -> etree._Element:
    """The one element of the document that carries the Id a signature refers to."""
    found = [element for element in root.iter(etree.Element) if element.get("Id") is not None
             and etree.QName(element).localname in SIGNED_ELEMENTS]
    if len(found) != 1:
        raise ValueError(f"expected one of {', '.join(SIGNED_ELEMENTS)} with an Id, found {len(found)}")
    return found[0]


def sign(xml: bytes, certificate) -> bytes:
    """`xml` (an NFe, evento or inutNFe) signed with `certificate` (fiscal.certificates.Certificate):
    the Signature appended to the parent of its infNFe / infEvento / infInut, UTF-8 bytes without
    a declaration — to be stored and sent exactly as returned."""
    return etree.tostring(_signed_tree(xml, certificate), encoding="UTF-8")


def sign_and_validate(xml: bytes, certificate, schema: str) -> tuple[bytes, list[str]]:
    """`xml` signed as sign() signs it, and what the official XSD of `schema` (fiscal.nfe.xml's
    families; the XSD requires the Signature) finds wrong with the signed document — checked on the
    tree the signer holds, which is the document the bytes are, rather than on the bytes parsed
    back."""
    signed = _signed_tree(xml, certificate)
    errors = validate(signed, schema)
    return etree.tostring(signed, encoding="UTF-8"), errors


def _signed_tree(xml: bytes, certificate) -> etree._Element:
    """The root of `xml` signed (see sign()), every element of its Signature in the XMLDSig
    namespace, as its bytes read."""
    root = parse(xml)
    target = _signed_element(root)
    placeholder = etree.Element(SIGNATURE, Id="placeholder", nsmap={None: DS_NS})
    target.getparent().append(placeholder)
    signed = SefazSigner().sign(root, key=certificate.key, cert=[certificate.certificate],
                                reference_uri=f"#{target.get('Id')}")
    # signxml signs a copy, and leaves the Signature's children unqualified in memory, under the ds
    # default namespace: qualified here (the bytes are the same), so the tree is the document the XSD
    # checks. Base64 on one line, as in SEFAZ's examples (neither value is covered by the signature).
    signed_here = f"*[@Id='{target.get('Id')}']"
    [signature] = [node for node in signed.iter(SIGNATURE) if node.getparent().find(signed_here) is not None]
    for node in signature.iter():
        if node.tag[0] != "{":
            node.tag = f"{{{DS_NS}}}{node.tag}"
        if node.tag in ONE_LINE:
            node.text = "".join(node.text.split())
    return signed


EXPECTED = SignatureConfiguration(
    location="./",
    signature_methods=frozenset({SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256}),
)


def verify(xml: bytes) -> x509.Certificate:
    """The certificate that signed `xml` (an NFe, evento, inutNFe, or the nfeProc / procEventoNFe /
    ProcInutNFe holding one) when its signature matches its content; SignatureInvalid otherwise.
    It checks the signature against the certificate the document carries: whether that
    certificate is the issuer's, and trusted, is the caller's question."""
    try:
        root = parse(xml)
        target = _signed_element(root)
        signature = _signature_of(target)
        if signature is None:
            raise SignatureInvalid("no Signature beside the signed element")
        text = signature.findtext(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
        if not text:
            raise SignatureInvalid("the Signature carries no X509Certificate")
        signer = x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
        # A signature stays valid after its certificate expires: check it as of a moment it was valid.
        moment = min(datetime.now(UTC), signer.not_valid_after_utc)
        config = replace(EXPECTED, verification_time=moment, location=_location(root, target.getparent()))
        result = SefazVerifier().verify(root, x509_cert=signer, expect_config=config)
    except SignatureInvalid:
        raise
    except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput, ValueError, etree.XMLSyntaxError) as exc:
        raise SignatureInvalid(str(exc)) from exc
    if result.signed_xml.get("Id") != target.get("Id"):
        raise SignatureInvalid("the signature does not refer to the document's Id")
    return signer


def _location(root: etree._Element, parent: etree._Element) -> str:
    """The ElementPath from `root` to `parent`, as signxml's `location` wants it ("./" for the root)."""
    steps = []
    while parent is not root:
        steps.append(parent.tag)
        parent = parent.getparent()
    return "./" + "".join(f"{tag}/" for tag in reversed(steps))
