"""Resources and templates as FastMCP's documentation teaches them (docs/servers/resources.mdx): static
resources returning text, JSON, dicts and bytes; decorator metadata (name, description, mime_type, tags,
meta, annotations); ``ResourceResult`` with several contents; resource classes (``TextResource``,
``BinaryResource``, ``FileResource``, ``DirectoryResource``); the Context in resources; templates with
several parameters, wildcards ``{path*}``, query parameters ``{?x}`` with type coercion, several URIs on
one function; ``ResourceError`` and other exceptions. Listings and reads must equal real fastmcp 4.x's.
"""

import json
import pathlib

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.exceptions import ResourceError
from fastmcp.resources import BinaryResource, DirectoryResource, FileResource, ResourceContent, ResourceResult, \
    TextResource

mcp = FastMCP(name="DataServer")

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "docs_data"


@mcp.resource("resource://greeting")
def get_greeting() -> str:
    """Provides a simple greeting message."""
    return "Hello from FastMCP Resources!"


@mcp.resource("data://config")
def get_config() -> str:
    """Provides application configuration as JSON."""
    return json.dumps({"theme": "dark", "version": "1.2.0", "features": ["tools", "resources"]})


@mcp.resource(
    uri="data://app-status",
    name="ApplicationStatus",
    description="Provides the current status of the application.",
    mime_type="application/json",
    tags={"monitoring", "status"},
    meta={"version": "2.1", "team": "infrastructure"},
)
def get_application_status() -> str:
    """Internal function description (ignored if description is provided above)."""
    return json.dumps({"status": "ok", "uptime": 12345, "server": mcp.name})


@mcp.resource("data://settings")
def settings() -> dict:
    return {"debug": False, "retries": 3, "hosts": ["a", "b"]}


@mcp.resource("data://numbers")
def numbers() -> list[int]:
    return [1, 2, 3]


@mcp.resource("data://logo", mime_type="image/png")
def logo() -> bytes:
    return b"\x89PNG\r\n\x1a\n"


@mcp.resource("data://raw")
def raw() -> bytes:
    return b"\x00\x01\x02"


@mcp.resource("data://users")
def get_users() -> ResourceResult:
    return ResourceResult(
        contents=[
            ResourceContent(content='[{"id": 1}]', mime_type="application/json"),
            ResourceContent(content="# Users\n...", mime_type="text/markdown"),
        ],
        meta={"total": 1},
    )


@mcp.resource("data://plain-result")
def plain_result() -> ResourceResult:
    return ResourceResult("plain text")


@mcp.resource("data://binary-result")
def binary_result() -> ResourceResult:
    return ResourceResult(b"\x00\x01\x02")


@mcp.resource("resource://system-status")
async def get_system_status(ctx: Context) -> str:
    """Provides system status information."""
    return json.dumps({"status": "operational", "has_request_id": isinstance(ctx.request_id, str)})


@mcp.resource("resource://{name}/details")
async def get_details(name: str, ctx: Context) -> str:
    """Get details for a specific name."""
    return json.dumps({"name": name, "context": type(ctx).__name__})


@mcp.resource("resource://user-data")
async def get_user_data(ctx: Context = CurrentContext()) -> dict:
    await ctx.debug("Fetching user data")
    return {"user_id": "example"}


@mcp.resource("data://annotated", annotations={"readOnlyHint": True, "idempotentHint": True})
def annotated() -> str:
    """Get application configuration."""
    return json.dumps({"version": "1.0", "debug": False})


notice = TextResource(uri="resource://notice", name="Important Notice",
                      text="System maintenance scheduled for Sunday.", tags={"notification"})
mcp.add_resource(notice)
mcp.add_resource(BinaryResource(uri="resource://blob", name="Blob", data=b"\x01\x02", mime_type="application/octet-stream"))
mcp.add_resource(FileResource(uri=f"file://{(DATA / 'README.md').as_posix()}", path=DATA / "README.md",
                              name="README File", description="The project's README.",
                              mime_type="text/markdown", tags={"documentation"}))
mcp.add_resource(FileResource(uri="resource://pixel", path=DATA / "pixel.png", name="Pixel", mime_type="image/png"))
mcp.add_resource(DirectoryResource(uri="resource://data-files", path=DATA, name="Data Directory Listing",
                                   description="Lists files available in the data directory.", recursive=False))


@mcp.resource("weather://{city}/current")
def get_weather(city: str) -> str:
    """Provides weather information for a specific city."""
    return json.dumps({"city": city.capitalize(), "temperature": 22, "condition": "Sunny", "unit": "celsius"})


