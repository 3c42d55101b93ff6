"""The Context as FastMCP's documentation teaches it (docs/servers/context.mdx, logging.mdx, progress.mdx,
elicitation.mdx, dependency-injection.mdx): logging with extra data and logger names, progress, state across
calls of a session, reading and listing the server's own resources and prompts, rendering a prompt,
elicitation of scalars, choices, Literals, enums, dataclasses and nothing (accepted, declined, cancelled),
request and session ids, ``get_context()``, ``CurrentContext()``, ``CurrentFastMCP()``, ``Depends`` with
context managers and nested dependencies. Results and the notifications each call sends (log messages,
progress) must equal real fastmcp 4.x's; elicitations are answered from ELICIT_ANSWERS in order.
"""

import enum
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext, CurrentFastMCP, Depends
from fastmcp.server.dependencies import get_context
from fastmcp.server.elicitation import AcceptedElicitation, CancelledElicitation, DeclinedElicitation

mcp = FastMCP(name="Context Demo")


@mcp.resource("resource://config")
def config() -> str:
    return '{"mode": "demo"}'


@mcp.resource("resource://items/{item_id}")
def item(item_id: str) -> dict:
    return {"id": item_id}


@mcp.prompt
def analyze(dataset: str) -> str:
    """Analyze a dataset."""
    return f"Please analyze {dataset}"


@mcp.tool
async def analyze_data(data: list[float], ctx: Context) -> dict:
    """Analyze numerical data with comprehensive logging."""
    await ctx.debug("Starting analysis of numerical data")
    await ctx.info(f"Analyzing {len(data)} data points")
    if not data:
        await ctx.warning("Empty data list provided")
        return {"error": "Empty data list"}
    result = sum(data) / len(data)
    await ctx.info(f"Analysis complete, average: {result}")
    return {"average": result, "count": len(data)}


@mcp.tool
async def process_transaction(transaction_id: str, amount: float, ctx: Context) -> str:
    await ctx.info(f"Processing transaction {transaction_id}",
                   extra={"transaction_id": transaction_id, "amount": amount, "currency": "USD"})
    await ctx.error("Card declined", logger_name="payments")
    await ctx.log("Raw log line", level="warning", logger_name="raw")
    return "done"


@mcp.tool
async def process_items(items: list[str], ctx: Context) -> dict:
    """Process a list of items with progress updates."""
    total = len(items)
    results = []
    for i, it in enumerate(items):
        await ctx.report_progress(progress=i, total=total)
        results.append(it.upper())
    await ctx.report_progress(progress=total, total=total)
    return {"processed": len(results), "results": results}


@mcp.tool
async def indeterminate(ctx: Context) -> str:
    await ctx.report_progress(progress=1)
    await ctx.report_progress(progress=2, message="halfway")
    return "ok"


@mcp.tool
async def increment_counter(ctx: Context) -> int:
    """Increment a counter that persists across tool calls."""
    count = await ctx.get_state("counter") or 0
    await ctx.set_state("counter", count + 1)
    return count + 1


@mcp.tool
async def get_counter(ctx: Context) -> int:
    """Get the current counter value."""
    return await ctx.get_state("counter") or 0


@mcp.tool
async def forget(ctx: Context) -> str:
    await ctx.delete_state("counter")
    return repr(await ctx.get_state("counter"))


@mcp.tool
async def request_scoped(ctx: Context) -> str:
    await ctx.set_state("client", object(), serializable=False)
    return type(await ctx.get_state("client")).__name__


@mcp.tool
async def not_serializable(ctx: Context) -> str:
    await ctx.set_state("client", object())
    return "stored"


@mcp.tool
async def read_config(ctx: Context) -> str:
    result = await ctx.read_resource("resource://config")
    return f"{len(result.contents)} {result.contents[0].content} {result.contents[0].mime_type}"


