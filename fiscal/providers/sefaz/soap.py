"""SEFAZ's SOAP messages as the client sends them and the simulator answers them: the SOAP 1.2
envelope around a message (nfeDadosMsg / nfeResultMsg in the WSDL's namespace), reading one back, and
the exact bytes of the elements inside — signed documents and SEFAZ's protocols are kept byte for byte,
never serialized again."""

import re
from dataclasses import dataclass

from lxml import etree

from fiscal.nfe.xml import DECLARATION, NFE_NS, parse

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_NAMESPACES = (SOAP12, SOAP11)
CONTENT_TYPE = "application/soap+xml; charset=utf-8"

DECLARED = re.compile(rb"""\sxmlns(?::([\w.-]+))?\s*=\s*(?:"[^"]*"|'[^']*')""")
ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""


class MessageError(ValueError):
    """A SOAP message that cannot be read as one of SEFAZ's (not XML, no envelope, a fault)."""


def envelope(namespace: str, message: bytes, *, version: str = SOAP12) -> bytes:
    """`message` (an XML document of the NF-e namespace, byte for byte) in the body of a SOAP envelope,
    inside the WSDL's nfeDadosMsg."""
    return _wrap(version, "nfeDadosMsg", namespace, message)


def answer_envelope(namespace: str, message: bytes, *, version: str = SOAP12) -> bytes:
    """SEFAZ's answer `message` in a SOAP envelope, inside the WSDL's nfeResultMsg."""
    return _wrap(version, "nfeResultMsg", namespace, message)


def _wrap(version: str, part: str, namespace: str, message: bytes) -> bytes:
    return b"".join([f'<soap:Envelope xmlns:soap="{version}"><soap:Body><{part} xmlns="{namespace}">'.encode(),
                     DECLARATION.sub(b"", message).strip(), f"</{part}></soap:Body></soap:Envelope>".encode()])


def fault(reason: str, *, version: str = SOAP12, code: str = "Sender") -> bytes:
    """A SOAP fault (the call could not be read at all)."""
    if version == SOAP11:
        inner = f"<faultcode>soap:Client</faultcode><faultstring>{_escape(reason)}</faultstring>"
    else:
        inner = (f"<soap:Code><soap:Value>soap:{code}</soap:Value></soap:Code>"
                 f'<soap:Reason><soap:Text xml:lang="en">{_escape(reason)}</soap:Text></soap:Reason>')
    return (f'<soap:Envelope xmlns:soap="{version}"><soap:Body><soap:Fault>{inner}</soap:Fault></soap:Body>'
            f"</soap:Envelope>").encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Message:
    """A SOAP message read: its version (the envelope's namespace), the namespace of the WSDL part
    in its body (nfeDadosMsg, nfeResultMsg), the document inside it (parsed) and the message's bytes."""

    version: str
    namespace: str
    document: etree._Element
    body: bytes

    def exact(self, element: etree._Element) -> bytes:
        return exact(self.body, element)


def read(body: bytes) -> Message:
    """The SOAP message `body`: MessageError unless it is an envelope whose body holds an element of
    a WSDL part with an NF-e document in it (a fault's reason in the error)."""
    try:
        root = parse(body)
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"not XML: {exc}") from exc
    version = etree.QName(root).namespace
    if version not in SOAP_NAMESPACES or etree.QName(root).localname != "Envelope":
        raise MessageError(f"not a SOAP envelope: {root.tag}")
    soap_body = root.find(f"{{{version}}}Body")
    if soap_body is None:
        raise MessageError("a SOAP envelope without a Body")
    failure = soap_body.find(f"{{{version}}}Fault")
    if failure is not None:
        reason = " ".join(text.strip() for text in failure.itertext() if text.strip())
        raise MessageError(f"SOAP fault: {reason[:300]}")
    part = next(iter(soap_body.iterchildren(etree.Element)), None)
    document = None if part is None else next(iter(part.iter(f"{{{NFE_NS}}}*")), None)
    if document is None:
        raise MessageError("the SOAP body holds no NF-e document")
    return Message(version, etree.QName(part).namespace or "", document, body)


def exact(body: bytes, element: etree._Element) -> bytes:
    """`element` (parsed from `body`) as the bytes that stand for it in `body`, untouched, given on its
    start tag the namespace declarations it uses but inherits from above, so that it stands on its own
    (nothing is added when it declares them itself). ValueError when its text cannot be found."""
    local = etree.QName(element).localname
    same = [node for node in element.getroottree().iter(etree.Element) if etree.QName(node).localname == local]
    tag = re.compile(rb"<(?:([\w.-]+):)?" + re.escape(local.encode()) + rb"(?=[\s/>])" + ATTRIBUTES + rb"(/?)>")
    starts = list(tag.finditer(body))
    if len(starts) != len(same):
        raise ValueError(f"{local}: {len(starts)} start tags in the text, {len(same)} elements")
    start = starts[same.index(element)]
    name = (start[1] + b":" if start[1] else b"") + local.encode()
    if start[2]:
        text = start[0]
    else:
        end = body.find(b"</" + name, start.end())
        close = body.find(b">", end)
        if end < 0 or close < 0:
            raise ValueError(f"{local}: no end tag")
        text = body[start.start():close + 1]
    own = {found[1].decode() if found[1] else None for found in DECLARED.finditer(start[0])}
    inherited = [(prefix, element.nsmap[prefix]) for prefix in _used_prefixes(element) - own
                 if prefix in element.nsmap]
    declarations = "".join(f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
                           for prefix, uri in sorted(inherited, key=lambda item: item[0] or ""))
    result = text[:len(name) + 1] + declarations.encode() + text[len(name) + 1:]
    if _c14n(parse(result)) != _c14n(element):
        raise ValueError(f"{local}: the text found is not the element")
    return result


def _used_prefixes(element: etree._Element) -> set:
    """The namespace prefixes `element` and its descendants use (None: the default namespace)."""
    used = set()
    for node in element.iter(etree.Element):
        if etree.QName(node).namespace:
            used.add(node.prefix)
        for attribute in node.attrib:
            namespace = etree.QName(attribute).namespace
            used.update(prefix for prefix, uri in node.nsmap.items() if namespace and uri == namespace and prefix)
    return used


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)
