"""A server whose top level reads the environment sees the project's environment, as natively.

The user's module is imported at build time (componentize-py's pre-initialization), where the
environment is the build's, not the project's: a module-level ``API_KEY = os.environ.get("API_KEY")``
or ``httpx.AsyncClient(headers={"Authorization": f"Bearer {os.getenv('TOKEN')}"})`` would keep the
build's (absent) value for ever. So, while the module is imported, ``os.environ`` notes what it reads
(:class:`Recorder`). When a call's environment gives any of those variables another value than the
last import saw (or, when the module read the whole environment, any change at all), the project's
own modules (those under its root, not the SDK nor vendored packages) are run again before the call,
with the project's environment, and the server they define serves it (the build's import counts as
having seen no variable). Servers that read nothing of the environment at import, or none that the
project sets, pay nothing: the snapshot taken at build time serves them as it is.

A server has no file system when it runs, so the project's files that the build's import read (a
spec, a config file) are kept and read from memory when the module runs again.
"""

import builtins
import collections.abc
import importlib
import importlib.util
import io
import os
import pkgutil
import sys

# Files of the project that the import read, kept for running the module again: a server has no file
# system when it runs (only at build time), so a module that loads `openapi.json` or a config file at
# import gets the same bytes again. Bounded, so that the snapshot stays small.
MAX_KEPT_FILE_BYTES = 4 * 1024 * 1024
MAX_KEPT_BYTES = 16 * 1024 * 1024


class Recorder(collections.abc.MutableMapping):
    """Stands in for ``os.environ`` while the user's module is imported; notes what is read."""

    def __init__(self, real):
        self._real = real
        self.names = set()  # variables read by name
        self.listed = False  # the whole environment was read (iterated or copied)

    def __getitem__(self, key):
        self.names.add(key)
        return self._real[key]

    def __contains__(self, key):
        self.names.add(key)
        return key in self._real

    def __iter__(self):
        self.listed = True
        return iter(self._real)

    def __len__(self):
        self.listed = True
        return len(self._real)

    def __setitem__(self, key, value):
        self._real[key] = value

    def __delitem__(self, key):
        del self._real[key]

    def copy(self):
        self.listed = True
        return dict(self._real)

    def __getattr__(self, name):  # os._Environ's own helpers (encodekey, ...)
        return getattr(self._real, name)

    def missing(self):
        """The variables read by name that the build's environment does not set, sorted."""
        return sorted(n for n in self.names if n not in self._real)


class Entry:
    """The user's module and server, and what its import read of the environment."""

    def __init__(self, module_name, attribute, find_server):
        self.module_name = module_name
        self.attribute = attribute
        self.find_server = find_server  # (module, at_build) -> server (the entry point's rules)
        self.server = None
        self.names = frozenset()
        self.listed = False
        self.seen = None  # what the last import saw of the variables it read
        self.root = None
        self.recorder = None  # the last import's
        self.files = {}  # absolute path -> bytes: the project's files the build's import read
        self.sources = {}  # module name -> (path, source, is package): the project's modules

    def load(self, at_build=False):
        """Imports the module (noting what it reads of the environment) and finds its server. At build
        time the import is taken to have seen no variable at all: the build's own (``PATH``, ``HOME``)
        are not the project's, and a project that sets none of what the module read runs the module
        as it was imported then."""
        recorder = self.recorder = Recorder(os.environ)
        os.environ = recorder
        opened = []
        real_open = builtins.open
        stand_in = _noting_open(real_open, opened) if at_build else _replaying_open(real_open, self.files)
        builtins.open = io.open = stand_in
        try:
            module = importlib.import_module(self.module_name)
            self.server = self.find_server(module, at_build)
        finally:
            os.environ = recorder._real
            builtins.open = io.open = real_open
        self.names = frozenset(recorder.names)
        self.listed = recorder.listed
        self.seen = self._view({} if at_build else os.environ)
        self.root = _project_root(module, self.module_name)
        if at_build:
            self.files = _keep(opened, self.root)
            self.sources = _sources(self.root)
        return recorder

    def _view(self, env):
        if self.listed:
            return dict(env)
        return {n: env.get(n) for n in self.names}

    def reads_environment(self):
        return self.listed or bool(self.names)

    def refresh(self, env):
        """Runs the project's modules again when ``env`` (the call's) differs from what they saw."""
        if not self.reads_environment() or self._view(env) == self.seen:
            return False
        for name, module in list(sys.modules.items()):
            if _is_project_module(module, self.root):
                del sys.modules[name]
        # A running server has no file system: its modules come from the sources kept at build time.
        finder = _KeptSources(self.sources)
        sys.meta_path.insert(0, finder)
        try:
            self.load()
        finally:
            sys.meta_path.remove(finder)
        return True