@mcp.tool
async def read_item(item_id: str, ctx: Context) -> str:
    result = await ctx.read_resource(f"resource://items/{item_id}")
    return result.contents[0].content


@mcp.tool
async def list_everything(ctx: Context) -> dict:
    resources = await ctx.list_resources()
    prompts = await ctx.list_prompts()
    return {"resources": [str(r.uri) for r in resources], "prompts": [p.name for p in prompts]}


@mcp.tool
async def render(ctx: Context) -> list:
    result = await ctx.get_prompt("analyze", {"dataset": "users"})
    return [[m.role, m.content.text] for m in result.messages]


@mcp.tool
async def request_info(ctx: Context) -> dict:
    """Return information about the current request."""
    return {"request_id_is_str": isinstance(ctx.request_id, str), "client_id": ctx.client_id or "Unknown client",
            "session_id_is_str": isinstance(ctx.session_id, str), "server": ctx.fastmcp.name,
            "transport_known": ctx.transport in (None, "streamable-http")}


async def log_something(message: str):
    ctx = get_context()
    await ctx.info(message)


@mcp.tool
async def analyze_dataset(dataset_name: str) -> str:
    await log_something(f"loading {dataset_name}")
    return "analyzed"


@mcp.tool
async def process_file(file_uri: str, ctx: Context = CurrentContext()) -> str:
    """Processes a file, using context for logging and resource access."""
    await ctx.info(f"Processing {file_uri}")
    return "Processed file"


@mcp.tool
async def server_info(server: FastMCP = CurrentFastMCP()) -> str:
    return f"Server: {server.name}"


def get_config() -> dict:
    return {"api_url": "https://api.example.com", "timeout": 30}


async def get_user_id() -> int:
    return 42


@mcp.tool
async def fetch_data(query: str, config: dict = Depends(get_config), user_id: int = Depends(get_user_id)) -> str:
    return f"User {user_id} fetching '{query}' from {config['api_url']}"


OPENED = []


def get_db_connection():
    OPENED.append("db")
    return {"connection": "active", "opened": len(OPENED)}


def get_user_repo(db=Depends(get_db_connection)):
    return {"db": db, "type": "user"}


def get_order_repo(db=Depends(get_db_connection)):
    return {"db": db, "type": "order"}


@mcp.tool
async def process_order(order_id: str, users=Depends(get_user_repo), orders=Depends(get_order_repo)) -> str:
    return f"Processed order {order_id}: shared={users['db'] is orders['db']}"


EVENTS = []


@asynccontextmanager
async def get_database():
    EVENTS.append("open")
    try:
        yield {"rows": [1, 2]}
    finally:
        EVENTS.append("close")


@mcp.tool
async def query_users(sql: str, db=Depends(get_database)) -> str:
    return f"{sql}: {db['rows']} events={EVENTS}"


@mcp.tool
async def events_after() -> list:
    return EVENTS[-2:]


def get_base_url() -> str:
    return "https://api.example.com"


def get_api_client(base_url: str = Depends(get_base_url)) -> dict:
    return {"base_url": base_url, "version": "v1"}


async def logging_dependency(ctx: Context = CurrentContext()) -> str:
    await ctx.info("resolving a dependency")
    return "dep"


@mcp.tool
async def call_api(endpoint: str, client: dict = Depends(get_api_client),
                   dep: str = Depends(logging_dependency)) -> str:
    return f"Calling {client['base_url']}/{client['version']}/{endpoint} ({dep})"


@dataclass
class UserInfo:
    name: str
    age: int


@mcp.tool
async def collect_user_info(ctx: Context) -> str:
    """Collect user information through interactive prompts."""
    result = await ctx.elicit(message="Please provide your information", response_type=UserInfo)
    if result.action == "accept":
        user = result.data
        return f"Hello {user.name}, you are {user.age} years old"
    if result.action == "decline":
        return "Information not provided"
    return "Operation cancelled"


