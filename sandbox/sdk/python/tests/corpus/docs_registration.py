"""Ways of registering components FastMCP's documentation shows (docs/servers/tools.mdx, resources.mdx,
prompts.mdx): the decorator called with a name, called as a function, ``Tool.from_function``/
``Resource.from_function``/``Prompt.from_function`` with metadata, ``mcp.add_tool(fn)`` (which reuses what
``@mcp.tool`` recorded on the function), ``output_schema=None``, staticmethods, classmethods and bound methods,
and duplicates under ``on_duplicate="replace"``. Listings and results must equal real fastmcp 4.x's.
"""

from fastmcp import Context, FastMCP
from fastmcp.prompts import Prompt
from fastmcp.resources import Resource, ResourceTemplate
from fastmcp.tools import Tool

mcp = FastMCP("Registration", on_duplicate="replace")


@mcp.tool("custom_name")
def named_positionally(x: int) -> int:
    return x


def plain(a: int, b: int = 2) -> int:
    """Adds with a default."""
    return a + b


mcp.tool(name="added_by_call", tags={"manual"})(plain)
mcp.add_tool(plain)
mcp.add_tool(Tool.from_function(plain, name="from_function", description="Made with Tool.from_function.",
                                tags={"x"}, meta={"origin": "from_function"}, output_schema=None))


@mcp.tool(output_schema=None)
def no_output_schema(x: int) -> int:
    return x * 3


class Service:
    def __init__(self, prefix):
        self.prefix = prefix

    def greet(self, name: str) -> str:
        """Greets with the service's prefix."""
        return f"{self.prefix} {name}"

    @staticmethod
    def shout(text: str) -> str:
        return text.upper()

    @classmethod
    def kind(cls) -> str:
        return cls.__name__


service = Service("Hi")
mcp.tool(service.greet)
mcp.tool(Service.shout)
mcp.tool(Service.kind)


@mcp.tool
def replaced() -> str:
    return "first"


@mcp.tool(name="replaced")
def replaced_again() -> str:
    return "second"


def describe(topic: str) -> str:
    return f"Describe {topic}"


mcp.add_prompt(Prompt.from_function(describe, name="describe_it", description="Describes.", tags={"p"}))


def read_motd() -> str:
    return "message of the day"


mcp.add_resource(Resource.from_function(read_motd, uri="data://motd", name="motd", mime_type="text/plain",
                                        description="The MOTD."))


async def item_reader(item_id: str, ctx: Context) -> dict:
    return {"id": item_id, "ctx": type(ctx).__name__}


mcp.resource("data://items/{item_id}", name="item")(item_reader)


def read_page(number: int) -> str:
    return f"page {number}"


mcp.add_template(ResourceTemplate.from_function(read_page, uri_template="book://pages/{number}", name="page",
                                                description="A page of the book."))

CALLS = [
    ("custom_name", {"x": 1}),
    ("added_by_call", {"a": 1}),
    ("plain", {"a": 5, "b": 5}),
    ("from_function", {"a": 1}),
    ("no_output_schema", {"x": 2}),
    ("greet", {"name": "Ann"}),
    ("shout", {"text": "hey"}),
    ("kind", {}),
    ("replaced", {}),
]

READS = ["data://motd", "data://items/3", "book://pages/12", "book://pages/twelve"]

PROMPTS = [("describe_it", {"topic": "rain"})]
