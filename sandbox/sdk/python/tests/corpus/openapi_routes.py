"""Route maps over the petstore's OpenAPI document: GETs with a path parameter become resource templates,
other GETs resources, admin routes are left out; names, tags and a component function as the guides show.
"""

import copy
import os

try:
    import httpx
except ImportError:  # the newest fastmcp 4.x's venv has only httpx2, which it prefers
    import httpx2 as httpx
from fastmcp import FastMCP
from fastmcp.server.providers.openapi import MCPType, RouteMap
from petstore_api import SPEC


def customize(route, component):
    component.description = f"{component.description} [{route.method} {route.path}]"
    component.tags.add("customized")


client = httpx.AsyncClient(base_url=os.environ.get("PETSTORE_URL", "http://127.0.0.1:9/v1"))
mcp = FastMCP.from_openapi(
    openapi_spec=copy.deepcopy(SPEC), client=client, name="Petstore resources",
    route_maps=[
        RouteMap(tags={"admin"}, mcp_type=MCPType.EXCLUDE),
        RouteMap(methods=["GET"], pattern=r"\{[^}]+\}", mcp_type=MCPType.RESOURCE_TEMPLATE, mcp_tags={"template"}),
        RouteMap(methods=["GET"], pattern=r"^/(stats|version)$", mcp_type=MCPType.RESOURCE),
    ],
    route_map_fn=lambda route, kind: MCPType.EXCLUDE if route.path == "/search" else None,
    mcp_component_fn=customize,
    mcp_names={"createPet": "add_pet"},
    tags={"petstore"},
)

CALLS = [("add_pet", {"name": "Nemo"}), ("listPets", {"status": "sold"})]
READS = ["resource://Store_statistics", "resource://version", "resource://getPet/1",
         "resource://findPetByName/Tom"]
