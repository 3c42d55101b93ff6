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
"""

import collections.abc
import importlib
import os
import sys


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

    def load(self, at_build=False):
        """Imports the module (noting what it reads of the environment) and finds its server. At build
        time the import is taken to have seen no variable at all: the build's own (``PATH``, ``HOME``)
        are not the project's, and a project that sets none of what the module read runs the module
        as it was imported then."""
        recorder = self.recorder = Recorder(os.environ)
        os.environ = recorder
        try:
            module = importlib.import_module(self.module_name)
            self.server = self.find_server(module, at_build)
        finally:
            os.environ = recorder._real
        self.names = frozenset(recorder.names)
        self.listed = recorder.listed
        self.seen = self._view({} if at_build else os.environ)
        self.root = _project_root(module, self.module_name)
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
        self.load()
        return True


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
