"""fastmcp.utilities, as far as user code imports from it."""
