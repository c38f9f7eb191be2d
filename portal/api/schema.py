"""Additions to the generated OpenAPI schema that no single view declares."""

UNAUTHORIZED = "No valid credentials: the API key is missing, malformed, unknown, revoked or expired."


def document_unauthorized(result, generator, request, public):
    """Every operation that needs credentials answers 401 without them (in the error shape of
    portal.api.exceptions): documented once here rather than in every view."""
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            security = operation.get("security", result.get("security", []))
            if not security or {} in security:
                continue
            operation["responses"].setdefault(
                "401", {"content": {"application/json": {"schema": error}}, "description": UNAUTHORIZED}
            )
    return result
