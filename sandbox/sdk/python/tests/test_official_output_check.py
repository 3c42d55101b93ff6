"""The SDK 1.x checks a tool's structured content against its output schema with jsonschema (which the
guest cannot bundle: rpds is compiled); ``berth_sdk.official.schema_error`` must say what jsonschema says for
the schemas pydantic writes, for content pydantic dumped."""

import jsonschema
import pytest
from jsonschema.exceptions import best_match

from berth_sdk.official import schema_error

PERSON = {
    "$defs": {"Colour": {"enum": ["red", "blue"], "title": "Colour", "type": "string"}},
    "properties": {
        "name": {"title": "Name", "type": "string"},
        "age": {"default": None, "title": "Age", "type": "integer"},
        "tags": {"items": {"type": "string"}, "title": "Tags", "type": "array"},
        "colour": {"$ref": "#/$defs/Colour"},
        "scores": {"additionalProperties": {"type": "number"}, "type": "object"},
        "nick": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "kind": {"const": "person", "type": "string"},
    },
    "required": ["name", "colour"],
    "title": "Person",
    "type": "object",
}

CASES = [
    {"name": "a", "colour": "red"},
    {"name": "a", "colour": "red", "age": None},
    {"name": None, "colour": "red"},
    {"colour": "red"},
    {"name": "a", "colour": "green"},
    {"name": "a", "colour": "red", "tags": ["x", 1]},
    {"name": "a", "colour": "red", "scores": {"x": 1, "y": "high"}},
    {"name": "a", "colour": "red", "nick": 3},
    {"name": "a", "colour": "red", "kind": "robot"},
    {"name": "a", "colour": "red", "age": True},
    {"name": "a", "colour": "red", "age": 2.0},
    {"name": 1, "colour": "green", "age": "x"},
    [],
]


@pytest.mark.parametrize("instance", CASES, ids=range(len(CASES)))
def test_schema_error_says_what_jsonschema_says(instance):
    found = best_match(jsonschema.Draft202012Validator(PERSON).iter_errors(instance))
    assert schema_error(instance, PERSON) == (None if found is None else found.message)
