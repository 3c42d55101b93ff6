"""Reading a function's parameters, and validating JSON arguments against them with pydantic.

Arguments are validated as fastmcp validates them: by a pydantic TypeAdapter over the function's
signature (lax mode: "7" for an int, ISO strings for dates, nested models, Field constraints, validators).
A tool whose arguments fail gets pydantic's message as its error result.
"""

import inspect
import json
import typing

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from berth_sdk.context import Context
from berth_sdk.dependencies import Dependency
from berth_sdk.errors import DefinitionError, where
from berth_sdk.schema import (
    MISSING,
    NoneType,
    Param,
    SchemaError,
    adapter,
    arguments_adapter,
    for_pydantic,
    strip_annotated,
)


class ArgumentError(ValueError):
    """Arguments that do not fit the parameters; the message names the argument and the fix."""


class ArgumentValidationError(ArgumentError):
    """Arguments pydantic refused; the message is pydantic's (``1 validation error for call[f] ...``)."""


def _is_context(tp):
    tp = strip_annotated(tp)[0]
    if isinstance(tp, str):
        return tp.split(".")[-1].strip("'\"") in ("Context", "Context | None", "Optional[Context]")
    if isinstance(tp, type) and issubclass(tp, Context):
        return True
    return any(_is_context(a) for a in typing.get_args(tp) if a is not NoneType)


def _field_default(info):
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()
    return MISSING


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
        if isinstance(p.default, Dependency):  # injected at each call (berth_sdk.dependencies), not an argument
            continue
        if _is_context(annotation):
            contexts.append(p.name)
            continue
        if isinstance(annotation, str):
            raise DefinitionError(
                f"{where(fn)}: {kind} '{fn.__name__}': cannot resolve the type {annotation!r} of "
                f"parameter '{p.name}'; import it at module top level")
        field = p.default if isinstance(p.default, FieldInfo) else None
        if field is not None:
            default = _field_default(field)
        elif p.default is not p.empty:
            default = p.default
        else:
            default = MISSING
            for meta in strip_annotated(annotation)[1]:
                if isinstance(meta, FieldInfo) and _field_default(meta) is not MISSING:
                    default = _field_default(meta)
        params.append(Param(p.name, annotation, default, field, None, p.default, p.kind))
    return params, contexts


_ADAPTERS = {}


def _arguments_adapter(name, params):
    """The TypeAdapter over ``params`` (built once per parameter list; the list is kept alive with it)."""
    key = (name, tuple(id(p) for p in params))
    found = _ADAPTERS.get(key)
    if found is None:
        try:
            found = (tuple(params), arguments_adapter(name, params))
        except SchemaError as exc:
            raise ArgumentError(f"cannot validate the arguments of '{name}': {exc}") from None
        _ADAPTERS[key] = found
    return found[1]


def bind(name, params, arguments, from_strings=False, strict=False):
    """The keyword arguments for a function ``name`` with ``params``, validated by pydantic.

    Missing optional arguments get their defaults (``default_factory`` is called). With ``from_strings``
    (prompt arguments, which MCP sends as strings) a string for a non-``str`` parameter is read as JSON
    first, as fastmcp does. Raises ArgumentValidationError with pydantic's message.
    """
    if not isinstance(arguments, dict):
        raise ArgumentError("arguments must be a JSON object")
    if from_strings:
        arguments = {k: _from_string(next((p for p in params if p.name == k), None), v)
                     for k, v in arguments.items()}
    try:
        if strict and _is_json_data(arguments):
            return _arguments_adapter(name, params).validate_json(json.dumps(arguments), strict=True)
        return _arguments_adapter(name, params).validate_python(arguments, strict=True if strict else None)
    except ValidationError as exc:
        raise ArgumentValidationError(str(exc)) from None


def _is_json_data(value):
    if value is None or isinstance(value, (str, int, float)):
        return True
    if isinstance(value, list):
        return all(_is_json_data(item) for item in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _is_json_data(v) for k, v in value.items())


def _from_string(param, value):
    if param is None or not isinstance(value, str) or strip_annotated(param.annotation)[0] is str:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class PromptArgumentsError(ValueError):
    """A render's arguments fastmcp refuses before the prompt runs; the server words it as a failed render
    (``Error rendering prompt 'x': ...``, JSON-RPC -32603), as fastmcp does."""


def prompt_arguments(name, params, arguments, conversion_error, prompt_name=None):
    """A fastmcp prompt's keyword arguments, as ``FunctionPrompt.render`` makes them: required names first
    (``Missing required arguments: {'x'}``), then each string read by its parameter's type (as a Python value,
    else as JSON; ``conversion_error(message)`` when neither fits), arguments the function does not take
    dropped, and the whole validated by pydantic (``Error rendering prompt 'prompt_name': ...``)."""
    if not isinstance(arguments, dict):
        raise ArgumentError("arguments must be a JSON object")
    missing = {p.name for p in params if p.required} - set(arguments)
    if missing:
        raise PromptArgumentsError(f"Missing required arguments: {missing}")
    by_name = {p.name: p for p in params}
    converted = {}
    for key, value in arguments.items():
        param = by_name.get(key)
        if param is None:
            continue
        if param.annotation is inspect.Parameter.empty or not isinstance(value, str):
            converted[key] = value
            continue
        try:
            converted[key] = _prompt_value(adapter(for_pydantic(param.annotation)), value)
        except (ValueError, TypeError) as exc:
            raise conversion_error(f"Could not convert argument '{key}' with value '{value}' to expected type "
                                   f"{param.annotation}. Error: {exc}") from None
    try:
        return _arguments_adapter(name, params).validate_python(converted)
    except ValidationError as exc:  # inside fastmcp's render: worded as the prompt's own failure, never masked
        raise conversion_error(f"Error rendering prompt {prompt_name!r}: {exc}") from None


def _prompt_value(type_adapter, value):
    try:
        python_value = type_adapter.validate_python(value)
    except (ValueError, TypeError):
        return type_adapter.validate_json(value)
    if isinstance(python_value, str):
        return python_value
    try:
        return type_adapter.validate_json(value)
    except (ValueError, TypeError):
        return python_value


class TemplateArgumentError(ValueError):
    """A resource template's argument that does not fit its parameter; the read fails with this message
    (``Error reading resource 'uri': ...``, JSON-RPC -32603), as fastmcp answers."""


def template_arguments(name, params, arguments):
    """A resource template's keyword arguments from the URI's strings, as fastmcp reads them: ``int``,
    ``float`` and ``bool`` parameters converted by Python's rules first, then the whole validated by
    pydantic as ``validate_call`` does (its error titled with the function's name)."""
    by_name = {p.name: p for p in params}
    converted = {}
    for key, value in arguments.items():
        param = by_name.get(key)
        if param is None:
            continue
        if isinstance(value, str) and param.annotation in (int, float, bool):
            if param.annotation is bool:
                lowered = value.lower()
                if lowered not in ("true", "1", "yes", "false", "0", "no"):
                    raise TemplateArgumentError(f"Invalid boolean value for {key}: {value!r}")
                value = lowered in ("true", "1", "yes")
            else:
                try:
                    value = param.annotation(value)
                except ValueError as exc:
                    raise TemplateArgumentError(str(exc)) from None
        converted[key] = value
    try:
        return _arguments_adapter(name, params).validate_python(converted)
    except ValidationError as exc:
        text = str(exc)
        first, _, rest = text.partition("\n")
        raise TemplateArgumentError(first.replace(f"for call[{name}]", f"for {name}") + "\n" + rest) from None
