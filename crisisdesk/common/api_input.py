"""Input an API endpoint reads itself, after loading the record in its path: ninja would
validate a declared body or query before the endpoint runs, so a caller without access to
the record would learn from a 422 that it exists. These read the same JSON body or query
string afterwards, and answer in the shape of ninja's own errors; the `*_documented`
functions put them back into the OpenAPI document, which cannot see them in the signature."""

import json
from typing import TypeVar

import pydantic
from ninja import Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as InputValidationError

S = TypeVar("S", bound=pydantic.BaseModel)


def _invalid(error: pydantic.ValidationError, location: tuple[str, ...]) -> InputValidationError:
    errors = []
    for item in error.errors(include_url=False):
        item.pop("input", None)
        if isinstance(item.get("ctx", {}).get("error"), Exception):
            item["ctx"]["error"] = str(item["ctx"]["error"])
        errors.append({**item, "loc": (*location, *item["loc"])})
    return InputValidationError(errors)


def body_read(request, schema: type[S]) -> S:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as error:
        raise HttpError(400, "Cannot parse request body") from error
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as error:
        raise _invalid(error, ("body", "payload")) from error


def query_read(request, schema: type[S]) -> S:
    try:
        return schema.model_validate(request.GET.dict())
    except pydantic.ValidationError as error:
        raise _invalid(error, ("query",)) from error


def _inlined(schema: dict) -> dict:
    """A JSON schema with its `$defs` written in place: a `#/$defs/…` reference inside an
    operation would be read against the whole OpenAPI document, where it does not exist."""
    definitions = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def body_documented(schema: type[Schema]) -> dict:
    content = {"application/json": {"schema": _inlined(schema.json_schema())}}
    return {"requestBody": {"required": True, "content": content}}


def query_documented(schema: type[Schema]) -> dict:
    properties = schema.json_schema().get("properties", {})
    return {
        "parameters": [
            {"in": "query", "name": name, "required": False, "schema": {k: v for k, v in spec.items() if k != "title"}}
            for name, spec in properties.items()
        ]
    }
