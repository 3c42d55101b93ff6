"""``FastMCP.from_openapi`` must list and answer as real fastmcp 4.x does, against a live API.

The petstore API (``corpus/petstore_api.py``) runs on 127.0.0.1 and a free port for the module; the two
corpus servers (``openapi_petstore``: every route a tool; ``openapi_routes``: route maps to resources and
templates, names, tags, a component function) run under real fastmcp in a subprocess (this venv's, and
the newest 4.x in ``$BERTH_TOOLS/compat-fastmcp4`` when it is there) and under Berth's SDK here; listings
must be byte-identical and calls and reads equal.

The SDK's event loop is the guest's (no sockets, also on the host), and inside the guest httpx's default
transport is Berth's ``wasi:http`` one (``berth_sdk/http_clients.py``). Here a stand-in takes its place and
sends with httpx's own synchronous transport, so the user's ``httpx.AsyncClient`` is unchanged otherwise.
"""

import base64
import copy
import importlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MODULES = ("openapi_petstore", "openapi_routes")
sys.path.insert(0, str(CORPUS))

from petstore_api import SPEC, PetstoreServer  # noqa: E402

# Where fastmcp 4.1.x words an error differently from the newest 4.x, which Berth follows: (module, call
# index) -> 4.1.x's text. 4.2 writes an error body that is JSON as JSON (4.1 wrote Python's repr of it),
# and names a missing path argument before building the request (4.1 failed building it).
OLDER_WORDING = {
    ("openapi_petstore", 4): "Error calling tool 'getPet': HTTP error 404: Not Found - "
                             "{'code': 404, 'message': 'no pet 42'}",
    ("openapi_petstore", 7): "Error calling tool 'replacePet': Error building request for PUT /pets/{petId}: "
                             "ValueError: Missing required path parameters: {'petId'}",
}
NEWEST_WORDING = {
    ("openapi_petstore", 4): "Error calling tool 'getPet': HTTP error 404: Not Found - "
                             '{"code": 404, "message": "no pet 42"}',
    ("openapi_petstore", 7): "Missing required arguments: petId__path",
}


def _interpreters():
    tools = pathlib.Path(os.environ.get("BERTH_TOOLS") or pathlib.Path.home() / ".cache" / "berth-tools")
    found = {"venv": sys.executable}
    compat = tools / "compat-fastmcp4" / "bin" / "python"
    if compat.exists():
        found["newest"] = str(compat)
    return found


def _version(python):
    # From the corpus folder: in the SDK's folder, ``import fastmcp`` would find Berth's own.
    out = subprocess.run([python, "-c", "import fastmcp; print(fastmcp.__version__)"], capture_output=True,
                         text=True, cwd=str(CORPUS))
    return tuple(int(p) for p in out.stdout.strip().split(".")[:2]) if out.returncode == 0 else None


@pytest.fixture(scope="module")
def api():
    with PetstoreServer() as server:
        yield server


@pytest.fixture(scope="module")
def references(api):
    out = {}
    for label, python in _interpreters().items():
        version = _version(python)
        if version is None or version[0] != 4:
            continue
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(PETSTORE_URL=api.url, FASTMCP_LOG_ENABLED="false")
        for module in MODULES:
            proc = subprocess.run([python, str(HERE / "reference_fastmcp.py"), str(CORPUS), module],
                                  capture_output=True, text=True, env=env, cwd=str(CORPUS))
            if proc.returncode != 0:
                pytest.fail(f"real fastmcp ({label}) failed on {module}:\n{proc.stderr[-3000:]}")
            out[(label, module)] = (version, json.loads(proc.stdout))
    assert ("venv", MODULES[0]) in out, "the tools venv needs fastmcp 4.x"
    return out


@pytest.fixture(scope="module")
def servers(api):
    import httpx
    import httpx._client

    class SyncBridge(httpx.AsyncBaseTransport):
        """Stands in for Berth's wasi:http transport: a blocking send, as the guest's sync path does."""

        def __init__(self, *_args, **_kwargs):
            self._sync = httpx.HTTPTransport()

        async def handle_async_request(self, request):
            request.read()
            response = self._sync.handle_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=response.read(),
                                  extensions=response.extensions)

    saved = httpx.AsyncHTTPTransport, httpx._client.AsyncHTTPTransport, os.environ.get("PETSTORE_URL")
    httpx.AsyncHTTPTransport = httpx._client.AsyncHTTPTransport = SyncBridge
    os.environ["PETSTORE_URL"] = api.url
    try:
        loaded = {}
        for module in MODULES:
            sys.modules.pop(module, None)
            loaded[module] = importlib.import_module(module)
            assert loaded[module].FastMCP.__module__ == "berth_sdk.server", "the corpus must import Berth's fastmcp"
        yield loaded
    finally:
        httpx.AsyncHTTPTransport, httpx._client.AsyncHTTPTransport = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("PETSTORE_URL", None)
        else:
            os.environ["PETSTORE_URL"] = saved[2]


