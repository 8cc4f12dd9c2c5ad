"""The JSON Schema of the municipality's YAML, for editors (yaml-language-server) and `bereik schema`.

It is generated from the same model `bereik check` validates with, so the two agree on the shape of
the file; what a schema cannot say (a menu option's topic must be one of its queue's, periods in order
and not overlapping, a substitute must exist) only `bereik check` reports.
"""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from bereik.config.model import Config

SCHEMA_ID = "urn:bereik:municipality:1"  # bereik has no web site to serve it from; editors use the file
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    def generate(self, schema, mode="validation") -> dict[str, Any]:
        generated = super().generate(schema, mode=mode)
        return {"$schema": DIALECT, "$id": SCHEMA_ID, **generated}


def json_schema() -> dict[str, Any]:
    return Config.model_json_schema(schema_generator=_Generator)


def undescribed(schema: dict[str, Any]) -> list[str]:
    """Every property of every object in the schema that has no description (nor its type)."""
    definitions = schema.get("$defs", {})
    missing = []

    def described(node: dict[str, Any]) -> bool:
        if "description" in node:
            return True
        reference = node.get("$ref") or next((n.get("$ref") for n in node.get("anyOf", []) if "$ref" in n), None)
        return bool(reference) and "description" in definitions[reference.rsplit("/", 1)[1]]

    for owner, node in [("Config", schema), *definitions.items()]:
        for name, prop in node.get("properties", {}).items():
            if not described(prop):
                missing.append(f"{owner}.{name}")
    return missing
