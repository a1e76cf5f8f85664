"""The DANFE: the printed companion of an authorized NF-e, drawn by brazilfiscalreport from the
authorized XML (nfeProc, with its protocol) in the layout in force on the invoice's date — the NT
2026.010 layout, with its QR code, from 2026-12-01. brazilfiscalreport marks it "SEM VALOR FISCAL"
in homologação (tpAmb 2) and, asked to, "CANCELADA" for a cancelled invoice."""

import io

from brazilfiscalreport.danfe import Danfe, DanfeConfig, DanfeEtiqueta, DanfeEtiquetaConfig, DanfeLayout
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from .models import Invoice

# What has a DANFE: an invoice SEFAZ authorized, cancelled later or not.
PRINTABLE = (Invoice.Status.AUTHORIZED, Invoice.Status.CANCELLED)


class DanfeUnavailable(ValueError):
    """The invoice has no authorized XML to print (the message is meant for the user)."""


def _authorized_xml(invoice: Invoice) -> str:
    if invoice.status not in PRINTABLE or not invoice.authorized_xml:
        raise DanfeUnavailable(_("%(invoice)s has no DANFE: only an invoice SEFAZ authorized has one.")
                               % {"invoice": invoice})
    return invoice.authorized_xml


def danfe_pdf(invoice: Invoice) -> bytes:
    """The invoice's DANFE (A4), marked cancelled when it was."""
    config = DanfeConfig(layout=DanfeLayout.AUTO, watermark_cancelled=invoice.status == Invoice.Status.CANCELLED)
    return bytes(Danfe(xml=_authorized_xml(invoice), config=config).output())


def danfe_batch(invoices) -> bytes:
    """One PDF of the DANFEs of `invoices`, in their order, to print at once; DanfeUnavailable
    names the first that has none, before anything is drawn."""
    invoices = list(invoices)
    for invoice in invoices:
        _authorized_xml(invoice)
    writer = PdfWriter()
    for invoice in invoices:
        writer.append(io.BytesIO(danfe_pdf(invoice)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def danfe_label(invoice: Invoice) -> bytes:
    """The DANFE Simplificado – Etiqueta (100 × 150 mm label with the key's barcode) that may travel
    on the parcel instead of the A4 DANFE."""
    config = DanfeEtiquetaConfig(watermark_cancelled=invoice.status == Invoice.Status.CANCELLED)
    return bytes(DanfeEtiqueta(xml=_authorized_xml(invoice), config=config).output())


def printed_key(key: str) -> str:
    """The access key as the DANFE prints it, in groups of four: "3526 1212 3456 …"."""
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def danfe_filename(invoice: Invoice) -> str:
    """`DANFE-<key>.pdf`, the name the file is downloaded and attached as."""
    return f"DANFE-{invoice.key}.pdf"
