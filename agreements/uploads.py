"""Recognise an uploaded document's type from its content, never from its name."""

import zipfile

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Every type `detect_document_type` accepts: what a download is served as.
DOCUMENT_TYPES = ("application/pdf", DOCX_TYPE, ODT_MIMETYPE.decode())


def detect_document_type(upload):
    """Return (extension, content type) for a PDF, DOCX or ODT file, or None for anything else."""
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                return "odt", ODT_MIMETYPE.decode()
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx", DOCX_TYPE
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        return None
    finally:
        upload.seek(0)
    return None
