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


def json_schema_nulls(result, generator, request, public):
    """Null as OpenAPI 3.1 writes it (its schema objects are JSON Schema 2020-12), where DRF or
    drf-spectacular left another spelling:

    - `nullable: true` beside a `type` (DRF's paginators write their `next` and `previous` so):
      "null" joins the type, since 3.1 knows no `nullable` and would refuse the null they hold;
    - `oneOf: [{}, {"type": "null"}]` (drf-spectacular's nullable free-form value): a null meets
      both branches, so `oneOf` refuses it; `anyOf` takes it, and still says null."""

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        if node.get("nullable") is True and isinstance(node.get("type"), str | list):
            del node["nullable"]
            kinds = [node["type"]] if isinstance(node["type"], str) else node["type"]
            node["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        branches = node.get("oneOf")
        if isinstance(branches, list) and {} in branches and {"type": "null"} in branches:
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            visit(value)

    visit(result)
    return result
