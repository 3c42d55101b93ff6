"""Component versions as fastmcp 4.x orders them: several versions of one tool, resource or prompt may be
registered; the highest is listed and called, and its listing names every version (``_meta.fastmcp.versions``,
highest first). Versions compare as release numbers (``"2.0" > "1.10" > "1.5"``, a leading ``v`` ignored),
others as strings after them; an unversioned component is the lowest."""

import re

_RELEASE = re.compile(r"^v?(\d+(?:\.\d+)*)$")


def key(version):
    """A sort key for a version (None lowest, release numbers by value, then other strings)."""
    if version is None:
        return (0, (), "")
    raw = str(version)
    found = _RELEASE.match(raw)
    if found:
        numbers = [int(n) for n in found.group(1).split(".")]
        while len(numbers) > 1 and numbers[-1] == 0:  # 1.0 == 1, as PEP 440 compares them
            numbers.pop()
        return (1, tuple(numbers), raw)
    return (2, (), raw)


def register(table, groups, name, component):
    """Adds ``component`` under ``name`` beside the other versions there; the highest becomes ``table[name]``.
    Returns False when that exact version is already registered (a duplicate, for ``on_duplicate``)."""
    group = groups.setdefault(name, {})
    existing = table.get(name)
    if existing is not None and not group:
        group[existing.version] = existing
    if component.version in group:
        return False
    group[component.version] = component
    refresh(table, groups, name)
    return True


def refresh(table, groups, name):
    """Makes the highest version ``table[name]``, its ``all_versions`` every version, highest first."""
    group = groups[name]
    highest = max(group.values(), key=lambda c: key(c.version))
    highest.all_versions = sorted((str(v) for v in group if v is not None), key=key, reverse=True)
    table[name] = highest


def is_versioned(table, name, component):
    existing = table.get(name)
    return existing is not None and (existing.version is not None or component.version is not None) and \
        existing.version != component.version
