"""Search as staff type it: accents and case ignored ("joao" finds "João", "sao paulo" finds
"São Paulo"), the same on PostgreSQL and SQLite. Every list's search goes through `text_search`."""

import unicodedata
from functools import reduce
from operator import or_

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError
from django.db.backends.signals import connection_created
from django.db.models import CharField, IntegerField, Lookup, Q, TextField
from django.db.models.lookups import In

# PostgreSQL's own unaccent() is only STABLE (its dictionary could change), which no index can
# hold: migration backoffice/0012_unaccent wraps it as this IMMUTABLE function, and the trigram
# indexes of searched columns are built on UPPER(f_unaccent(column)), the expression below.
POSTGRESQL_FOLD = "UPPER(f_unaccent(%s))"
# SQLite's UPPER and LIKE fold ASCII letters only: its fold is the Python function below.
SQLITE_FOLD = "f_fold(%s)"


def folded(text: str | None) -> str | None:
    """`text` without accents (the combining marks of its decomposition), upper-cased: "São" → "SAO"."""
    if text is None:
        return None
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).upper()


class UnaccentIContains(Lookup):
    """`field__unaccent_icontains=text`: the field contains `text`, accents and case ignored
    on both sides."""

    lookup_name = "unaccent_icontains"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [f"%{connection.ops.prep_for_like_query(value)}%"]

    def _sql(self, compiler, connection, fold):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{fold % lhs} LIKE {fold % rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, connection, POSTGRESQL_FOLD)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, SQLITE_FOLD)

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"accent-insensitive search is not written for {connection.vendor}")


class AnyOf(In):
    """`field__any=ids`: `__in`, with a list of ids bound as one array on PostgreSQL; written
    out as thousands of parameters, the list took longer to quote, send and plan than the search
    it narrows."""

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Of the column's own type, which the planner hashes (psycopg would pick the smallest).
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*lhs_params, values]


def text_search(text: str, *fields: str) -> Q:
    """Rows any of whose `fields` (lookup paths to text columns) contains `text`, accents and
    case ignored."""
    return reduce(or_, (Q(**{f"{field}__unaccent_icontains": text}) for field in fields))


def _register_sqlite_fold(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("f_fold", 1, folded, deterministic=True)


def connect():
    """Register the lookups (on text columns, on integer ones) and SQLite's fold on each new
    connection (from BackofficeConfig.ready)."""
    CharField.register_lookup(UnaccentIContains)
    TextField.register_lookup(UnaccentIContains)
    IntegerField.register_lookup(AnyOf)
    connection_created.connect(_register_sqlite_fold, dispatch_uid="backoffice.search.sqlite_fold")
