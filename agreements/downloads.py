"""Serving agreement documents: the one place that checks, audits and streams a download."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404

from agreements import selectors
from agreements.models import DocumentVersion
from portal import audit


def document_response(request, principal, agreement_pk, version_pk):
    """The file of a version of a visible agreement's document, or 404 alike for all others."""
    agreement = selectors.agreement_get(principal, agreement_pk)
    version = get_object_or_404(DocumentVersion, pk=version_pk, document__agreement=agreement)
    handle = version.file.open("rb")  # a missing file fails here, before anything is recorded
    audit.record(
        "document.downloaded", actor=principal, obj=version, request=request, details={"agreement": agreement.pk}
    )
    response = FileResponse(
        handle, as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
