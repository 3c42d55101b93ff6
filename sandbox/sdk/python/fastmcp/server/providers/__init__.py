"""``fastmcp.server.providers``: Berth's SDK has only the OpenAPI provider (``.openapi``)."""

from berth_sdk.imports import message as _message


def __getattr__(name):
    if name == "OpenAPIProvider":
        from fastmcp.server.providers.openapi import OpenAPIProvider

        return OpenAPIProvider
    if name.startswith("__"):
        raise AttributeError(name)
    raise ImportError(_message(f"fastmcp.server.providers.{name}"))
