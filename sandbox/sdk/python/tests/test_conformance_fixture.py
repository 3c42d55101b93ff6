"""The conformance fixture project answers as the MCP conformance suite's server scenarios expect."""

import base64
import json
import pathlib

import pytest

from conftest import REPO, call_context

FIXTURE = REPO / "tests" / "fixtures" / "conformance" / "server.py"


@pytest.fixture
def fixture(load_project):
    return load_project(FIXTURE.read_text())


def _call(fixture, bindings, name, args=None):
    return fixture[0].call_tool(call_context(bindings[1]), name, json.dumps(args or {}))


def test_every_tool_and_prompt_has_a_description(fixture):
    doc = json.loads(fixture[0].describe())
    names = {t["name"] for t in doc["tools"]}
    assert names >= {
        "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
        "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress",
        "test_error_handling", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums", "json_schema_2020_12_tool", "test_reconnection",
        "test_input_required_result_elicitation", "test_input_required_result_sampling",
        "test_input_required_result_list_roots", "test_input_required_result_request_state",
        "test_input_required_result_multiple_inputs", "test_input_required_result_multi_round",
        "test_input_required_result_tampered_state", "test_input_required_result_capabilities",
        "test_missing_capability", "test_streaming_elicitation", "test_logging_tool", "test_x_mcp_header",
        "greet", "slow_compute", "failing_job", "protocol_error_job", "confirm_delete", "multi_input",
        "test_tool_with_task"}
    # http-header-validation calls the first listed tool with no arguments.
    assert doc["tools"][0]["name"] == "test_simple_text"
    assert all(t.get("description") for t in doc["tools"] + doc["prompts"])
    assert {r["uri"] for r in doc["resources"]} == {"test://static-text", "test://static-binary",
                                                    "test://watched-resource"}
    assert [t["uriTemplate"] for t in doc["resourceTemplates"]] == ["test://template/{id}/data"]


