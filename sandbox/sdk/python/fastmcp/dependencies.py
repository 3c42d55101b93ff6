"""``fastmcp.dependencies``: parameter defaults the server fills in at each call (``Depends``,
``CurrentContext``, ``CurrentFastMCP``); see ``berth_sdk.dependencies``."""

from berth_sdk.dependencies import CurrentAccessToken, CurrentContext, CurrentFastMCP, CurrentHeaders, \
    CurrentRequest, Dependency, Depends, OptionalCurrentContext, TokenClaim

__all__ = ["CurrentAccessToken", "CurrentContext", "CurrentFastMCP", "CurrentHeaders", "CurrentRequest",
           "Dependency", "Depends", "OptionalCurrentContext", "TokenClaim"]
