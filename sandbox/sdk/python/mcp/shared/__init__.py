"""``mcp.shared``, as far as server code imports from it."""
