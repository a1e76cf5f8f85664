"""The post-sale survey link: a signed, expiring token naming the order (no login needed)."""

from django.core import signing

from .models import Status

SALT = "orders.survey"
MAX_AGE = 60 * 60 * 24 * 30  # the link works for 30 days after it is sent
# The orders a survey is sent for and answered about: the customer has received them.
SURVEYED = (Status.DELIVERED, Status.CLOSED)


def survey_token(order) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(order.pk))


def order_id_from_token(token: str) -> int:
    """The order id in a token; raises signing.SignatureExpired or signing.BadSignature."""
    return int(signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE))
