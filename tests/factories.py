"""Factories shared by the tests of every app."""

import factory
from django.contrib.auth import get_user_model

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="pt_BR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@loja.example")
    password = factory.django.Password(PASSWORD)
