"""Reading a function's parameters, and coercing JSON arguments to them as pydantic's lax mode does."""

import dataclasses
import enum
import inspect
import json
import types
import typing

from pydantic import MISSING, BaseModel, FieldInfo

from berth_sdk.context import Context
from berth_sdk.errors import DefinitionError, where
from berth_sdk.schema import NoneType, Param, _is_typeddict, field_from_metadata, strip_annotated


class ArgumentError(ValueError):
    """Arguments that do not fit the parameters; the message names the argument and the fix."""


def _is_context(tp):
    tp = strip_annotated(tp)[0]
    if isinstance(tp, str):
        return tp.split(".")[-1].strip("'\"") in ("Context", "Context | None", "Optional[Context]")
    if isinstance(tp, type) and issubclass(tp, Context):
        return True
    return any(_is_context(a) for a in typing.get_args(tp) if a is not NoneType)


def prepare(fn, kind):
    """``(params, context_param_names)`` for a tool, resource or prompt function."""
    if not callable(fn):
        raise DefinitionError(f"a {kind} must be a function, got {type(fn).__name__}")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"{where(fn)}: cannot read the signature of {kind} {fn!r}: {exc}") from exc
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: use the raw annotations
        hints = {}
    params, contexts = [], []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise DefinitionError(
                f"{where(fn)}: {kind} '{fn.__name__}' takes {'*' if p.kind == p.VAR_POSITIONAL else '**'}{p.name}; MCP passes arguments by name, "
                "so declare each parameter explicitly")
        if p.kind == p.POSITIONAL_ONLY:
            raise DefinitionError(
                f"{where(fn)}: {kind} '{fn.__name__}' has positional-only parameter '{p.name}'; "
                "remove the '/' so it can be passed by name")
        annotation = hints.get(p.name, p.annotation)
        if _is_context(annotation):
            contexts.append(p.name)
            continue
        if isinstance(annotation, str):
            raise DefinitionError(
                f"{where(fn)}: {kind} '{fn.__name__}': cannot resolve the type {annotation!r} of "
                f"parameter '{p.name}'; import it at module top level")
        info = field_from_metadata(strip_annotated(annotation)[1])
        default = p.default if p.default is not p.empty else MISSING
        if isinstance(default, FieldInfo):
            info = info.merge(default)
            default = default.default_value()
        elif info.default is not MISSING or info.default_factory is not None:
            default = info.default_value()
        params.append(Param(p.name, annotation, default, info, None))
    return params, contexts


Param.required = property(lambda self: self.default is MISSING)


def coerce(param, value, from_string=False):
    """The argument converted to the parameter's type; ArgumentError says what was expected."""
    if from_string and isinstance(value, str) and strip_annotated(param.annotation)[0] is not str:
        try:
            value = json.loads(value)
        except ValueError:
            pass
    try:
        return _coerce(param.annotation, value)
    except _Mismatch as exc:
        raise ArgumentError(f"argument '{param.name}'{exc.path}: {exc}") from None


class _Mismatch(ValueError):
    def __init__(self, message, path=""):
        super().__init__(message)
        self.path = path


def _kind(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", NoneType: "null"}.get(
        type(value), f"a {type(value).__name__}")


def _coerce(tp, value, path=""):
    tp = strip_annotated(tp)[0]
    if tp in (inspect.Parameter.empty, typing.Any, object) or isinstance(tp, (typing.TypeVar, str)):
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is None or tp is NoneType:
        if value is None:
            return None
        raise _Mismatch(f"expected null, got {_kind(value)}", path)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1) and not isinstance(value, float) or isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "0", "1"):
            return str(value).lower() in ("1", "true", "yes")
        raise _Mismatch(f"expected a boolean, got {_kind(value)}", path)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise _Mismatch(f"expected an integer, got {json.dumps(value) if _jsonish(value) else _kind(value)}", path)
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise _Mismatch(f"expected a number, got {json.dumps(value) if _jsonish(value) else _kind(value)}", path)
    if tp is str:
        if isinstance(value, str):
            return value
        raise _Mismatch(f"expected a string, got {_kind(value)}", path)
    if tp in (bytes, bytearray):
        if isinstance(value, str):
            return value.encode()
        raise _Mismatch(f"expected a string, got {_kind(value)}", path)
    if origin in (typing.Union, types.UnionType):
        for arg in args:  # exact type first, then lax, as pydantic's smart mode
            if _exact(arg, value):
                return _coerce(arg, value, path)
        errors = []
        for arg in args:
            try:
                return _coerce(arg, value, path)
            except _Mismatch as exc:
                errors.append(str(exc))
        raise _Mismatch(" or ".join(dict.fromkeys(errors)), path)
    if origin is typing.Literal:
        if value in args:
            return value
        raise _Mismatch(f"expected one of {list(args)}, got {json.dumps(value) if _jsonish(value) else _kind(value)}", path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise _Mismatch(f"expected one of {[m.value for m in tp]}, got {value!r}", path) from None
    if tp in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset, typing.Sequence) or tp is typing.Sequence:
        if not isinstance(value, list):
            raise _Mismatch(f"expected an array, got {_kind(value)}", path)
        container = origin or tp
        if container is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise _Mismatch(f"expected {len(args)} items, got {len(value)}", path)
            return tuple(_coerce(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else typing.Any
        items = [_coerce(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if container in (list, typing.Sequence) else container(items)
    if tp in (dict, typing.Dict) or origin in (dict, typing.Mapping):
        if not isinstance(value, dict):
            raise _Mismatch(f"expected an object, got {_kind(value)}", path)
        vt = args[1] if len(args) == 2 else typing.Any
        return {k: _coerce(vt, v, f"{path}.{k}") for k, v in value.items()}
    if _is_typeddict(tp) or (isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, BaseModel))):
        return _coerce_record(tp, value, path)
    return value


def _jsonish(value):
    return isinstance(value, (str, int, float, bool)) or value is None


def _exact(tp, value):
    tp = strip_annotated(tp)[0]
    if tp is NoneType or tp is None:
        return value is None
    if tp in (int, float, str, bool):
        return type(value) is tp
    return False


def _coerce_record(tp, value, path):
    if isinstance(value, tp) if isinstance(tp, type) and not _is_typeddict(tp) else False:
        return value
    if not isinstance(value, dict):
        raise _Mismatch(f"expected an object, got {_kind(value)}", path)
    hints = typing.get_type_hints(tp, include_extras=True)
    out = {}
    if _is_typeddict(tp):
        required = tp.__required_keys__
    elif dataclasses.is_dataclass(tp):
        required = {f.name for f in dataclasses.fields(tp)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    else:
        required = {n for n, (_, info) in tp.model_fields_info().items() if info.default_value() is MISSING}
    for key in required:
        if key not in value:
            raise _Mismatch(f"missing required field '{key}'", path)
    for key, v in value.items():
        if key in hints:
            out[key] = _coerce(hints[key], v, f"{path}.{key}")
    if _is_typeddict(tp):
        return out
    if dataclasses.is_dataclass(tp):
        return tp(**out)
    return tp.model_validate(out)
