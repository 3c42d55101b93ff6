"""Prompts as FastMCP's documentation teaches them (docs/servers/prompts.mdx): strings and lists of
``Message``, decorator metadata, ``Field`` arguments, typed arguments sent as JSON strings (lists, dicts,
floats, models), ``Message`` of dicts and lists (JSON text), ``PromptResult`` with a description and meta,
optional arguments, async prompts, the Context, visibility, and prompts that fail. Listings and renders
must equal real fastmcp 4.x's.
"""

from pydantic import BaseModel, Field

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.exceptions import PromptError
from fastmcp.prompts import Message, PromptResult
from mcp.types import ImageContent, TextContent

mcp = FastMCP(name="PromptServer")


@mcp.prompt
def ask_about_topic(topic: str) -> str:
    """Generates a user message asking for an explanation of a topic."""
    return f"Can you please explain the concept of '{topic}'?"


@mcp.prompt
def generate_code_request(language: str, task_description: str) -> list[Message]:
    """Generates a conversation for code generation."""
    return [
        Message(f"Write a {language} function that performs the following task: {task_description}"),
        Message("I'll help you write that function.", role="assistant"),
    ]


@mcp.prompt(
    name="analyze_data_request",
    description="Creates a request to analyze data with specific parameters",
    tags={"analysis", "data"},
    meta={"version": "1.1", "author": "data-team"},
)
def data_analysis_prompt(
    data_uri: str = Field(description="The URI of the resource containing the data."),
    analysis_type: str = Field(default="summary", description="Type of analysis."),
) -> str:
    """This docstring is ignored when description is provided."""
    return f"Please perform a '{analysis_type}' analysis on the data found at {data_uri}."


@mcp.prompt
def analyze_data(numbers: list[int], metadata: dict[str, str], threshold: float) -> str:
    """Analyze numerical data."""
    avg = sum(numbers) / len(numbers)
    return f"Average: {avg}, above threshold: {avg > threshold}, source: {metadata.get('source')}"


class Ticket(BaseModel):
    title: str
    priority: int = 3


@mcp.prompt
def triage(ticket: Ticket, urgent: bool = False) -> str:
    return f"Triage {ticket.title!r} (priority {ticket.priority}, urgent={urgent})"


@mcp.prompt
def roleplay_scenario(character: str, situation: str) -> list[Message]:
    """Sets up a roleplaying scenario with initial messages."""
    return [
        Message(f"Let's roleplay. You are {character}. The situation is: {situation}"),
        Message("Okay, I understand. I am ready. What happens next?", role="assistant"),
    ]


@mcp.prompt
def json_messages() -> list[Message]:
    return [Message({"key": "value"}), Message(["item1", "item2"])]


@mcp.prompt
def code_review(code: str) -> PromptResult:
    """Returns a code review prompt with metadata."""
    return PromptResult(
        messages=[
            Message(f"Please review this code:\n\n```\n{code}\n```"),
            Message("I'll analyze this code for issues.", role="assistant"),
        ],
        description="Code review prompt",
        meta={"review_type": "security", "priority": "high"},
    )


@mcp.prompt
def single_result() -> PromptResult:
    return PromptResult("Please help me with this task")


@mcp.prompt
def data_analysis_optional(data_uri: str, analysis_type: str = "summary", include_charts: bool = False) -> str:
    """Creates a request to analyze data with specific parameters."""
    prompt = f"Please perform a '{analysis_type}' analysis on the data found at {data_uri}."
    if include_charts:
        prompt += " Include relevant charts and visualizations."
    return prompt


@mcp.prompt(tags={"public"})
def public_prompt(topic: str) -> str:
    return f"Discuss: {topic}"


@mcp.prompt(tags={"internal"})
def internal_prompt() -> str:
    return "Internal system prompt"


mcp.disable(tags={"internal"})


@mcp.prompt
def simple_question(question: str) -> str:
    """Generates a simple question to ask the LLM."""
    return f"Question: {question}"


@mcp.prompt
async def data_based_prompt(data_id: str) -> str:
    """Generates a prompt based on data that needs to be fetched."""
    return f"Analyze this data: {data_id}"


@mcp.prompt
async def generate_report_request(report_type: str, ctx: Context) -> str:
    """Generates a request for a report."""
    return f"Please create a {report_type} report. Context: {type(ctx).__name__}"


@mcp.prompt
async def data_analysis_request(dataset: str, ctx: Context = CurrentContext()) -> str:
    return f"Please analyze the following dataset: {dataset}"


@mcp.prompt
def with_blocks() -> list[Message]:
    return [Message(TextContent(type="text", text="Look at this")),
            Message(ImageContent(type="image", data="aGk=", mimeType="image/png"))]


@mcp.prompt
def refuses(topic: str) -> str:
    raise PromptError(f"no prompts about {topic}")


@mcp.prompt
def crashes() -> str:
    raise RuntimeError("template store offline")


PROMPTS = [
    ("ask_about_topic", {"topic": "recursion"}),
    ("generate_code_request", {"language": "python", "task_description": "sort a list"}),
    ("analyze_data_request", {"data_uri": "data://sales"}),
    ("analyze_data_request", {"data_uri": "data://sales", "analysis_type": "trend"}),
    ("analyze_data", {"numbers": "[1, 2, 3, 4, 5]", "metadata": '{"source": "api", "version": "1.0"}',
                      "threshold": "2.5"}),
    ("analyze_data", {"numbers": "not json", "metadata": "{}", "threshold": "x"}),
    ("triage", {"ticket": '{"title": "Printer on fire", "priority": 1}', "urgent": "true"}),
    ("triage", {"ticket": '{"priority": 1}'}),
    ("roleplay_scenario", {"character": "a pirate", "situation": "lost at sea"}),
    ("json_messages", {}),
    ("code_review", {"code": "print('hi')"}),
    ("single_result", {}),
    ("data_analysis_optional", {"data_uri": "u", "include_charts": "true"}),
    ("data_analysis_optional", {}),
    ("public_prompt", {"topic": "x"}),
    ("internal_prompt", {}),
    ("simple_question", {"question": "why?"}),
    ("data_based_prompt", {"data_id": "7"}),
    ("generate_report_request", {"report_type": "sales"}),
    ("data_analysis_request", {"dataset": "users"}),
    ("with_blocks", {}),
    ("refuses", {"topic": "cats"}),
    ("crashes", {}),
    ("no_such_prompt", {}),
]
