from django.db import migrations

# unaccent() is STABLE (its dictionary could be changed), which an index expression may not be;
# this wrapper names the dictionary and the schema, so it always gives the same answer, and is
# declared IMMUTABLE. backoffice.search folds searched text with it.
CREATE_FOLD = """
    CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent', $1) $$
"""


def unaccent(apps, schema_editor):
    """On PostgreSQL, the unaccent extension (contrib) and its immutable wrapper; SQLite gets a
    Python function on each connection (backoffice.search)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        schema_editor.execute(CREATE_FOLD)


def drop_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS f_unaccent(text)")


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0011_import_file_language"),
    ]

    operations = [
        migrations.RunPython(unaccent, drop_unaccent),
    ]
