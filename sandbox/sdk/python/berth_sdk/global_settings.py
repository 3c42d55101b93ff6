"""``fastmcp.settings``: fastmcp 4's global settings object. ``mask_error_details`` and
``strict_input_validation`` are the defaults of servers made afterwards, as natively; the transport, logging and
client settings mean nothing when Berth serves the project, so assigning one is a notice; any other name is an
error naming the settings there are."""

from pathlib import Path

from berth_sdk import options as opts

def _home():
    try:
        return Path.home() / ".local" / "share" / "fastmcp"
    except RuntimeError:  # no home directory (inside the sandbox)
        return Path("/.local/share/fastmcp")


_APPLIED = {"mask_error_details": False, "strict_input_validation": False}
_NOTED = {
    "transport": "stdio", "host": "127.0.0.1", "port": 8000, "sse_path": "/sse", "message_path": "/messages/",
    "streamable_http_path": "/mcp", "json_response": False, "stateless_http": False, "debug": False,
    "log_enabled": True, "log_level": "INFO", "enable_rich_logging": True, "enable_rich_tracebacks": True,
    "deprecation_warnings": True, "client_log_level": None, "show_server_banner": True,
    "check_for_updates": "stable", "http_host_origin_protection": False, "http_allowed_hosts": None,
    "http_allowed_origins": None, "http_session_idle_timeout": "auto", "server_dependencies": [],
    "home": _home(), "test_mode": False, "telemetry_mode": "native",
    "mcp_camelcase_compat": True, "client_init_timeout": None, "client_disconnect_timeout": 5.0,
    "client_raise_first_exceptiongroup_error": True, "oauth_encryption_key": None, "ssrf_trust_proxy": False,
    "mounted_components_raise_on_load_error": False,
}


class Settings:
    def __init__(self):
        object.__setattr__(self, "_values", {**_APPLIED, **_NOTED})

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"fastmcp.settings has no setting {name!r}")

    def __setattr__(self, name, value):
        values = object.__getattribute__(self, "_values")
        if name not in values:
            raise AttributeError(f"{opts.caller()}: fastmcp.settings has no setting {name!r}; its settings are "
                                 f"{', '.join(sorted(values))}")
        if name in _NOTED:
            opts.notice(f"{opts.caller()}: fastmcp.settings.{name} = {value!r} has no effect in Berth, which serves "
                        "the project itself")
        values[name] = value

    def model_dump(self, **_):
        return dict(object.__getattribute__(self, "_values"))


settings = Settings()
