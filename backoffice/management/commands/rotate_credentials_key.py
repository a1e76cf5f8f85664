"""Encrypt every stored credential again under the first of CREDENTIALS_KEYS (after a new key was
put first), so the old keys can be dropped. Safe to repeat: values already under it are left alone."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from backoffice.fields import EncryptedJSONField
from backoffice.integrations.credentials import CredentialsUnreadable, reencrypt


class Command(BaseCommand):
    help = ("Encrypt every credential again with the first key of CREDENTIALS_KEYS; afterwards the other keys "
            "can be removed. Values already encrypted with the first key are left as they are.")

    def handle(self, *args, **options):
        unreadable = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedJSONField):
                    rotated, current, failed = self._rotate(model, field)
                    unreadable += failed
                    self.stdout.write(f"{model._meta.label}.{field.name}: {rotated} encrypted again, "
                                      f"{current} already with the first key, {failed} unreadable")
        if unreadable:
            raise CommandError(f"{unreadable} values no key of CREDENTIALS_KEYS decrypts: keep the key that "
                               "encrypted them in the list.")

    @staticmethod
    def _rotate(model, field) -> tuple[int, int, int]:
        rotated = current = failed = 0
        # The stored tokens as they are (a text column), not decrypted.
        raw = models.ExpressionWrapper(models.F(field.attname), output_field=models.TextField())
        with transaction.atomic():
            rows = (model._base_manager.select_for_update().exclude(**{f"{field.attname}__isnull": True})
                    .annotate(token=raw).values_list("pk", "token").order_by("pk"))
            for pk, token in rows:
                try:
                    token = reencrypt(token)
                except CredentialsUnreadable:
                    failed += 1
                    continue
                if token is None:
                    current += 1
                    continue
                model._base_manager.filter(pk=pk).update(**{field.attname: models.Value(token, models.TextField())})
                rotated += 1
        return rotated, current, failed
