"""Factories shared by the tests of every app."""

from decimal import Decimal
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

PASSWORD = "correct horse battery staple"


@cache
def hashed(password: str | None) -> str:
    """`password` hashed as the project hashes passwords (None: unusable), once per test run: a hash
    takes a third of a second, and every test makes its users."""
    return make_password(password)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="pt_BR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@loja.example")
    password = factory.django.Password(PASSWORD, transform=hashed)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Product"

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Produto {n}")
    ncm = "61091000"
    price = Decimal("59.90")
    cost = Decimal("20.00")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Warehouse"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cd{n}")
    name = factory.LazyAttribute(lambda w: f"CD {w.code}")
    priority = 5
