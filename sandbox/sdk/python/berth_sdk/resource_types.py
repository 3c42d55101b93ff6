"""fastmcp's resource classes (``fastmcp.resources``): ``TextResource``, ``BinaryResource``,
``FileResource``, ``DirectoryResource`` and ``HttpResource``, added with ``mcp.add_resource(...)``.

A component has no files at run time, but the module's top level runs at build time, where the project's
files are: a ``FileResource`` reads its file and a ``DirectoryResource`` lists its directory when it is
built (a notice in the build log says so), and a read answers with that snapshot, as native fastmcp would
answer with the file as deployed. ``HttpResource`` fetches its URL at each read through Berth's outbound
HTTP (its host must be under ``[network] allow`` in berth.toml).
"""

import json
import pathlib
import urllib.request

from berth_sdk import options as opts
from berth_sdk.components import Resource, ResourceContent, ResourceResult
from berth_sdk.errors import DefinitionError, ResourceError


class _ClassResource(Resource):
    """A resource whose content comes from the object itself rather than from a user function."""

    _default_mime = "text/plain"

    def __init__(self, uri, name=None, title=None, description=None, mime_type=None, tags=None, annotations=None,
                 meta=None, icons=None, version=None, **options):
        at = opts.caller()
        opts.check(f"{type(self).__name__}()", options, at, opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)

        def read():
            return self._result()

        read.__name__ = name or str(uri)
        read.__doc__ = None
        super().__init__(read, str(uri), name or str(uri), title, description, mime_type or self._default_mime, tags,
                         annotations, meta, icons, version, at=at)

    def _content(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _result(self):
        return ResourceResult([ResourceContent(self._content(), mime_type=self.mime_type)])


class TextResource(_ClassResource):
    """``TextResource(uri=..., name=..., text=...)``: fixed text."""

    def __init__(self, uri, text, **kwargs):
        self.text = text
        super().__init__(uri, **kwargs)

    def _content(self):
        return self.text


class BinaryResource(_ClassResource):
    """``BinaryResource(uri=..., name=..., data=b"...")``: fixed bytes."""

    def __init__(self, uri, data, **kwargs):
        self.data = bytes(data)
        super().__init__(uri, **kwargs)

    def _content(self):
        return self.data


def _absolute(path, kind, at):
    path = pathlib.Path(path)
    if not path.is_absolute():
        raise DefinitionError(f"{at}: {kind}(path={str(path)!r}): Path must be absolute; build it from the module's "
                              "own location, e.g. pathlib.Path(__file__).parent / \"data.txt\"")
    return path


class FileResource(_ClassResource):
    """``FileResource(uri=..., path=<absolute path>)``: the file's text (or bytes: ``is_binary=True``, or a
    MIME type that is not ``text/*``), read when the server is built."""

    def __init__(self, uri, path, is_binary=None, encoding="utf-8", **kwargs):
        at = opts.caller()
        self.path = _absolute(path, "FileResource", at)
        mime = kwargs.get("mime_type") or "text/plain"
        self.is_binary = (not mime.startswith("text/")) if is_binary is None else is_binary
        self.encoding = encoding
        try:
            self._snapshot = self.path.read_bytes() if self.is_binary else self.path.read_text(encoding=encoding)
        except Exception:  # as natively, a read of a file that is not there fails; at build time nothing does
            self._snapshot = None
        super().__init__(uri, **kwargs)
        opts.notice(f"{at}: FileResource {str(self.path)!r} is read at build time (Berth runs the server without "
                    "files): rebuild the project to serve a changed file")

    def _content(self):
        if self._snapshot is None:
            raise ResourceError(f"Error reading file {self.path}")
        return self._snapshot


class DirectoryResource(_ClassResource):
    """``DirectoryResource(uri=..., path=<absolute dir>)``: a JSON list of its files, taken at build time."""

    _default_mime = "application/json"

    def __init__(self, uri, path, recursive=False, pattern=None, **kwargs):
        at = opts.caller()
        self.path = _absolute(path, "DirectoryResource", at)
        self.recursive = recursive
        self.pattern = pattern
        try:
            found = (self.path.rglob if recursive else self.path.glob)(pattern or "*") if self.path.is_dir() else None
            self._files = None if found is None else [str(p.relative_to(self.path)) for p in found if p.is_file()]
        except OSError:
            self._files = None
        super().__init__(uri, **kwargs)
        opts.notice(f"{at}: DirectoryResource {str(self.path)!r} is listed at build time (Berth runs the server "
                    "without files): rebuild the project to serve a changed directory")

    def _content(self):
        if self._files is None:
            raise ResourceError(f"Error reading directory {self.path}")
        return json.dumps({"files": self._files}, indent=2)


class HttpResource(_ClassResource):
    """``HttpResource(uri=..., url=...)``: the URL's text, fetched at each read through Berth's outbound HTTP."""

    _default_mime = "application/json"

    def __init__(self, uri, url, **kwargs):
        self.url = url
        super().__init__(uri, **kwargs)

    def _content(self):
        with urllib.request.urlopen(self.url) as response:
            return response.read().decode(response.headers.get_content_charset() or "utf-8")
