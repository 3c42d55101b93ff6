"""A batch-job runner that talks back through the Context: logs, progress, session state."""

from fastmcp import Context, FastMCP

mcp = FastMCP("Jobs")


@mcp.tool
async def process(items: list[str], ctx: Context) -> dict:
    """Process items one by one, reporting progress and logging each."""
    await ctx.debug("starting batch")
    done = []
    for i, item in enumerate(items):
        await ctx.report_progress(progress=i, total=len(items), message=f"processing {item}")
        if item.startswith("!"):
            await ctx.warning(f"skipping {item}")
            continue
        await ctx.info(f"processed {item}")
        done.append(item.upper())
    await ctx.report_progress(progress=len(items), total=len(items))
    return {"done": done, "skipped": len(items) - len(done)}


@mcp.tool
async def fail_loudly(ctx: Context) -> str:
    """Logs an error, then fails."""
    await ctx.error("about to fail")
    raise RuntimeError("the job failed")


@mcp.tool
async def structured_log(ctx: Context) -> str:
    """Logs structured data with a logger name."""
    await ctx.log(level="notice", message="disk usage", logger_name="jobs.disk", extra={"used": 0.7})
    return "logged"


@mcp.tool
async def remember(key: str, value: str, ctx: Context) -> str:
    """Keep a value for the rest of the session."""
    await ctx.set_state(key, value)
    return f"remembered {key}"


@mcp.tool
async def recall(key: str, ctx: Context) -> str:
    """A value kept earlier in this session."""
    value = await ctx.get_state(key)
    return "nothing" if value is None else value


@mcp.tool
async def read_config(ctx: Context) -> str:
    """Reads the server's own config resource."""
    result = await ctx.read_resource("config://jobs")
    return result.contents[0].content


@mcp.resource("config://jobs")
def config() -> str:
    return "max_parallel=4"


if __name__ == "__main__":
    mcp.run()
