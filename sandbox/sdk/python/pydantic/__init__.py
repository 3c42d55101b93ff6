"""A small pure-Python stand-in for pydantic, bundled with Berth's Python SDK.

Real pydantic cannot run inside WebAssembly (its core is a native extension), so this covers what
MCP servers use it for: ``Field(...)`` for parameter descriptions, defaults and constraints, and
``BaseModel`` for simple structured inputs and results. Validation is basic: required fields,
defaults, and nested models built from dicts.
"""

import copy
import json
import typing


class _Missing:
    """The absence of a default (pydantic's ``PydanticUndefined``)."""

    def __repr__(self):
        return "PydanticUndefined"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


MISSING = _Missing()
PydanticUndefined = MISSING


class ValidationError(ValueError):
    """Raised when data does not fit a model."""


class FieldInfo:
    """What ``Field(...)`` records: a default and the JSON Schema facts about one value."""

    _ATTRS = (
        "description", "title", "examples", "ge", "le", "gt", "lt", "multiple_of",
        "min_length", "max_length", "pattern", "json_schema_extra", "alias",
    )

    def __init__(self, default=MISSING, default_factory=None, **kwargs):
        self.default = default
        self.default_factory = default_factory
        for attr in self._ATTRS:
            setattr(self, attr, kwargs.pop(attr, None))
        kwargs.pop("strict", None)
        kwargs.pop("frozen", None)
        if kwargs:
            extra = dict(self.json_schema_extra or {})
            extra.update(kwargs)
            self.json_schema_extra = extra

    def default_value(self):
        """The default, calling ``default_factory`` when there is one; MISSING if required."""
        if self.default_factory is not None:
            return self.default_factory()
        return self.default

    def merge(self, other):
        """A copy with every attribute ``other`` sets taking precedence."""
        merged = copy.copy(self)
        for attr in self._ATTRS + ("default_factory",):
            value = getattr(other, attr)
            if value is not None:
                setattr(merged, attr, value)
        if other.default is not MISSING:
            merged.default = other.default
        return merged

    def __repr__(self):
        set_attrs = ", ".join(f"{a}={getattr(self, a)!r}" for a in self._ATTRS if getattr(self, a) is not None)
        return f"FieldInfo(default={self.default!r}{', ' if set_attrs else ''}{set_attrs})"


def Field(default=MISSING, *, default_factory=None, **kwargs):  # noqa: N802 - pydantic's spelling
    """Describes a parameter or model field: ``Field(description=..., ge=0)`` or ``Field(3, ...)``."""
    if default is Ellipsis:
        default = MISSING
    return FieldInfo(default, default_factory=default_factory, **kwargs)


class BaseModel:
    """A declared record: annotated class attributes become fields, as in pydantic."""

    model_config: typing.ClassVar[dict] = {}

    @classmethod
    def model_fields_info(cls):
        """``{name: (annotation, FieldInfo)}`` in declaration order, base classes first."""
        fields = {}
        for klass in reversed(cls.__mro__):
            if klass is object or klass is BaseModel or not issubclass(klass, BaseModel):
                continue
            hints = typing.get_type_hints(klass, include_extras=True)
            for name in klass.__dict__.get("__annotations__", {}):
                if name.startswith("_") or typing.get_origin(hints.get(name)) is typing.ClassVar:
                    continue
                raw = klass.__dict__.get(name, MISSING)
                info = raw if isinstance(raw, FieldInfo) else FieldInfo(raw)
                fields[name] = (hints.get(name, typing.Any), info)
        return fields

    @classmethod
    def model_json_schema(cls):
        from berth_sdk.schema import _Generator, finish  # berth_sdk.schema imports this module

        gen = _Generator()
        return finish(gen.generate(cls), gen.defs)

    def __init__(self, **data):
        for name, (tp, info) in self.model_fields_info().items():
            key = info.alias if info.alias and info.alias in data else name
            if key in data:
                value = _coerce(tp, data.pop(key))
            else:
                value = info.default_value()
                if value is MISSING:
                    raise ValidationError(f"{type(self).__name__}: field '{name}' is required")
                value = copy.deepcopy(value)
            object.__setattr__(self, name, value)
        if data and self.model_config.get("extra") == "forbid":
            raise ValidationError(f"{type(self).__name__}: unexpected fields {sorted(data)}")

    @classmethod
    def model_validate(cls, data):
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ValidationError(f"{cls.__name__} expects an object, got {type(data).__name__}")
        return cls(**data)

    def model_dump(self, **_options):
        out = {}
        for name in self.model_fields_info():
            value = getattr(self, name)
            out[name] = value.model_dump() if isinstance(value, BaseModel) else value
        return out

    def model_dump_json(self, **_options):
        from berth_sdk.schema import to_jsonable  # berth_sdk.schema imports this module

        return json.dumps(to_jsonable(self), separators=(",", ":"), ensure_ascii=False)

    def __eq__(self, other):
        return type(self) is type(other) and self.model_dump() == other.model_dump()

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.model_dump().items())
        return f"{type(self).__name__}({args})"


def _coerce(tp, value):
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(value, dict):
        return tp.model_validate(value)
    return value


ConfigDict = dict

__all__ = ["BaseModel", "ConfigDict", "Field", "FieldInfo", "ValidationError"]