@mcp.resource("repos://{owner}/{repo}/info", annotations={"readOnlyHint": True, "idempotentHint": True})
def get_repo_info(owner: str, repo: str) -> str:
    """Retrieves information about a GitHub repository."""
    return json.dumps({"owner": owner, "name": repo, "full_name": f"{owner}/{repo}", "stars": 120})


@mcp.resource("files://{filename}")
def get_file(filename: str) -> str:
    """Retrieves a file by name."""
    return f"File content for: {filename}"


@mcp.resource("path://{filepath*}")
def get_path_content(filepath: str) -> str:
    """Retrieves content at a specific path."""
    return f"Content at path: {filepath}"


@mcp.resource("repo://{owner}/{path*}/template.py")
def get_template_file(owner: str, path: str) -> dict:
    """Retrieves a file from a specific repository and path, but
    only if the resource ends with `template.py`"""
    return {"owner": owner, "path": path + "/template.py",
            "content": f"File at {path}/template.py in {owner}'s repository"}


@mcp.resource("data://{id}{?format}")
def get_data(id: str, format: str = "json") -> str:
    """Retrieve data in specified format."""
    if format == "xml":
        return f"<data id='{id}' />"
    return f'{{"id": "{id}"}}'


@mcp.resource("api://{endpoint}{?version,limit,offset}")
def call_api(endpoint: str, version: int = 1, limit: int = 10, offset: int = 0) -> dict:
    """Call API endpoint with pagination."""
    return {"endpoint": endpoint, "version": version, "limit": limit, "offset": offset}


@mcp.resource("files://{path*}{?encoding,lines}")
def read_file(path: str, encoding: str = "utf-8", lines: int = 100) -> str:
    """Read file with optional encoding and line limit."""
    return f"{path} {encoding} {lines}"


@mcp.resource("search://{query}{?max_results}")
def search_configurable(query: str, max_results: int = 10) -> dict:
    return {"query": query, "limit": max_results}


@mcp.resource("fixed://{query}")
def search_fixed(query: str, max_results: int = 10) -> dict:
    return {"query": query, "limit": max_results}


def lookup_user(name: str | None = None, email: str | None = None) -> dict:
    """Look up a user by either name or email."""
    if email:
        return {"by": "email", "email": email}
    if name:
        return {"by": "name", "name": name}
    return {"error": "No lookup parameters provided"}


mcp.resource("users://email/{email}")(lookup_user)
mcp.resource("users://name/{name}")(lookup_user)


@mcp.resource("resource://safe-error")
def fail_with_details() -> str:
    """This resource provides detailed error information."""
    raise ResourceError("Unable to retrieve data: file not found")


@mcp.resource("resource://masked-error")
def fail_with_masked_details() -> str:
    """This resource masks internal error details when mask_error_details=True."""
    raise ValueError("Sensitive internal file path: /etc/secrets.conf")


@mcp.resource("items://{id}")
def get_data_by_id(id: str) -> dict:
    """Template resources also support the same error handling pattern."""
    if id == "secure":
        raise ValueError("Cannot access secure data")
    if id == "missing":
        raise ResourceError("Data ID 'missing' not found in database")
    return {"id": id, "value": "data"}


@mcp.resource("data://public", tags={"public"})
def get_public():
    return "public"


@mcp.resource("data://secret", tags={"internal"})
def get_secret():
    return "secret"


mcp.disable(tags={"internal"})


READS = [
    "resource://greeting", "data://config", "data://app-status", "data://settings", "data://numbers",
    "data://logo", "data://raw", "data://users", "data://plain-result", "data://binary-result",
    "resource://system-status", "resource://alice/details", "resource://user-data", "data://annotated",
    "resource://notice", "resource://blob", f"file://{(DATA / 'README.md').as_posix()}", "resource://pixel",
    "resource://data-files",
    "weather://london/current", "repos://jlowin/fastmcp/info", "files://notes.txt",
    "path://docs/server/resources.mdx", "repo://jlowin/fastmcp/src/resources/template.py",
    "data://42", "data://42?format=xml", "api://users", "api://users?version=2&limit=5&offset=10",
    "files://a/b/c.txt?lines=5", "search://cats?max_results=3", "search://cats", "fixed://dogs",
    "users://email/a@b.c", "users://name/ann", "resource://safe-error", "resource://masked-error",
    "items://7", "items://secure", "items://missing", "data://public", "data://secret", "data://nope", "nothing://here",
]
