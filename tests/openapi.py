"""The API's OpenAPI schema, and checks of real answers and pushes against it by validators not
written here.

The schema is the one /api/schema/ serves (drf-spectacular, OpenAPI 3.1), whose schema objects
are JSON Schema 2020-12: bodies are checked with `jsonschema`, formats included, as they are,
made stricter in one way only. Answers and pushes being complete, every documented property is
required (unless write-only) and no undocumented one is allowed.
"""

import functools
import json
import re

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft202012Validator

# Keywords of a schema object whose values are schema objects, lists or maps of them.
_SCHEMA = ("items", "not", "additionalProperties", "contains", "if", "then", "else", "unevaluatedProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs")
# Media types whose bodies are JSON, and are checked against their schema.
JSON = re.compile(r"^application/(?:[\w.-]+\+)?json$")


@functools.cache
def generated():
    """(the schema as served, in JSON types; the generator, whose registry maps each component to
    its serializer)."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema)), generator


def openapi_schema():
    return generated()[0]


def strict(node):
    """A schema object as the JSON Schema a complete body must satisfy: objects with
    `properties` require each one that is not write-only, and allow no other."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS:
            converted[key] = {name: strict(schema) for name, schema in value.items()}
        elif key in _SCHEMA or key in _SCHEMA_LISTS:
            converted[key] = strict(value)
        else:
            converted[key] = value
    if "properties" in node:
        converted.setdefault("additionalProperties", False)
        converted["required"] = [name for name, schema in node["properties"].items() if not schema.get("writeOnly")]
    return converted


@functools.cache
def _components():
    return {name: strict(schema) for name, schema in openapi_schema()["components"]["schemas"].items()}


def validator(schema, *, strictly=True):
    """A validator of `schema`, whose `$ref`s name the schema's components."""
    components = _components() if strictly else openapi_schema()["components"]["schemas"]
    root = {**(strict(schema) if strictly else schema), "components": {"schemas": components}}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def says_null(schema):
    """Whether a schema object takes null, as JSON Schema reads it: `type` holding "null", a
    branch of `oneOf` or `anyOf` that takes it (and, for `oneOf`, only one), and so on."""
    return validator(schema, strictly=False).is_valid(None)


def assert_valid(instance, schema, where):
    errors = sorted(validator(schema).iter_errors(instance), key=lambda error: list(error.absolute_path))
    assert not errors, f"{where} disagrees with the schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}" for error in errors
    )


def template_of(path):
    """The schema's path template of a concrete path, such as /api/v1/incidents/{id}/."""
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
    """A Django test client's answer is documented for its path, method and status, in its media
    type; a JSON body satisfies the documented schema. Returns the body (parsed when JSON)."""
    path = template_of(response.request["PATH_INFO"])
    method = response.request["REQUEST_METHOD"]
    documented = documented_response(path, method, response.status_code)
    media_type = response["Content-Type"].split(";")[0].strip()
    content = documented.get("content", {})
    assert media_type in content, f"{method} {path} {response.status_code}: {media_type} is not documented"
    if not JSON.match(media_type):
        # CAP XML, CSV, files: the media type is what the schema says of them.
        return b"".join(response.streaming_content) if response.streaming else response.content
    body = response.json()
    assert_valid(body, content[media_type]["schema"], f"{method} {path} {response.status_code}")
    return body


def webhook_request_schema(name, method="post"):
    """The JSON schema of the body the portal pushes for the webhook `name`."""
    operation = openapi_schema()["webhooks"][name][method]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def assert_pushed_as_documented(name, body, method="post"):
    """A pushed body satisfies the schema of the webhook `name`."""
    assert_valid(body, webhook_request_schema(name, method), f"the {name} webhook's body")
    return body