def _wire(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _each(references, module):
    return [(label, *references[(label, m)]) for (label, m) in references if m == module]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("kind", ["tools", "resources", "resourceTemplates"])
def test_listings_are_byte_identical(references, servers, module, kind):
    mine = servers[module].mcp.describe()[kind]
    for label, _version, reference in _each(references, module):
        assert [item.get("name") for item in mine] == [item.get("name") for item in reference[kind]], label
        for ours, theirs in zip(mine, reference[kind]):
            assert json.dumps(ours) == json.dumps(theirs), f"{label}: {ours.get('name')}"


@pytest.mark.parametrize("module", MODULES)
def test_call_results_match(references, servers, module):
    corpus = servers[module]
    for index, (name, args) in enumerate(corpus.CALLS):
        blocks, structured, is_error = corpus.mcp.call_tool(name, copy.deepcopy(args))
        mine = {"content": _wire(blocks), "structuredContent": structured, "isError": is_error}
        for label, version, reference in _each(references, module):
            expected = reference["calls"][index]
            expected = {"content": expected["content"], "structuredContent": expected.get("structuredContent"),
                        "isError": expected["isError"]}
            if (module, index) in OLDER_WORDING and version < (4, 2):
                # The older wording, exactly; Berth answers with the newest's (checked below).
                assert expected["content"] == [{"type": "text", "text": OLDER_WORDING[(module, index)]}], label
                expected["content"] = [{"type": "text", "text": NEWEST_WORDING[(module, index)]}]
            assert mine == expected, f"{label}: {name}({args})"


@pytest.mark.parametrize("module", MODULES)
def test_reads_match(references, servers, module):
    corpus = servers[module]
    for index, uri in enumerate(getattr(corpus, "READS", [])):
        mine = _wire(corpus.mcp.read_resource(uri))
        for label, _version, reference in _each(references, module):
            assert mine == [{k: v for k, v in item.items() if k != "_meta"} for item in reference["reads"][index]], \
                f"{label}: {uri}"


def test_a_failed_read_names_the_status(servers):
    # Natively the read is a JSON-RPC error with this message (the reference client raises it, so it is
    # written here): "Error reading resource '<uri>': HTTP error 404: Not Found - <body as JSON>".
    with pytest.raises(Exception) as caught:
        servers["openapi_routes"].mcp.read_resource("resource://getPet/42")
    assert str(caught.value) == ("Error reading resource 'resource://getPet/42': HTTP error 404: Not Found - "
                                 '{"code": 404, "message": "no pet 42"}')


def test_arguments_reach_the_api_as_fastmcp_sends_them(servers):
    # The API echoes what it decoded: the path item escaped as one segment, query styles as written.
    call = servers["openapi_petstore"].mcp.call_tool
    _, found, _ = call("findPetByName", {"name": "a/b c"})
    assert found == {"path": "a%2Fb%20c", "name": "a/b c"}
    _, found, _ = call("searchPets", {"ids": [3], "colors": ["x"], "vaccinated": True})
    assert found == {"query": "ids=3&colors=x&vaccinated=true"}


def test_client_headers_reach_the_api(servers):
    corpus = servers["openapi_petstore"]
    assert corpus.client.headers["authorization"] == "Bearer test-token"
    blocks, structured, is_error = corpus.mcp.call_tool("listPets", {"X-Request-Id": "r-1", "limit": 1})
    assert not is_error and len(structured["result"]) == 1


# What Berth refuses, at build time, with what to do instead --------------------------------------


def _build(source, tmp_path, name):
    from berth_sdk.errors import DefinitionError

    (tmp_path / f"{name}.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        with pytest.raises(DefinitionError) as caught:
            importlib.import_module(name)
        return str(caught.value)
    finally:
        sys.path.remove(str(tmp_path))


def test_from_fastapi_says_why_and_what_instead(tmp_path):
    message = _build("from fastmcp import FastMCP\nmcp = FastMCP.from_fastapi(app=object())\n", tmp_path, "fa")
    assert "fa.py:2" in message and "FastMCP.from_fastapi" in message and "from_openapi" in message


@pytest.mark.parametrize("spec,expected", [
    ({"swagger": "2.0", "paths": {}}, "this one says swagger '2.0'"),
    ({"openapi": "3.1.0", "paths": {"/a": {"get": {"parameters": [{"$ref": "other.yaml#/p"}]}}}},
     "External or non-local reference not supported: other.yaml#/p"),
    ({"openapi": "3.1.0", "paths": {}}, "no server URL found"),
])
def test_bad_documents_fail_the_build(tmp_path, spec, expected):
    source = f"from fastmcp import FastMCP\nmcp = FastMCP.from_openapi({spec!r})\n"
    assert expected in _build(source, tmp_path, "bad_spec")


def test_import_paths():
    from fastmcp.server.openapi import HTTPRoute, MCPType, RouteMap
    from fastmcp.server.providers.openapi import MCPType as ProviderMCPType
    from fastmcp.server.providers.openapi import OpenAPITool  # noqa: F401
    from fastmcp.utilities.openapi import HTTPRoute as UtilitiesHTTPRoute

    assert MCPType is ProviderMCPType and HTTPRoute is UtilitiesHTTPRoute
    assert RouteMap(mcp_type=MCPType.EXCLUDE, methods=["GET"]).mcp_type is MCPType.EXCLUDE
    with pytest.raises(ImportError, match="Berth does not provide `fastmcp.server.providers.proxy`"):
        import fastmcp.server.providers.proxy  # noqa: F401


def test_spec_is_left_unchanged():
    from berth_sdk.openapi_schema import parse

    spec = copy.deepcopy(SPEC)
    parse(spec)
    assert spec == SPEC


def test_openapi_provider_adds_the_same_components(servers):
    from fastmcp import FastMCP
    from fastmcp.server.providers.openapi import OpenAPIProvider

    client = servers["openapi_petstore"].client
    by_argument = FastMCP("p", providers=[OpenAPIProvider(copy.deepcopy(SPEC), client)])
    added = FastMCP("p")
    added.add_provider(OpenAPIProvider(copy.deepcopy(SPEC), client))
    expected = servers["openapi_petstore"].mcp.describe()["tools"]
    assert by_argument.describe()["tools"] == expected == added.describe()["tools"]


def test_openapi_30_nullable_and_exclusive_bounds():
    # As fastmcp converts them (its json_schema_converter): type lists, numeric exclusive bounds.
    from berth_sdk.openapi_jsonschema import dereference
    from berth_sdk.openapi_schema import parse

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/n": {"post": {
        "operationId": "n",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["count"],
            "properties": {"count": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                           "note": {"type": "string", "nullable": True},
                           "id": {"type": "string", "readOnly": True}}}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "array", "items": {"type": "string", "nullable": True}}}}}}}}}}
    (route,) = parse(spec)
    assert dereference(route.flat_param_schema) == {
        "type": "object", "properties": {"count": {"type": "integer", "exclusiveMinimum": 0.0},
                                         "note": {"type": ["string", "null"]}},
        "required": ["count"]}


