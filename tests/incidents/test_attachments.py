"""Attachments: type from content, size limit, photo metadata stripped, downloads through the gate."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from incidents import services
from incidents.models import IncidentAttachment
from tests.conftest import PDF_BYTES
from tests.helpers import audit_log


def photo_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (54.0, 41.0, 13.0), 3: "E", 4: (25.0, 16.0, 48.0)}  # GPSInfo
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def shared(lt_pl_in_force, make_incident):
    return make_incident("validated")


def test_photo_is_stored_without_gps_or_camera_data(shared, officer):
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    attachment = services.attachment_add(
        incident=shared, actor=officer, upload=SimpleUploadedFile("IMG_0001.jpg", original)
    )
    stored = attachment.file.open("rb").read()
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and b"CameraMaker" not in stored
    assert attachment.is_photo and attachment.content_type == "image/jpeg" and image.size == (64, 48)


def test_document_is_kept_as_is(shared, officer):
    attachment = services.attachment_add(
        incident=shared, actor=officer, upload=SimpleUploadedFile("report.pdf", PDF_BYTES)
    )
    assert attachment.file.open("rb").read() == PDF_BYTES and not attachment.is_photo


@pytest.mark.parametrize(
    ("name", "data"),
    [("photo.jpg", b"not really a jpeg"), ("x.png", b"GIF89a....."), ("run.pdf", b"#!/bin/sh\nrm -rf /")],
)
def test_wrong_content_refused(shared, officer, name, data):
    with pytest.raises(ValidationError, match="Only photos"):
        services.attachment_add(incident=shared, actor=officer, upload=SimpleUploadedFile(name, data))
    assert IncidentAttachment.objects.count() == 0


def test_size_limit(shared, officer, settings):
    settings.INCIDENT_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        services.attachment_add(incident=shared, actor=officer, upload=SimpleUploadedFile("a.pdf", PDF_BYTES * 5))


def test_partner_cannot_attach(shared, partner_officer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.attachment_add(incident=shared, actor=partner_officer, upload=SimpleUploadedFile("a.pdf", PDF_BYTES))


def test_download_through_the_gate(shared, officer, verified_client, partner_officer, outsider_officer):
    attachment = services.attachment_add(
        incident=shared, actor=officer, upload=SimpleUploadedFile("IMG.jpg", photo_with_gps()), personal_data=False
    )
    url = reverse("incidents:attachment", args=[shared.pk, attachment.pk])
    partner = verified_client(partner_officer).get(url)
    assert partner.status_code == 200 and partner["Content-Type"] == "image/jpeg"
    assert b"CameraMaker" not in b"".join(partner.streaming_content)
    assert audit_log().filter(action="incident.attachment_downloaded", actor=partner_officer).exists()
    assert verified_client(outsider_officer).get(url).status_code == 404


def test_a_personal_photo_never_reaches_a_partner_whose_clause_withholds_personal_data(
    shared, officer, verified_client, partner_officer
):
    # The partner's clause (lt_pl_in_force) withholds personal data; a photo is personal data
    # unless the uploader says it shows no one.
    personal = services.attachment_add(
        incident=shared, actor=officer, upload=SimpleUploadedFile("face.jpg", photo_with_gps())
    )
    assert personal.personal_data is True
    client = verified_client(partner_officer)
    assert client.get(reverse("incidents:attachment", args=[shared.pk, personal.pk])).status_code == 404
    page = client.get(reverse("incidents:detail", args=[shared.pk])).content.decode()
    assert "face.jpg" not in page
    own = verified_client(officer).get(reverse("incidents:attachment", args=[shared.pk, personal.pk]))
    assert own.status_code == 200


def test_upload_through_the_page(shared, verified_client, officer):
    client = verified_client(officer)
    response = client.post(
        reverse("incidents:attach", args=[shared.pk]), {"file": SimpleUploadedFile("scan.pdf", PDF_BYTES)}, follow=True
    )
    assert "The file was attached." in response.content.decode()
    assert "scan.pdf" in response.content.decode()
