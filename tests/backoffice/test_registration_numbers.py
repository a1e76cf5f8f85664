"""CPF/CNPJ and phone numbers as Brazilians read them, whatever way they were typed or stored."""

import pytest
from django.template import Context, Template

from backoffice.text import format_document, format_phone


@pytest.mark.parametrize("stored,shown", [
    ("39053344705", "390.533.447-05"),
    ("11222333000181", "11.222.333/0001-81"),
    ("12ABC34501DE35", "12.ABC.345/01DE-35"),  # the alphanumeric CNPJ (from July 2026)
    ("", ""),
    ("1234", "1234"),  # not a CPF nor a CNPJ: as stored
])
def test_a_document_is_shown_with_its_punctuation(stored, shown):
    assert format_document(stored) == shown


@pytest.mark.parametrize("stored,shown", [
    ("11987654321", "(11) 98765-4321"),
    ("(11) 98765-4321", "(11) 98765-4321"),
    ("11 99999-0000", "(11) 99999-0000"),
    ("1134567890", "(11) 3456-7890"),
    ("+55 21 3456-7890", "(21) 3456-7890"),
    ("5521987654321", "(21) 98765-4321"),
    ("011 3456-7890", "(11) 3456-7890"),  # with the trunk 0
    ("0800 123 4567", "0800 123 4567"),
    ("08001234567", "0800 123 4567"),
    ("ramal 22", "ramal 22"),  # not a number to format: as stored
    ("", ""),
])
def test_a_phone_is_shown_the_brazilian_way(stored, shown):
    assert format_phone(stored) == shown


def test_templates_have_the_document_and_phone_filters():
    html = Template("{{ doc|document }} {{ tel|phone }}").render(Context({"doc": "39053344705", "tel": "11987654321"}))
    assert html == "390.533.447-05 (11) 98765-4321"
