"""Numbers and dates in every form open with their value: decimals as text in the reader's format
(backoffice.forms.DecimalField, AmountField), dates as the browser's date picker with ISO values
(backoffice.forms.DateField) — never <input type="number"> with "69,90" in it, which the browser
empties."""

import importlib
from datetime import date
from decimal import Decimal

import django_filters
import pytest
from django import forms
from django.contrib import admin
from django.utils import translation

from backoffice.forms import AmountField, DateField, DateInput, DecimalField
from inventory.forms import ProductForm
from inventory.models import Product
from payments.forms import CashEntryForm, ReleasesForm
from payments.models import SettlementRule

APPS = ["backoffice", "inventory", "orders", "payments"]


def _form_classes():
    for app in APPS:
        module = importlib.import_module(f"{app}.forms")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield value


def _filter_classes():
    for app in APPS:
        module = importlib.import_module(f"{app}.filters")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, django_filters.FilterSet)
                    and value.__module__ == module.__name__):
                yield value


def _fields(form_class):
    for name, field in form_class.base_fields.items():
        yield from ([(f"{name}_{i}", sub) for i, sub in enumerate(field.fields)]
                    if isinstance(field, forms.MultiValueField) else [(name, field)])


def test_every_form_number_with_decimals_is_our_decimal_field_and_every_date_our_date_field():
    form_classes = list(_form_classes()) + [f().form.__class__ for f in _filter_classes()]
    assert ProductForm in form_classes and len(form_classes) > 20  # the walk sees the forms
    seen = {"decimal": 0, "date": 0}
    for form_class in form_classes:
        for name, field in _fields(form_class):
            where = f"{form_class.__name__}.{name}"
            if isinstance(field, forms.DecimalField):
                seen["decimal"] += 1
                assert isinstance(field, DecimalField), where
                assert not isinstance(field.widget, forms.NumberInput), where
            if isinstance(field, forms.DateField):
                seen["date"] += 1
                assert isinstance(field, DateField) and isinstance(field.widget, DateInput), where
            if "quantity" in name:  # quantities stay whole numbers
                assert isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField), where
    assert seen["decimal"] >= 15 and seen["date"] >= 5, seen


@pytest.mark.parametrize("filter_name", [f.__name__ for f in _filter_classes()])
def test_every_filter_bar_date_shows_iso_even_when_the_link_gave_dd_mm_aaaa(filter_name):
    filter_class = next(f for f in _filter_classes() if f.__name__ == filter_name)
    for name, date_filter in filter_class.base_filters.items():
        if isinstance(date_filter, django_filters.DateFromToRangeFilter):
            keys = [f"{name}_after", f"{name}_before"]
        elif isinstance(date_filter, django_filters.DateFilter):
            keys = [name]
        else:
            continue
        form = filter_class({key: "25/11/2026" for key in keys}).form
        html = str(form[name])
        assert html.count('type="date"') == len(keys) and html.count('value="2026-11-25"') == len(keys), html
        assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_the_payments_amount_filter_reads_amounts_as_brazilians_write_them():
    from payments.filters import PaymentFilter

    form = PaymentFilter({"gross_min": "R$ 1.234,56", "gross_max": "2.000"}, queryset=None).form
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gross"] == slice(Decimal("1234.56"), Decimal("2000"))
    assert str(form["gross"]).count('inputmode="decimal"') == 2
    assert "Use 1.234,56" in str(PaymentFilter({"gross_min": "1,234.56"}, queryset=None).form.errors)
    blank = PaymentFilter({"gross_min": " ", "gross_max": " "}, queryset=None).form
    assert blank.is_valid() and blank.cleaned_data["gross"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("language, price, weight, size", [("pt-br", "1.269,90", "1,500", "12,5"),
                                                           ("en", "1,269.90", "1.500", "12.5")])
def test_the_product_form_opens_with_its_numbers_and_saves_them_unchanged(language, price, weight, size):
    from tests.factories import ProductFactory

    product = ProductFactory(price=Decimal("1269.90"), gross_weight_kg=Decimal("1.5"), net_weight_kg=Decimal("1.5"),
                             height_cm=Decimal("12.5"), width_cm=Decimal("12.5"), length_cm=Decimal("12.5"))
    with translation.override(language):
        form = ProductForm(instance=product)
        shown = {name: form[name].value() for name in form.fields}
        for name, value in {"price": price, "gross_weight_kg": weight, "net_weight_kg": weight, "height_cm": size,
                            "width_cm": size, "length_cm": size}.items():
            html = str(form[name])
            assert f'value="{value}"' in html and 'type="text"' in html and 'inputmode="decimal"' in html, html
            assert form[name].field.widget.format_value(shown[name]) == value
        # What the browser sends back untouched: the inputs' values as shown.
        data = {name: form[name].field.widget.format_value(value) if isinstance(form[name].field, DecimalField)
                else value for name, value in shown.items() if value is not None and name != "image"}
        saved = ProductForm(data=data, instance=Product.objects.get(pk=product.pk))
        assert saved.is_valid(), saved.errors
        saved.save()
    product_after = Product.objects.get(pk=product.pk)
    assert (product_after.price, product_after.gross_weight_kg, product_after.height_cm) == (
        Decimal("1269.90"), Decimal("1.500"), Decimal("12.5"))


def test_date_fields_open_with_iso_values_whatever_the_language():
    for language in ("pt-br", "en"):
        with translation.override(language):
            releases = ReleasesForm(initial={"start": date(2026, 11, 25), "end": date(2026, 11, 30)})
            assert 'type="date"' in str(releases["start"]) and 'value="2026-11-25"' in str(releases["start"])
            assert 'value="2026-11-30"' in str(releases["end"])
    # A date typed in pt-BR's format (a link, a bookmark) is shown in the picker too.
    assert 'value="2026-11-25"' in str(ReleasesForm({"start": "25/11/2026"})["start"])
    entry = CashEntryForm(initial={"date": date(2026, 1, 31)})
    assert 'type="date"' in str(entry["date"]) and 'value="2026-01-31"' in str(entry["date"])


def test_a_date_is_read_as_iso_or_dd_mm_aaaa_between_2000_and_2100():
    field = DateField()
    assert field.clean("2026-11-25") == field.clean("25/11/2026") == date(2026, 11, 25)
    for text in ("31/02/2026", "1999-12-31", "9999-01-01", "25-11-2026"):
        with pytest.raises(forms.ValidationError):
            field.clean(text)
    assert 'value="31/02/2026"' in DateInput().render("d", "31/02/2026")  # shown back, beside its error


def test_the_fee_rules_in_the_admin_take_fees_as_brazilians_write_them(rf, admin_user):
    model_admin = admin.site._registry[SettlementRule]
    request = rf.get("/")
    request.user = admin_user
    form_class = model_admin.get_form(request)
    assert isinstance(form_class.base_fields["fee_fixed"], AmountField)
    assert isinstance(form_class.base_fields["fee_percent"], DecimalField)
    assert form_class.base_fields["fee_fixed"].clean("R$ 0,99") == Decimal("0.99")
    assert form_class.base_fields["fee_percent"].clean("4,99") == Decimal("4.99")
