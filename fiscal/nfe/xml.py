"""The NF-e's XML: one shared serializer for nfelib's bindings, the official XSDs shipped with nfelib
(each compiled once per process), and the documents SEFAZ's answer completes — nfeProc,
procEventoNFe, ProcInutNFe — assembled around the exact signed bytes, which are never serialized
again (a signature covers bytes as they were signed)."""

import re
import threading
from datetime import datetime
from pathlib import Path

import nfelib
from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.formats.dataclass.serializers.writers import XmlEventWriter

from .keys import SAO_PAULO

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NFELIB = Path(nfelib.__file__).parent
NFE_XSD = NFELIB / "nfe" / "schemas" / "v4_0"
CANCEL_XSD = NFELIB / "nfe_evento_cancel" / "schemas" / "v1_0"
CCE_XSD = NFELIB / "nfe_evento_cce" / "schemas" / "v1_0"

# For each document family, the XSD of each root element it may have: the request as signed, the
# batch it travels in, SEFAZ's answer and the processed document kept afterwards.
SCHEMAS = {
    "nfe": {"NFe": NFE_XSD / "nfe_v4.00.xsd", "nfeProc": NFE_XSD / "procNFe_v4.00.xsd"},
    "enviNFe": {"enviNFe": NFE_XSD / "enviNFe_v4.00.xsd", "retEnviNFe": NFE_XSD / "retEnviNFe_v4.00.xsd"},
    "consReci": {"consReciNFe": NFE_XSD / "consReciNFe_v4.00.xsd",
                 "retConsReciNFe": NFE_XSD / "retConsReciNFe_v4.00.xsd"},
    "consSit": {"consSitNFe": NFE_XSD / "consSitNFe_v4.00.xsd", "retConsSitNFe": NFE_XSD / "retConsSitNFe_v4.00.xsd"},
    "consStat": {"consStatServ": NFE_XSD / "consStatServ_v4.00.xsd",
                 "retConsStatServ": NFE_XSD / "retConsStatServ_v4.00.xsd"},
    "inut": {"inutNFe": NFE_XSD / "inutNFe_v4.00.xsd", "retInutNFe": NFE_XSD / "retInutNFe_v4.00.xsd",
             "ProcInutNFe": NFE_XSD / "procInutNFe_v4.00.xsd"},
    "cancel": {"evento": CANCEL_XSD / "eventoCancNFe_v1.00.xsd", "envEvento": CANCEL_XSD / "envEventoCancNFe_v1.00.xsd",
               "retEnvEvento": CANCEL_XSD / "retEnvEventoCancNFe_v1.00.xsd",
               "procEventoNFe": CANCEL_XSD / "procEventoCancNFe_v1.00.xsd"},
    "cce": {"evento": CCE_XSD / "CCe_v1.00.xsd", "envEvento": CCE_XSD / "envCCe_v1.00.xsd",
            "retEnvEvento": CCE_XSD / "retEnvCCe_v1.00.xsd", "procEventoNFe": CCE_XSD / "procCCeNFe_v1.00.xsd"},
}

# No entities, no network, no DTD: what SEFAZ or a user sends is parsed as data only.
def nfe_time(moment: datetime) -> str:
    """A moment as the NF-e's layouts write it (dhEmi, dhEvento, dhRecbto): São Paulo's time with its
    offset, to the second."""
    return moment.astimezone(SAO_PAULO).isoformat(timespec="seconds")


PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
DECLARATION = re.compile(rb"^\s*(\xef\xbb\xbf)?\s*<\?xml[^>]*\?>\s*")

# The standard library's writer: the same bytes as xsdata's default (lxml's SAX tree, then written
# out), in about 15 % less time.
_serializer = XmlSerializer(context=XmlContext(), config=SerializerConfig(indent="", xml_declaration=False),
                            writer=XmlEventWriter)
_local = threading.local()


def serialize(binding) -> bytes:
    """`binding` (an nfelib dataclass) as UTF-8 bytes: no declaration, no indentation, the NF-e's
    namespace as the default xmlns (SEFAZ refuses prefixed NF-e elements)."""
    return _serializer.render(binding, ns_map={None: NFE_NS}).encode()


def parse(xml: bytes) -> etree._Element:
    """`xml`'s root element, parsed safely (a leading declaration or BOM allowed)."""
    return etree.fromstring(DECLARATION.sub(b"", xml), PARSER)


def schema(name: str, root: str) -> etree.XMLSchema:
    """The compiled XSD of the document `root` of the family `name` (one of SCHEMAS), compiled once
    per thread: a schema keeps the error log of its last validation, so threads do not share one."""
    if not hasattr(_local, "schemas"):
        _local.schemas = {}
    compiled, path = _local.schemas, SCHEMAS[name][root]
    if path not in compiled:
        compiled[path] = etree.XMLSchema(etree.parse(str(path)))
    return compiled[path]