def test_an_openapi_server_serves_through_the_guest_export(load_project, bindings):
    # The whole path the component takes: load_entry finds the server, describe lists it, call-tool runs it
    # (the API is httpx's MockTransport here; in the guest the default transport is Berth's wasi:http one).
    from conftest import call_context

    guest, _host = load_project('''
import httpx
from fastmcp import FastMCP

def answer(request):
    return httpx.Response(404 if request.url.path.endswith("/0") else 200, json={"id": 7, "path": request.url.path})

spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/things/{id}": {"get": {
    "operationId": "getThing", "parameters": [{"name": "id", "in": "path", "required": True,
                                               "schema": {"type": "integer"}}],
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"id": {"type": "integer"}, "path": {"type": "string"}}}}}}}}}}}
mcp = FastMCP.from_openapi(spec, client=httpx.AsyncClient(base_url="https://api.example.com/v2",
                                                          transport=httpx.MockTransport(answer)))
''')
    doc = json.loads(guest.describe())
    assert [t["name"] for t in doc["tools"]] == ["getThing"]
    result = guest.call_tool(call_context(bindings[1]), "getThing", json.dumps({"id": 3}))
    assert not result.is_error and json.loads(result.structured_json) == {"id": 7, "path": "/v2/things/3"}
    failed = guest.call_tool(call_context(bindings[1]), "getThing", json.dumps({"id": 0}))
    assert failed.is_error and failed.content[0].value.startswith("Error calling tool 'getThing': HTTP error 404")
