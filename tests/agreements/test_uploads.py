"""Document uploads: type read from the content, size limit, safe names, versions."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements import services
from agreements.models import DocumentVersion
from tests.conftest import PDF_BYTES


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
ODT = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office/>"})


@pytest.fixture
def agreement(make_agreement):
    return make_agreement("draft")


def upload(agreement, actor, name, data, **kwargs):
    return services.document_upload(
        agreement=agreement, actor=actor, title="Text", upload=SimpleUploadedFile(name, data), **kwargs
    )


@pytest.mark.parametrize(
    ("name", "data", "ext"),
    [("a.pdf", PDF_BYTES, "pdf"), ("b.docx", DOCX, "docx"), ("c.odt", ODT, "odt"), ("no-extension", PDF_BYTES, "pdf")],
)
def test_accepted_types(agreement, owner_liaison, name, data, ext):
    version = upload(agreement, owner_liaison, name, data)
    assert version.file.name.endswith("." + ext)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"MZ\x90\x00 not a pdf"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n"),
        ("archive.docx", zip_bytes({"other.txt": "x"})),
        ("broken.docx", b"PK\x03\x04 truncated"),
        ("script.pdf", b"<script>alert(1)</script>"),
    ],
)
def test_wrong_content_is_refused_whatever_the_name(agreement, owner_liaison, name, data):
    with pytest.raises(ValidationError, match="Only PDF, DOCX and ODT"):
        upload(agreement, owner_liaison, name, data)
    assert DocumentVersion.objects.count() == 0
    assert agreement.documents.count() == 0


def test_too_big_is_refused(agreement, owner_liaison, settings):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than"):
        upload(agreement, owner_liaison, "big.pdf", PDF_BYTES + b"0" * 2000)


def test_empty_file_is_refused(agreement, owner_liaison):
    with pytest.raises(ValidationError, match="empty"):
        upload(agreement, owner_liaison, "empty.pdf", b"")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\boot.ini", "rapport d'été <final>.pdf", "a" * 400 + ".pdf"]
)
def test_odd_names_are_stored_safely(agreement, owner_liaison, name):
    version = upload(agreement, owner_liaison, name, PDF_BYTES)
    stored = version.file.name
    assert stored.startswith(f"agreements/{agreement.pk}/") and ".." not in stored
    assert "/" not in version.original_name and "\\" not in version.original_name
    assert len(version.original_name) <= 150


def test_new_version_keeps_history(agreement, owner_liaison):
    first = upload(agreement, owner_liaison, "v1.pdf", PDF_BYTES)
    second = services.document_upload(
        agreement=agreement,
        actor=owner_liaison,
        document=first.document,
        upload=SimpleUploadedFile("v2.pdf", PDF_BYTES + b"%v2"),
    )
    assert second.number == 2 and second.sha256 != first.sha256
    assert list(first.document.versions.values_list("number", flat=True)) == [2, 1]


def test_non_party_cannot_upload(agreement, outsider_liaison):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(agreement, outsider_liaison, "a.pdf", PDF_BYTES)


def test_upload_page_shows_refusal_next_to_the_file_field(agreement, verified_client, owner_liaison):
    from django.urls import reverse

    client = verified_client(owner_liaison)
    response = client.post(
        reverse("agreements:document_create", args=[agreement.pk]),
        {"title": "Signed", "kind": "signed", "file": SimpleUploadedFile("x.pdf", b"GIF89a")},
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
