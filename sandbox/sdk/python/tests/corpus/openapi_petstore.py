"""The FastMCP guides' "API integration" pattern: a server made from the petstore's OpenAPI document.

``PETSTORE_URL`` names the running API (tests/corpus/petstore_api.py); the same module runs under real
fastmcp (the reference) and under Berth's SDK.
"""

import copy
import os

try:
    import httpx
except ImportError:  # the newest fastmcp 4.x's venv has only httpx2, which it prefers
    import httpx2 as httpx
from fastmcp import FastMCP
from petstore_api import SPEC

client = httpx.AsyncClient(base_url=os.environ.get("PETSTORE_URL", "http://127.0.0.1:9/v1"),
                           headers={"Authorization": "Bearer test-token"})
mcp = FastMCP.from_openapi(openapi_spec=copy.deepcopy(SPEC), client=client, name="Petstore")

CALLS = [
    ("listPets", {}),
    ("listPets", {"status": "available", "limit": 1, "X-Request-Id": "abc"}),
    ("listPets", {"tags": ["a", "b"]}),
    ("getPet", {"petId": 3}),
    ("getPet", {"petId": 42}),
    ("createPet", {"name": "Nemo", "tag": "fish", "owner": {"name": "Ann"}}),
    ("replacePet", {"petId__path": 2, "petId": 2, "name": "Tom", "dryRun": True, "status": "pending"}),
    ("replacePet", {"petId": 2, "name": "Tom"}),
    ("deletePet", {"petId": 1}),
    ("findPetByName", {"name": "Mr. Whiskers/2 100%"}),
    ("searchPets", {"ids": [1, 2], "colors": ["red", "blue"], "filter": {"species": "cat", "minAge": 2},
                    "vaccinated": False}),
    ("Store_statistics", {}),
    ("version", {}),
    ("resetStore", {}),
]