def test_json_schema_2020_12_tool_keeps_its_schema(fixture):
    tool = {t["name"]: t for t in json.loads(fixture[0].describe())["tools"]}["json_schema_2020_12_tool"]
    schema = tool["inputSchema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "address" in schema["$defs"] and schema["additionalProperties"] is False


def test_simple_text(fixture, bindings):
    assert [b.value for b in _call(fixture, bindings, "test_simple_text").content] == [
        "This is a simple text response for testing."]


@pytest.mark.parametrize("name,kind,mime,magic", [
    ("test_image_content", "ContentBlock_Image", "image/png", b"\x89PNG"),
    ("test_audio_content", "ContentBlock_Audio", "audio/wav", b"RIFF"),
])
def test_media(fixture, bindings, name, kind, mime, magic):
    (block,) = _call(fixture, bindings, name).content
    assert type(block).__name__ == kind and block.value.mime_type == mime and block.value.data.startswith(magic)


def test_embedded_and_mixed(fixture, bindings):
    (block,) = _call(fixture, bindings, "test_embedded_resource").content
    assert block.value.uri == "test://embedded-resource" and block.value.mime_type == "text/plain"
    kinds = [type(b).__name__ for b in _call(fixture, bindings, "test_multiple_content_types").content]
    assert kinds == ["ContentBlock_Text", "ContentBlock_Image", "ContentBlock_Resource"]


def test_logging_and_progress(fixture, bindings):
    _call(fixture, bindings, "test_tool_with_logging")
    assert [c[3]["msg"] for c in fixture[1].of("log")] == [
        "Tool execution started", "Tool processing data", "Tool execution completed"]
    _call(fixture, bindings, "test_tool_with_progress")
    assert [(c[1], c[2]) for c in fixture[1].of("progress")] == [(0.0, 100.0), (50.0, 100.0), (100.0, 100.0)]


def test_error_handling(fixture, bindings):
    result = _call(fixture, bindings, "test_error_handling")
    assert result.is_error and result.content[0].value == "This tool intentionally returns an error for testing"


def test_sampling(fixture, bindings):
    result = _call(fixture, bindings, "test_sampling", {"prompt": "Test prompt for sampling"})
    assert result.content[0].value == "LLM response: model says hi"
    assert fixture[1].of("sample")[0][1] == {
        "messages": [{"role": "user", "content": {"type": "text", "text": "Test prompt for sampling"}}],
        "maxTokens": 100}


def test_elicitations(fixture, bindings):
    fixture[1].elicit_response = ("accept", {"username": "u", "email": "e"})
    result = _call(fixture, bindings, "test_elicitation", {"message": "Please provide your information"})
    assert result.content[0].value.startswith("User response: action=accept")
    _call(fixture, bindings, "test_elicitation_sep1034_defaults")
    _call(fixture, bindings, "test_elicitation_sep1330_enums")
    basic, defaults, enums = (c[2]["properties"] for c in fixture[1].of("elicit"))
    assert basic["username"]["type"] == "string" and basic["email"]["type"] == "string"
    assert {k: v["default"] for k, v in defaults.items()} == {
        "name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": True}
    assert enums["titledSingle"]["oneOf"][0] == {"const": "value1", "title": "First Option"}
    assert enums["legacyEnum"]["enumNames"] == ["Option One", "Option Two", "Option Three"]
    assert enums["titledMulti"]["items"]["anyOf"][0]["const"] == "value1"


def test_resources(fixture, bindings):
    ctx = call_context(bindings[1])
    (text,) = fixture[0].read_resource(ctx, "test://static-text")
    assert text.body.value == "This is the content of the static text resource."
    (blob,) = fixture[0].read_resource(ctx, "test://static-binary")
    assert blob.mime_type == "image/png" and blob.body.value.startswith(b"\x89PNG")
    (data,) = fixture[0].read_resource(ctx, "test://template/123/data")
    assert json.loads(data.body.value) == {"id": "123", "templateTest": True, "data": "Data for ID: 123"}


def test_prompts(fixture, bindings):
    ctx = call_context(bindings[1])
    args = fixture[0].get_prompt(ctx, "test_prompt_with_arguments", [("arg1", "testValue1"), ("arg2", "testValue2")])
    assert args.messages[0].content.value == "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
    embedded = fixture[0].get_prompt(ctx, "test_prompt_with_embedded_resource", [("resourceUri", "test://example-resource")])
    assert embedded.messages[0].content.value.uri == "test://example-resource"
    image = fixture[0].get_prompt(ctx, "test_prompt_with_image", [])
    assert base64.b64encode(image.messages[0].content.value.data)
    completion = fixture[0].complete(ctx, bindings[2].CompletionRef_Prompt("test_prompt_with_arguments"), "arg1", "", [])
    assert completion.values == []


def _tools(fixture):
    return {t["name"]: t for t in json.loads(fixture[0].describe())["tools"]}


def test_2026_metadata_for_the_edge(fixture):
    tools = _tools(fixture)
    assert tools["test_input_required_result_elicitation"]["_meta"]["dev.berth/inputKeys"] == ["user_name"]
    assert tools["test_input_required_result_multiple_inputs"]["_meta"]["dev.berth/inputKeys"] == [
        "user_name", "greeting", "client_roots"]
    assert tools["slow_compute"]["_meta"]["dev.berth/taskSupport"] == "optional"
    assert tools["test_tool_with_task"]["_meta"]["dev.berth/taskSupport"] == "required"
    assert "dev.berth/taskSupport" not in tools["greet"]["_meta"]
    region = tools["test_x_mcp_header"]["inputSchema"]["properties"]["region"]
    assert region["x-mcp-header"] == "Region" and region["type"] == "string"
    prompts = {p["name"]: p for p in json.loads(fixture[0].describe())["prompts"]}
    assert prompts["test_input_required_result_prompt"]["_meta"]["dev.berth/inputKeys"] == ["user_context"]


def test_input_required_tools_make_the_host_calls_in_key_order(fixture, bindings):
    host = fixture[1]
    host.elicit_response = ("accept", {"name": "Alice"})
    result = _call(fixture, bindings, "test_input_required_result_elicitation")
    assert result.content[0].value == "Hello, Alice!"
    assert host.of("elicit")[0][1:] == ("What is your name?", {
        "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
    assert _call(fixture, bindings, "test_input_required_result_sampling").content[0].value == (
        "Sampling response: model says hi")
    assert host.of("sample")[0][1] == {"messages": [{"role": "user", "content": {
        "type": "text", "text": "What is the capital of France?"}}], "maxTokens": 100}
    assert _call(fixture, bindings, "test_input_required_result_list_roots").content[0].value == (
        "Client roots: file:///test/root")
    host.calls.clear()
    _call(fixture, bindings, "test_input_required_result_multiple_inputs")
    asks = [c[0] for c in host.calls if c[0] not in ("environment", "result_meta")]
    assert asks == ["elicit", "sample", "list_roots"]
    host.calls.clear()
    host.elicit_response = ("accept", {"name": "Alice", "color": "blue"})
    assert _call(fixture, bindings, "test_input_required_result_multi_round").content[0].value == "Alice likes blue"
    assert [c[1] for c in host.of("elicit")] == ["Step 1: What is your name?", "Step 2: What is your favorite color?"]
    host.elicit_response = ("accept", {"ok": True})
    assert "state-ok" in _call(fixture, bindings, "test_input_required_result_request_state").content[0].value


def test_every_pending_input_is_asked_in_one_run(fixture, bindings):
    """The edge answers an unanswered host call with an error; concurrent asks must all still happen."""
    host = fixture[1]
    host.elicit_error = "input-required: user_name"
    result = _call(fixture, bindings, "test_input_required_result_multiple_inputs")
    assert result.is_error
    asks = [c[0] for c in host.calls if c[0] not in ("environment", "result_meta")]
    assert asks == ["elicit", "sample", "list_roots"]


def test_capabilities_tool_falls_back_to_sampling(fixture, bindings):
    host = fixture[1]
    host.elicit_error = "the client did not declare the elicitation capability"
    result = _call(fixture, bindings, "test_input_required_result_capabilities")
    assert not result.is_error and result.content[0].value == "summary: model says hi"
    assert [c[0] for c in host.calls if c[0] in ("elicit", "sample")] == ["elicit", "sample"]


def test_input_required_prompt(fixture, bindings):
    fixture[1].elicit_response = ("accept", {"context": "test context"})
    prompt = fixture[0].get_prompt(call_context(bindings[1]), "test_input_required_result_prompt", [])
    assert prompt.messages[0].content.value == "Use this context: test context"


def test_task_fixtures(fixture, bindings):
    assert _call(fixture, bindings, "greet", {"name": "World"}).content[0].value == "Hello, World!"
    assert _call(fixture, bindings, "slow_compute", {"seconds": 0, "label": "x"}).content[0].value == (
        "Computed x after 0.0s")
    failing = _call(fixture, bindings, "failing_job")
    assert failing.is_error and "failed" in failing.content[0].value
    fixture[1].elicit_response = ("accept", {"name": "Alice"})
    assert "Alice" in _call(fixture, bindings, "test_tool_with_task").content[0].value
    with pytest.raises(BaseException, match="crashed on purpose"):
        _call(fixture, bindings, "protocol_error_job")


def test_x_mcp_header_tool(fixture, bindings):
    assert _call(fixture, bindings, "test_x_mcp_header", {"region": "Hello"}).content[0].value == "region=Hello"


def test_fixture_runs_unchanged_under_real_fastmcp():
    import os
    import subprocess
    import sys

    here = pathlib.Path(__file__).resolve().parent
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for project in (FIXTURE.parent, REPO / "sandbox" / "examples" / "bench", REPO / "sandbox" / "examples" / "hello"):
        proc = subprocess.run([sys.executable, str(here / "reference_fastmcp.py"), str(project), "server"],
                              capture_output=True, text=True, env=env, cwd=str(project))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout)["tools"], project
