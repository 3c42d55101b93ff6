"""Browse a code host's repositories through resources: static, binary, JSON and multi-parameter templates."""

import json

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError
from fastmcp.resources import ResourceContent, ResourceResult

mcp = FastMCP("Repo Browser")

REPOS = {
    ("octo", "hello"): {"stars": 42, "issues": {1: "Crash on start", 2: "Typo in README"}},
    ("octo", "tools"): {"stars": 7, "issues": {1: "Add CLI flag"}},
}


@mcp.resource("repos://index")
def index() -> str:
    """Every repository, one per line."""
    return "\n".join(f"{owner}/{name}" for owner, name in sorted(REPOS))


@mcp.resource("repos://stats", mime_type="application/json", annotations={"audience": ["user"], "priority": 0.5})
def stats() -> dict:
    """Star counts as JSON."""
    return {f"{o}/{n}": r["stars"] for (o, n), r in sorted(REPOS.items())}


@mcp.resource("repos://favicon", mime_type="image/x-icon")
def favicon() -> bytes:
    """The host's favicon."""
    return bytes(range(16))


@mcp.resource("repos://{owner}/{name}")
def repo(owner: str, name: str) -> dict:
    """One repository's summary."""
    if (owner, name) not in REPOS:
        raise ResourceError(f"Repository {owner}/{name} not found")
    r = REPOS[(owner, name)]
    return {"owner": owner, "name": name, "stars": r["stars"], "open_issues": len(r["issues"])}


@mcp.resource("repos://{owner}/{name}/issues/{number}", mime_type="text/markdown")
def issue(owner: str, name: str, number: int) -> str:
    """One issue as markdown."""
    return f"# {owner}/{name}#{number}\n\n{REPOS[(owner, name)]['issues'][number]}"


@mcp.resource("repos://{owner}/{name}/tree/{path*}")
def tree(owner: str, name: str, path: str) -> str:
    """A file path inside a repository."""
    return f"{owner}/{name}: {path}"


@mcp.resource("repos://search{?q,limit}")
def search(q: str = "", limit: int = 10) -> list[str]:
    """Search repositories by name."""
    return [f"{o}/{n}" for o, n in sorted(REPOS) if q in n][:limit]


@mcp.resource("bundles://{owner}")
def bundle(owner: str) -> ResourceResult:
    """Several contents in one read."""
    names = [n for o, n in sorted(REPOS) if o == owner]
    return ResourceResult(
        [
            ResourceContent(json.dumps(names), mime_type="application/json"),
            ResourceContent(f"{len(names)} repositories", mime_type="text/plain"),
        ]
    )


if __name__ == "__main__":
    mcp.run()
