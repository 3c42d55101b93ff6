"""Argument completion as the official MCP SDK's snippet (examples/snippets/servers/completion.py) and
fastmcp's ``@mcp.completion`` teach it: a handler for a prompt's and a template's arguments (with the context
of arguments already given), a list or a ``Completion`` returned, and no handler answer (None). Completions
must equal real fastmcp 4.x's.
"""

from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from fastmcp import FastMCP

mcp = FastMCP(name="Example")


@mcp.resource("github://repos/{owner}/{repo}")
def github_repo(owner: str, repo: str) -> str:
    """GitHub repository resource."""
    return f"Repository: {owner}/{repo}"


@mcp.prompt(description="Code review prompt")
def review_code(language: str, code: str) -> str:
    """Generate a code review."""
    return f"Review this {language} code:\n{code}"


@mcp.completion()
async def handle_completion(
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion | list[str] | None:
    """Provide completions for prompts and resources."""
    if isinstance(ref, PromptReference):
        if ref.name == "review_code" and argument.name == "language":
            languages = ["python", "javascript", "typescript", "go", "rust"]
            return Completion(values=[lang for lang in languages if lang.startswith(argument.value)],
                              hasMore=False)
        if argument.name == "code":
            return ["print('hi')", "console.log('hi')"]
    if isinstance(ref, ResourceTemplateReference):
        if ref.uri == "github://repos/{owner}/{repo}" and argument.name == "repo":
            if context and context.arguments and context.arguments.get("owner") == "modelcontextprotocol":
                return Completion(values=["python-sdk", "typescript-sdk", "specification"], total=3, hasMore=True)
    return None


COMPLETIONS = [
    ("prompt", "review_code", "language", "py", None),
    ("prompt", "review_code", "language", "", None),
    ("prompt", "review_code", "code", "", None),
    ("template", "github://repos/{owner}/{repo}", "repo", "", {"owner": "modelcontextprotocol"}),
    ("template", "github://repos/{owner}/{repo}", "repo", "", {"owner": "someone"}),
    ("template", "github://repos/{owner}/{repo}", "owner", "m", None),
]
