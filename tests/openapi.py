"""The API's OpenAPI schema, and checks of real answers against it by validators not written here.

The schema is the one /api/schema/ serves (drf-spectacular, OpenAPI 3.0). Answers are checked
with `jsonschema` (JSON Schema 2020-12, formats included) after a small conversion of OpenAPI 3.0
schema objects: `nullable: true` becomes "or null" (as drf-spectacular means it, also beside a
single `allOf`), and, answers being complete, every documented property is required and no
undocumented one is allowed.
"""

import functools
import json
import re

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft202012Validator

# Keywords of a schema object whose values are schema objects, lists or maps of them.
_SCHEMA = ("items", "not", "additionalProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


@functools.cache
def generated():
    """(the schema as served, in JSON types; the generator, whose registry maps each component to
    its serializer)."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema)), generator


def openapi_schema():
    return generated()[0]


def json_schema(node):
    """An OpenAPI 3.0 schema object as the JSON Schema an answer must satisfy."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key == "properties":
            converted[key] = {name: json_schema(schema) for name, schema in value.items()}
        elif key in _SCHEMA or key in _SCHEMA_LISTS:
            converted[key] = json_schema(value)
        else:
            converted[key] = value
    if "properties" in converted:
        converted.setdefault("additionalProperties", False)
        converted["required"] = [name for name, schema in node["properties"].items() if not schema.get("writeOnly")]
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _template_of(path):
    for template in openapi_schema()["paths"]:
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]+\})", template)
        )
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the schema")


def documented_response(path, method, status):
    """The schema's response object for `status` of `method` on the path template `path`."""
    operation = openapi_schema()["paths"][path][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method.upper()} {path} answers {status}, which the schema does not document"
    return response


def assert_documented(response):
    """A Django test client's answer is documented for its path, method and status, and its JSON
    body satisfies the documented schema. Returns the body."""
    path = _template_of(response.request["PATH_INFO"])
    method = response.request["REQUEST_METHOD"]
    documented = documented_response(path, method, response.status_code)
    media_type = response["Content-Type"].split(";")[0].strip()
    content = documented.get("content", {})
    assert media_type in content, f"{method} {path} {response.status_code}: {media_type} is not documented"
    body = response.json()
    components = {name: json_schema(schema) for name, schema in openapi_schema()["components"]["schemas"].items()}
    schema = {**json_schema(content[media_type]["schema"]), "components": {"schemas": components}}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    assert not errors, f"{method} {path} {response.status_code} disagrees with the schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}" for error in errors
    )
    return body
