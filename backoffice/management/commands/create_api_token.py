"""Create an API token for a system that posts to the JSON API; prints its key once."""

from django.core.management.base import BaseCommand

from backoffice.api import api_token_create


class Command(BaseCommand):
    help = "Create an API token (e.g. for the web store or an ERP); the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who will use it, e.g. 'loja virtual'.")

    def handle(self, *args, name, **options):
        token, key = api_token_create(name=name)
        self.stdout.write(f"Token “{token.name}” created. Its key (shown only now):\n{key}")
