"""An import's report is written in the language its uploader used when sending the file, not
in the worker's."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from backoffice.models import ImportFile
from backoffice.services import import_process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("language, problem, refused", [
    ("en", "The file has a header but no rows.", "Nothing was imported."),
    ("pt-br", "O arquivo tem cabeçalho, mas nenhuma linha.", "Nada foi importado."),
])
def test_the_report_reads_in_the_uploaders_language(client_as, language, problem, refused):
    client = client_as("staff")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post("/imports/new/inventory.catalog/", {"file": SimpleUploadedFile("catalog.csv", b"sku,name,ncm,price\n")})
    record = ImportFile.objects.get()
    assert record.language == language
    with translation.override("pt-br" if language == "en" else "en"):  # a worker speaking the other language
        import_process(import_id=record.pk)
    page = client.get(f"/imports/{record.pk}/").content.decode()
    assert problem in page and refused in page