@mcp.tool
async def pattern_example(ctx: Context) -> str:
    result = await ctx.elicit("Enter your name:", response_type=str)
    match result:
        case AcceptedElicitation(data=name):
            return f"Hello {name}!"
        case DeclinedElicitation():
            return "No name provided"
        case CancelledElicitation():
            return "Operation cancelled"
    return "?"


@mcp.tool
async def plan_meeting(ctx: Context) -> str:
    """Plan a meeting by gathering details step by step."""
    title_result = await ctx.elicit("What's the meeting title?", response_type=str)
    if title_result.action != "accept":
        return "Meeting planning cancelled"
    duration_result = await ctx.elicit("Duration in minutes?", response_type=int)
    if duration_result.action != "accept":
        return "Meeting planning cancelled"
    priority_result = await ctx.elicit("Is this urgent?", response_type=["yes", "no"])
    if priority_result.action != "accept":
        return "Meeting planning cancelled"
    urgent = priority_result.data == "yes"
    return f"Meeting '{title_result.data}' for {duration_result.data} minutes (Urgent: {urgent})"


@mcp.tool
async def pick_a_boolean(ctx: Context) -> str:
    result = await ctx.elicit("True or false?", response_type=bool)
    if result.action == "accept":
        return f"You picked {result.data}"
    return "No boolean provided"


@mcp.tool
async def approve_action(ctx: Context) -> str:
    result = await ctx.elicit("Approve this action?", response_type=None)
    if result.action == "accept":
        return "approved"
    raise ValueError("Action rejected")


class Priority(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@mcp.tool
async def set_priority(ctx: Context) -> str:
    result = await ctx.elicit("What priority level?", response_type=Literal["low", "medium", "high"])
    if result.action == "accept":
        return f"Priority set to: {result.data}"
    return "No priority set"


@mcp.tool
async def set_priority_enum(ctx: Context) -> str:
    result = await ctx.elicit("What priority level?", response_type=Priority)
    if result.action == "accept":
        return f"Priority set to: {result.data!r}"
    return "No priority set"


CALLS = [
    ("analyze_data", {"data": [1, 2, 3]}),
    ("analyze_data", {"data": []}),
    ("process_transaction", {"transaction_id": "t1", "amount": 9.5}),
    ("process_items", {"items": ["a", "b", "c"]}),
    ("indeterminate", {}),
    ("increment_counter", {}),
    ("increment_counter", {}),
    ("get_counter", {}),
    ("forget", {}),
    ("request_scoped", {}),
    ("not_serializable", {}),
    ("read_config", {}),
    ("read_item", {"item_id": "9"}),
    ("list_everything", {}),
    ("render", {}),
    ("request_info", {}),
    ("analyze_dataset", {"dataset_name": "users"}),
    ("process_file", {"file_uri": "file:///x"}),
    ("server_info", {}),
    ("fetch_data", {"query": "q"}),
    ("process_order", {"order_id": "o1"}),
    ("query_users", {"sql": "select"}),
    ("events_after", {}),
    ("call_api", {"endpoint": "users"}),
    ("collect_user_info", {}),
    ("collect_user_info", {}),
    ("collect_user_info", {}),
    ("pattern_example", {}),
    ("plan_meeting", {}),
    ("pick_a_boolean", {}),
    ("approve_action", {}),
    ("approve_action", {}),
    ("set_priority", {}),
    ("set_priority_enum", {}),
]

# Answers to the elicitations, in the order the calls above make them: (action, content).
ELICIT_ANSWERS = [
    ("accept", {"name": "Ann", "age": 41}),
    ("decline", None),
    ("cancel", None),
    ("accept", {"value": "Bob"}),
    ("accept", {"value": "Standup"}),
    ("accept", {"value": 15}),
    ("accept", {"value": "yes"}),
    ("accept", {"value": True}),
    ("accept", {"value": "high"}),
    ("accept", {"value": "medium"}),
]