def validate(xml: bytes | etree._Element, schema_name: str) -> list[str]:
    """What is wrong with `xml` against the official XSD of its family `schema_name` ("nfe",
    "enviNFe", "cancel", "cce", "inut", "consSit", "consStat", "consReci"), one line per error
    ("line 1, NFe/infNFe/det[1]/prod/vProd: Element 'vProd': [facet 'pattern'] The value '12,50' is
    not accepted …"); an empty list when it is valid. `xml` is the document's bytes, or its root
    element as held in memory (a tree just signed: the same document, not parsed back)."""
    if isinstance(xml, etree._Element):
        root = xml
    else:
        try:
            root = parse(xml)
        except etree.XMLSyntaxError as exc:
            return [f"line {exc.lineno}: {exc.msg}"]
    if root.tag.partition("}")[0] != "{" + NFE_NS:
        return [f"line {root.sourceline}: {root.tag}: not an element of {NFE_NS}"]
    local = etree.QName(root).localname
    if local not in SCHEMAS[schema_name]:
        return [f"line {root.sourceline}: {local}: not a document of the {schema_name} schema "
                f"(expected {', '.join(SCHEMAS[schema_name])})"]
    xsd = schema(schema_name, local)
    if xsd.validate(root):
        return []
    return [f"line {error.line}, {_where(root, error.path)}: {error.message.replace('{' + NFE_NS + '}', '')}"
            for error in xsd.error_log]


def _where(root: etree._Element, path: str | None) -> str:
    """The element an error's positional path (/*/*[1]/*[4]) names, readably: NFe/infNFe/det[1]/prod/vProd
    (an item by its nItem)."""
    found = root.xpath(path) if path else []
    if not found or not isinstance(found[0], etree._Element):
        return etree.QName(root).localname
    steps, element = [], found[0]
    while element is not None:
        step = etree.QName(element).localname
        steps.append(f"{step}[{element.get('nItem')}]" if step == "det" else step)
        element = element.getparent()
    return "/".join(reversed(steps))


def _part(xml: bytes, local: str) -> tuple[bytes, etree._Element]:
    """`xml` without its declaration, and its parsed root, which must be the NF-e namespace's `local`."""
    body = DECLARATION.sub(b"", xml).strip()
    root = etree.fromstring(body, PARSER)
    if root.tag != f"{{{NFE_NS}}}{local}":
        raise ValueError(f"expected {local}, got {root.tag}")
    return body, root


def _wrap(tag: str, version: str, parts: list[bytes]) -> bytes:
    """The parts side by side in a new `tag` element, byte for byte (checked well-formed)."""
    document = b"".join([f'<{tag} xmlns="{NFE_NS}" versao="{version}">'.encode(), *parts, f"</{tag}>".encode()])
    etree.fromstring(document, PARSER)
    return document


def _text(root: etree._Element, path: str) -> str:
    return root.findtext(path, namespaces={"n": NFE_NS}) or ""


def nfe_proc(signed_nfe: bytes, prot_nfe: bytes) -> bytes:
    """The authorized NF-e kept and given to the recipient: nfeProc with the signed NFe exactly as
    it was sent and SEFAZ's protNFe for the same key."""
    nfe, nfe_root = _part(signed_nfe, "NFe")
    prot, prot_root = _part(prot_nfe, "protNFe")
    key = (nfe_root.find("n:infNFe", {"n": NFE_NS}).get("Id") or "")[3:]
    if _text(prot_root, "n:infProt/n:chNFe") != key:
        raise ValueError(f"protNFe is for {_text(prot_root, 'n:infProt/n:chNFe')}, not {key}")
    return _wrap("nfeProc", "4.00", [nfe, prot])


def event_proc(signed_event: bytes, ret_event: bytes) -> bytes:
    """A registered event (cancellation, CC-e): procEventoNFe with the signed evento and SEFAZ's
    retEvento."""
    event, event_root = _part(signed_event, "evento")
    ret, ret_root = _part(ret_event, "retEvento")
    key = _text(event_root, "n:infEvento/n:chNFe")
    if _text(ret_root, "n:infEvento/n:chNFe") not in ("", key):
        raise ValueError(f"retEvento is for {_text(ret_root, 'n:infEvento/n:chNFe')}, not {key}")
    return _wrap("procEventoNFe", event_root.get("versao") or "1.00", [event, ret])


def inut_proc(signed: bytes, ret: bytes) -> bytes:
    """A registered inutilização: ProcInutNFe with the signed inutNFe and SEFAZ's retInutNFe."""
    request, request_root = _part(signed, "inutNFe")
    answer, _answer_root = _part(ret, "retInutNFe")
    return _wrap("ProcInutNFe", request_root.get("versao") or "4.00", [request, answer])
