"""fastmcp's standalone decorators (``from fastmcp.tools import tool``, ``fastmcp.resources.resource``,
``fastmcp.prompts.prompt``): they only attach the decorator's arguments to the function, which a server
registers later with ``mcp.add_tool(fn)`` (the way to expose a bound method: ``mcp.add_tool(obj.method)``)."""

import inspect

from berth_sdk import options as opts

ATTRIBUTE = "__fastmcp__"


class ComponentMeta(dict):
    """The arguments a standalone decorator recorded, with the kind of component they are for."""

    def __init__(self, kind, **arguments):
        super().__init__(arguments)
        self.kind = kind


def _target(fn):
    return getattr(fn, "__func__", fn)


def recorded(fn, kind):
    """The arguments ``@tool``/``@resource``/``@prompt`` attached to ``fn`` (a function or a bound method)."""
    meta = getattr(_target(fn), ATTRIBUTE, None)
    return dict(meta) if isinstance(meta, ComponentMeta) and meta.kind == kind else {}


def _attach(fn, kind, arguments):
    if isinstance(fn, classmethod):
        raise TypeError("To decorate a classmethod, use @classmethod above @tool. "
                        "See https://gofastmcp.com/servers/tools#using-with-methods")
    setattr(_target(fn), ATTRIBUTE, ComponentMeta(kind, **{k: v for k, v in arguments.items() if v is not None}))
    return fn


def mark(fn, kind, **arguments):
    """Records a server decorator's arguments on ``fn`` too, as fastmcp 4's ``@mcp.tool`` does (a later
    ``mcp.add_tool(fn)`` registers it with them). ``output_schema=...`` (not given) is left out."""
    try:
        _attach(fn, kind, {k: v for k, v in arguments.items() if v is not ...})
    except (AttributeError, TypeError):  # a callable that takes no attributes: nothing to remember
        pass


def _decorator(kind, supported, name_or_fn, name, options):
    at = opts.caller()
    opts.check(f"@{kind}", {k: v for k, v in options.items() if k not in supported}, at,
               opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
    options = {k: v for k, v in options.items() if k in supported}
    if inspect.isroutine(name_or_fn):
        return _attach(name_or_fn, kind, {"name": name, **options})
    if isinstance(name_or_fn, str):
        if name is not None:
            raise TypeError("Cannot specify name both as first argument and keyword")
        name = name_or_fn
    elif name_or_fn is not None:
        raise TypeError(f"Invalid first argument: {type(name_or_fn)}")
    return lambda fn: _attach(fn, kind, {"name": name, **options})


def tool(name_or_fn=None, *, name=None, **options):
    """``@tool`` / ``@tool(name=..., ...)``: marks a function (or method) as a tool for ``mcp.add_tool``."""
    return _decorator("tool", opts.TOOL_SUPPORTED, name_or_fn, name, options)


def prompt(name_or_fn=None, *, name=None, **options):
    """``@prompt`` / ``@prompt(...)``: marks a function as a prompt for ``mcp.add_prompt``."""
    return _decorator("prompt", opts.PROMPT_SUPPORTED, name_or_fn, name, options)


def resource(uri, *, name=None, **options):
    """``@resource("data://x")``: marks a function as a resource for ``mcp.add_resource``."""
    at = opts.caller()
    opts.check("@resource", {k: v for k, v in options.items() if k not in opts.RESOURCE_SUPPORTED}, at,
               opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
    options = {k: v for k, v in options.items() if k in opts.RESOURCE_SUPPORTED}
    return lambda fn: _attach(fn, "resource", {"uri": uri, "name": name, **options})
