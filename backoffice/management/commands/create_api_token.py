"""Create an API token for a system that posts to the JSON API; prints its key once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backoffice.api import API_CHANNELS, api_token_create


class Command(BaseCommand):
    help = ("Create an API token of an integration (e.g. the web store or an ERP) for the channels it may post "
            "orders for; the key is printed once. Tokens of the same integration (a rotated key) share its orders.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who will use it, e.g. 'loja virtual'.")
        parser.add_argument("--integration", required=True,
                            help="The system it belongs to, a slug, e.g. 'loja-virtual' or 'erp'.")
        parser.add_argument("--channel", action="append", dest="channels", required=True,
                            help=f"A channel it may post for (repeat for more): {', '.join(API_CHANNELS)}.")

    def handle(self, *args, name, integration, channels, **options):
        try:
            token, key = api_token_create(name=name, integration=integration, channels=channels)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Token “{token.name}” of {token.integration} for {', '.join(token.channels)} created. "
                          f"Its key (shown only now):\n{key}")
