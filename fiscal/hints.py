"""What to fix when SEFAZ refuses an NF-e: the usual rejection and denial codes (cStat), each with
the fix in the store's words — which record to correct before the NF-e is issued again under the
same number. SEFAZ's own message is always shown beside it."""

from django.utils.translation import gettext_lazy as _

# 215 and 225 are SEFAZ's two codes of a schema failure (the message's, the batch's): one fix.
SCHEMA_FAILED = _("The XML failed SEFAZ's schema: check the product's NCM and the customer's data, then issue again.")

# No entry for 204 (a duplicate): the invoice is looked up by its key, never left rejected with it.
HINTS = {
    "206": _("This number was voided at SEFAZ already: issue the order's NF-e again, under a new number."),
    "207": _("The store's CNPJ is not valid: correct it in the fiscal profile."),
    "208": _("The recipient's CNPJ is not valid: correct the customer's CNPJ."),
    "209": _("The store's state registration (IE) is not valid: correct it in the fiscal profile."),
    "213": _("The CNPJ of the A1 certificate is not the store's: upload the store's own certificate."),
    "215": SCHEMA_FAILED,
    "225": SCHEMA_FAILED,
    "228": _("The issue date is too old for SEFAZ: issue it again (it is dated anew)."),
    "232": _("The recipient is an ICMS contributor without a state registration: type the customer's IE, or "
             "ISENTO."),
    "233": _("The customer's state registration (IE) is not registered at SEFAZ: correct it."),
    "234": _("The customer's state registration (IE) belongs to another CNPJ: correct it."),
    "237": _("The recipient's CPF is not valid: correct the customer's CPF."),
    "280": _("The A1 certificate is not valid for SEFAZ: upload a valid ICP-Brasil certificate."),
    "281": _("The A1 certificate has expired: upload the renewed one."),
    "297": _("The signature does not match the document: issue it again (it is signed anew)."),
    "301": _("Denied: SEFAZ finds the store irregular in its state. Sort it out with the accountant; this NF-e "
             "cannot be used."),
    "302": _("Denied: SEFAZ finds the customer irregular in its state. This NF-e cannot be used."),
    "321": _("A return NF-e must reference the original NF-e: issue the return from the original invoice's page."),
    "539": _("SEFAZ has an NF-e with this number and another key: void nothing, look it up at SEFAZ and tell "
             "the accountant."),
    "564": _("The products' total does not add up to the items: check the order's items and discounts."),
    "610": _("The invoice total does not add up: check the order's discounts and shipping."),
    "778": _("A product's NCM does not exist: correct the product's NCM in the catalog."),
}


def hint(code: str) -> str:
    """What to fix for SEFAZ's code; empty for a code without a known fix."""
    return HINTS.get(str(code), "")