def _sources(root):
    """The source of every project module imported now (by module name)."""
    kept = {}
    for name, module in list(sys.modules.items()):
        if not _is_project_module(module, root):
            continue
        path = os.path.abspath(module.__file__)
        try:
            with open(path, encoding="utf-8") as f:
                kept[name] = (path, f.read(), hasattr(module, "__path__"))
        except (OSError, UnicodeDecodeError):
            continue
    return kept


class _KeptSources:
    """Finds and runs the project's modules from the sources kept at build time."""

    def __init__(self, sources):
        self._sources = sources

    def find_spec(self, name, path=None, target=None):
        kept = self._sources.get(name)
        if kept is None:
            return None
        file, _, is_package = kept
        spec = importlib.util.spec_from_loader(name, self, origin=file, is_package=is_package)
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [os.path.dirname(file)]
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        file, source, _ = self._sources[module.__name__]
        module.__file__ = file
        exec(compile(source, file, "exec"), module.__dict__)


def _reading(mode):
    return not any(c in mode for c in "wax+")


def _noting_open(real_open, opened):
    """``open`` that notes the files opened for reading (by absolute path)."""

    def noting_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and _reading(mode):
            opened.append(os.path.abspath(os.fsdecode(file)))
        return real_open(file, mode, *args, **kwargs)

    return noting_open


def _replaying_open(real_open, files):
    """``open`` that reads the kept files from memory (and anything else as ``open`` would)."""

    def replaying_open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and _reading(mode):
            data = files.get(os.path.abspath(os.fsdecode(file)))
            if data is not None:
                raw = io.BytesIO(data)
                if "b" in mode:
                    return raw
                return io.TextIOWrapper(raw, encoding=encoding or "utf-8", errors=errors, newline=newline)
        return real_open(file, mode, buffering, encoding, errors, newline, *args, **kwargs)

    return replaying_open


def _keep(paths, root):
    """The contents of the project's files among ``paths``, within the bounds."""
    kept, total = {}, 0
    for path in dict.fromkeys(paths):
        if not path.startswith(root) or "site-packages" in path:
            continue
        try:
            size = os.path.getsize(path)
            if size > MAX_KEPT_FILE_BYTES or total + size > MAX_KEPT_BYTES:
                continue
            with open(path, "rb") as f:
                kept[path] = f.read()
            total += size
        except OSError:
            continue
    return kept


def _project_root(module, module_name):
    """The folder the entry module's top-level package (or the module itself) lives in."""
    path = os.path.abspath(getattr(module, "__file__", "") or "")
    root = os.path.dirname(path)
    for _ in range(module_name.count(".")):
        root = os.path.dirname(root)
    return root + os.sep


def _is_project_module(module, root):
    from berth_sdk.options import _in_sdk

    path = getattr(module, "__file__", None)
    if not path or not root:
        return False
    path = os.path.abspath(path)
    return path.startswith(root) and not _in_sdk(path) and "site-packages" not in path


def hint(recorder):
    """What to say when the import failed after reading variables the build does not set."""
    missing = recorder.missing()
    if not missing:
        return ""
    names = ", ".join(missing)
    return (f" (while imported, the module read {names}, which the build does not set: the build never sees "
            f"the project's environment. Read them with a default, e.g. os.environ.get({missing[0]!r}, ''): "
            f"the module runs again with the project's environment before the server's first call)")


# The builder's mark on the folder of vendored packages (services/builder/src/vendor.rs).
VENDORED_MARKER = "berth-vendored.txt"

# Parts of a module name that mark tests, scripts and the like: never imported ahead.
_NOT_AHEAD = {"tests", "test", "testing", "__main__", "conftest"}


def import_vendored_ahead():
    """Imports every module of the vendored packages that the server's import used.

    The component holds only the modules imported at build time: a package that imports a module of
    its own later, when first needed (anyio's backends, a settings source, a codec), would find it
    missing when the server runs. So, at build time, the rest of each vendored package the server
    uses is imported ahead (its tests and scripts excepted); a module that cannot be imported here
    (it needs an optional dependency, say) is left out, as it would fail when the server runs too.
    Returns how many modules it imported.
    """
    roots = [os.path.abspath(p) + os.sep for p in sys.path
             if p and os.path.isfile(os.path.join(p, VENDORED_MARKER))]
    if not roots:
        return 0
    used = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__path__", None)
        file = getattr(module, "__file__", None)
        if "." in name or not path or not file:
            continue
        if any(os.path.abspath(file).startswith(root) for root in roots):
            used.append((name, list(path)))
    before = len(sys.modules)
    for name, path in used:
        for info in pkgutil.walk_packages(path, name + ".", onerror=lambda _name: None):
            if info.name in sys.modules or _NOT_AHEAD.intersection(info.name.split(".")):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # an optional dependency missing: it would fail when running too
                continue
    return len(sys.modules) - before
