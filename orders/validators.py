"""Brazilian registration data: CPF/CNPJ (python-stdnum, alphanumeric CNPJ included), the
state registration (IE) a company needs, CEP, and which UF a CEP belongs to (the Correios ranges)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.br import cnpj, cpf
from stdnum.exceptions import ValidationError as StdnumError

# First five digits of the CEP → UF (Correios' ranges; DF, GO and AM are split).
CEP_RANGES = [
    (1000, 19999, "SP"), (20000, 28999, "RJ"), (29000, 29999, "ES"), (30000, 39999, "MG"),
    (40000, 48999, "BA"), (49000, 49999, "SE"), (50000, 56999, "PE"), (57000, 57999, "AL"),
    (58000, 58999, "PB"), (59000, 59999, "RN"), (60000, 63999, "CE"), (64000, 64999, "PI"),
    (65000, 65999, "MA"), (66000, 68899, "PA"), (68900, 68999, "AP"), (69000, 69299, "AM"),
    (69300, 69399, "RR"), (69400, 69899, "AM"), (69900, 69999, "AC"), (70000, 72799, "DF"),
    (72800, 72999, "GO"), (73000, 73699, "DF"), (73700, 76799, "GO"), (76800, 76999, "RO"),
    (77000, 77999, "TO"), (78000, 78899, "MT"), (79000, 79999, "MS"), (80000, 87999, "PR"),
    (88000, 89999, "SC"), (90000, 99999, "RS"),
]

INVALID_DOCUMENT = gettext_lazy("Invalid %(label)s: check the digits.")


def clean_document(value: str, kind: str | None = None) -> tuple[str, str]:
    """(kind, compact document) of a valid CPF or CNPJ; raises ValidationError otherwise.
    Without `kind`, 11 characters mean a CPF and 14 a CNPJ."""
    compact = cnpj.compact(value or "").upper()
    if kind is None:
        kind = document_kind(compact)
    module, label = (cpf, "CPF") if kind == "person" else (cnpj, "CNPJ")
    invalid = ValidationError(INVALID_DOCUMENT, code="invalid", params={"label": label})
    # python-stdnum passes some repeated digits (111.111.111-11): their check digits add up, yet no one has them.
    if len(set(compact)) == 1:
        raise invalid
    try:
        return kind, module.validate(compact)
    except StdnumError as exc:
        raise invalid from exc


def document_kind(document: str) -> str:
    """The customer kind of a compact document: 11 characters are a person's CPF, else a company's CNPJ."""
    return "person" if len(document) == 11 else "company"


def clean_state_registration(value: str, kind: str) -> str:
    """The IE as stored (upper case); a company needs one, or ISENTO. Raises ValidationError."""
    registration = (value or "").strip().upper()
    if kind == "company" and not registration:
        raise ValidationError(_("A company needs its state registration (IE) or ISENTO."), code="required")
    return registration


def clean_cep(value: str) -> str:
    digits = "".join(ch for ch in (value or "") if ch in "0123456789")  # not isdigit(): "١٢٣" is not a CEP
    if len(digits) != 8:
        raise ValidationError(_("The CEP has 8 digits."), code="invalid")
    return digits


def uf_of_cep(cep: str) -> str | None:
    prefix = int(cep[:5])
    for low, high, uf in CEP_RANGES:
        if low <= prefix <= high:
            return uf
    return None


def cep_in_uf(cep: str, uf: str) -> bool:
    """Whether a (clean) CEP lies inside the UF."""
    return uf_of_cep(cep) == uf
