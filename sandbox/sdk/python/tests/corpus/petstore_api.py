"""A small petstore API for the OpenAPI parity tests: its OpenAPI document and a stdlib HTTP server.

The server is stateless (every answer follows from the request), so native fastmcp and Berth's SDK
can call it one after the other and must see the same answers. It echoes what it received in a few
places (query strings, headers, the decoded path) so that request serialization is compared too.
"""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PET = {"$ref": "#/components/schemas/Pet"}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Petstore", "version": "1.0.0"},
    "servers": [{"url": "http://petstore.invalid/v1"}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List pets",
                "description": "Lists the pets in the store, filtered by status and tags.",
                "tags": ["pets"],
                "parameters": [
                    {"name": "status", "in": "query", "description": "Only pets with this status",
                     "schema": {"$ref": "#/components/schemas/Status"}},
                    {"name": "tags", "in": "query", "description": "Pets having all these tags",
                     "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                    {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "The pets", "content": {"application/json": {
                        "schema": {"type": "array", "items": PET}}}},
                    "default": {"description": "Unexpected error", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            },
            "post": {
                "operationId": "createPet",
                "summary": "Create a pet",
                "tags": ["pets"],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewPet"}}}},
                "responses": {"201": {"description": "Created", "content": {"application/json": {
                    "schema": PET}}}},
            },
        },
        "/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path", "required": True, "description": "The pet's id",
                            "schema": {"type": "integer"}}],
            "get": {
                "operationId": "getPet",
                "summary": "Get a pet",
                "tags": ["pets"],
                "responses": {
                    "200": {"description": "The pet", "content": {"application/json": {"schema": PET}}},
                    "404": {"description": "No such pet", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            },
            "put": {
                "operationId": "replacePet",
                "description": "Replaces a pet. The body's petId must match the path's.",
                "tags": ["pets"],
                "parameters": [{"name": "dryRun", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["petId", "name"],
                    "properties": {"petId": {"type": "integer"}, "name": {"type": "string"},
                                   "status": {"$ref": "#/components/schemas/Status"}}}}}},
                "responses": {"200": {"description": "Replaced", "content": {"application/json": {
                    "schema": PET}}}},
            },
            "delete": {
                "operationId": "deletePet",
                "tags": ["pets", "admin"],
                "responses": {"204": {"description": "Deleted"}},
            },
        },
        "/pets/by-name/{name}": {
            "get": {
                "operationId": "findPetByName__deprecated_alias",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "What the server decoded",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "properties": {"path": {"type": "string"},
                                                                          "name": {"type": "string"}}}}}}},
            },
        },
        "/search": {
            "get": {
                "operationId": "searchPets",
                "parameters": [
                    {"name": "ids", "in": "query", "style": "form", "explode": False,
                     "schema": {"type": "array", "items": {"type": "integer"}}},
                    {"name": "colors", "in": "query", "style": "pipeDelimited",
                     "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "filter", "in": "query", "style": "deepObject", "explode": True,
                     "schema": {"type": "object", "properties": {"species": {"type": "string"},
                                                                 "minAge": {"type": "integer"}}}},
                    {"name": "vaccinated", "in": "query", "schema": {"type": "boolean"}},
                ],
                "responses": {"200": {"description": "The query string the server received",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "properties": {"query": {"type": "string"}}}}}}},
            },
        },
        "/stats": {
            "get": {
                "summary": "Store statistics",
                "tags": ["stats"],
                "responses": {"200": {"description": "Counts", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"total": {"type": "integer"},
                                   "byStatus": {"type": "object", "additionalProperties": {"type": "integer"}}},
                }}}}},
            },
        },
        "/version": {
            "get": {
                "operationId": "version",
                "responses": {"200": {"description": "Plain text",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}}},
            },
        },
        "/admin/reset": {
            "post": {"operationId": "resetStore", "tags": ["admin"],
                     "responses": {"500": {"description": "Always fails"}}},
        },
    },
    "components": {
        "schemas": {
            "Status": {"type": "string", "enum": ["available", "pending", "sold"],
                       "description": "Where the pet is in the sale"},
            "NewPet": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1},
                               "tag": {"type": "string"},
                               "status": {"$ref": "#/components/schemas/Status"},
                               "owner": {"$ref": "#/components/schemas/Owner"}},
            },
            "Owner": {"type": "object", "properties": {"name": {"type": "string"},
                                                       "email": {"type": "string", "format": "email"}}},
            "Pet": {
                "type": "object", "required": ["id", "name"],
                "properties": {"id": {"type": "integer", "format": "int64"},
                               "name": {"type": "string"},
                               "tag": {"type": ["string", "null"]},
                               "status": {"$ref": "#/components/schemas/Status"}},
            },
            "Error": {"type": "object", "required": ["code", "message"],
                      "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}},
        },
    },
}

PETS = [
    {"id": 1, "name": "Rex", "tag": "dog", "status": "available"},
    {"id": 2, "name": "Tom", "tag": None, "status": "sold"},
    {"id": 3, "name": "Kit", "tag": "cat", "status": "available"},
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):
        pass

    def _send(self, status, body=None, content_type="application/json", extra=()):
        data = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path == "/v1/pets":
            pets = [p for p in PETS if "status" not in query or p["status"] == query["status"][0]]
            limit = int(query.get("limit", ["20"])[0])
            echo = [("X-Echo-Request-Id", self.headers.get("X-Request-Id") or "-")]
            self._send(200, pets[:limit], extra=echo)
        elif path.startswith("/v1/pets/by-name/"):
            raw = path.removeprefix("/v1/pets/by-name/")
            self._send(200, {"path": raw, "name": urllib.parse.unquote(raw)})
        elif path.startswith("/v1/pets/"):
            pet = next((p for p in PETS if str(p["id"]) == path.rsplit("/", 1)[1]), None)
            if pet is None:
                self._send(404, {"code": 404, "message": f"no pet {path.rsplit('/', 1)[1]}"})
            else:
                self._send(200, pet)
        elif path == "/v1/search":
            self._send(200, {"query": url.query})
        elif path == "/v1/stats":
            self._send(200, {"total": len(PETS), "byStatus": {"available": 2, "sold": 1}})
        elif path == "/v1/version":
            self._send(200, "petstore 1.0.0", content_type="text/plain")
        else:
            self._send(404, "not found", content_type="text/plain")

    def do_POST(self):
        body = self._body()
        if self.path == "/v1/pets":
            self._send(201, {"id": 100, "tag": None, "status": "available", **body})
        elif self.path == "/v1/admin/reset":
            self._send(500, "the store cannot be reset", content_type="text/plain")
        else:
            self._send(404, "not found", content_type="text/plain")

    def do_PUT(self):
        body = self._body()
        query = urllib.parse.urlsplit(self.path).query
        self._send(200, {"id": body["petId"], "name": body["name"], "tag": query or None,
                         "status": body.get("status", "available")})

    def do_DELETE(self):
        self._send(204)


class PetstoreServer:
    """The API on 127.0.0.1 and a free port; ``url`` is its base URL (with ``/v1``)."""

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        return self

    def __exit__(self, *_exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
