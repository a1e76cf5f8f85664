"""The books' URLs, included in fiscal/urls.py (the "fiscal" namespace)."""

from django.urls import path

from . import book_views

urlpatterns = [
    path("books/", book_views.books, name="books"),
    path("books/taxes/", book_views.tax_summary, name="tax_summary"),
    path("books/xml/", book_views.xml_archive, name="xml_archive"),
]
