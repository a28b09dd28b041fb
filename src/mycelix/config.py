"""Settings: the one mapping of every `MYCELIX_*` variable, config-file key and default.

Each field of `Settings` is one setting. Its environment variable is ``MYCELIX_`` + the
upper-cased name, its config-file key is the name itself, and a command-line flag, where
there is one, carries the same name (`mycelix.cli.common.setting_option`). Precedence:

    flags (keyword arguments)  >  environment  >  config file  >  defaults

The config file is TOML: ``--config FILE`` / ``MYCELIX_CONFIG``, else
``<data_dir>/mycelix.toml`` when it exists (``data_dir`` from flags, environment or the
default; a ``data_dir`` key inside that file moves the node's data but is not searched for
another file). An explicit file that is missing, a key that is no setting, or a value that
does not parse raises `SettingsError` naming the variable, key or flag it came from, so the
CLI prints one line instead of a traceback.

Every component reads its paths from `Settings`, so `data_dir` moves everything a node keeps:
chain state, catalogue database, content store, deployment manifest.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mycelix.chain.errors import MycelixError

ENV_PREFIX = "MYCELIX_"
CONFIG_FILENAME = "mycelix.toml"
# Settings that are never read from a config file (the file's own location).
NOT_IN_FILE = frozenset({"config"})
# Settings kept out of reprs and exported environments.
SECRETS = frozenset({"private_key", "keystore_password"})


class SettingsError(MycelixError, ValueError):
    """A setting has a value that does not parse, or the config file is unusable."""


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    return ENV_PREFIX + field.upper()


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/mycelix`, else `~/.local/share/mycelix`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mycelix"


# An environment to read instead of os.environ (`Settings.from_env(environ)`).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("mycelix_environ", default=None)


def _environ() -> Mapping[str, str]:
    env = _ENVIRON.get()
    return os.environ if env is None else env


class Settings(BaseSettings):
    """Everything configurable. Defaults are the embedded, single-machine setup."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # An empty variable means "not set", as in the shell idiom `MYCELIX_X= mycelix ...`.
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_default=True,
    )

    config: Path | None = Field(
        None, description="TOML config file (default: DATA_DIR/mycelix.toml when it exists)."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where this node keeps everything."
    )
    # Chain: None means the embedded py-evm chain kept in `chain_dir`.
    rpc_url: str | None = Field(
        None,
        description="JSON-RPC node instead of the embedded chain.",
        examples=["http://127.0.0.1:8545"],
    )
    # Signing keys on an RPC node: environment or file only, never a flag.
    private_key: str | None = Field(
        None, repr=False, description="Hex key to sign with.", examples=["0x" + "00" * 32]
    )
    keystore: Path | None = Field(
        None,
        description="Encrypted JSON keystore to sign with.",
        examples=["/etc/mycelix/keystore.json"],
    )
    keystore_password: str | None = Field(
        None, repr=False, description="The keystore's password.", examples=["change me"]
    )
    token: str | None = Field(
        None,
        description="Use this existing ERC-20 instead of FLOW.",
        examples=["0x" + "00" * 20],
    )
    database_url: str | None = Field(
        None,
        description="Catalogue database URL.",
        examples=["postgresql://mycelix@127.0.0.1/mycelix"],
    )
    redis_url: str | None = Field(
        None,
        description="Redis for state shared by replicas.",
        examples=["redis://127.0.0.1:6379/0"],
    )
    host: str = Field("127.0.0.1", description="Listen address.")
    port: int = Field(8000, ge=1, le=65535, description="Listen port.")
    confirmations: int = Field(0, ge=0, description="Blocks to wait before trusting one.")
    # Comma-separated in the environment, a list (or the same string) in the file.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Browser origins allowed to call with credentials."
    )
    # Sign-In with Ethereum messages must name one of these (never the request's Host header).
    public_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins users reach the API at (default: http://HOST:PORT).",
        examples=[["https://music.example"]],
    )
    max_upload_mb: int = Field(200, ge=1, description="Largest audio upload, in MiB.")
    # The voucher settlement worker runs wherever the embedded indexer does.
    voucher_batch_size: int = Field(
        50, ge=1, le=128, description="Queued vouchers that trigger a settlement batch."
    )
    voucher_batch_age: int = Field(
        30, ge=1, description="Seconds the oldest queued voucher waits before a batch."
    )
    # Off for a separate `mycelix indexer run`.
    embedded_indexer: bool = Field(True, description="Run the chain indexer inside `serve`.")
    indexer_max_lag: int = Field(
        50, ge=0, description="Blocks behind the confirmed head before /ready fails."
    )
    # None: offered on a dev chain when `serve` listens on loopback only.
    dev_wallet: bool | None = Field(
        None,
        description="Offer the built-in dev wallet (the public dev accounts) to pages "
        "(default: on a dev chain served on loopback).",
        examples=[True],
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, values)) from None

    @field_validator("data_dir", "keystore", "config", mode="after")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("cors_origins", "public_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init = getattr(init_settings, "init_kwargs", {})
        return init_settings, _EnvSource(settings_cls), _FileSource(settings_cls, init)

    # ------------------------------------------------------------------ derived paths

    def __post_init__(self) -> None:
        # Callers pass paths as text too (`Settings(data_dir="a/str")`); everything downstream
        # joins them with `/`, so they become `Path`s here, once.
        for name in ("data_dir", "keystore"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))

    @property
    def chain_dir(self) -> Path:
        return self.data_dir / "chain"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def content_dir(self) -> Path:
        return self.data_dir / "content"

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'catalog.sqlite3'}"

    @property
    def embedded(self) -> bool:
        return self.rpc_url is None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `environ` (default: the process environment) and the config file,
        under explicit overrides (flags; None values are ignored)."""
        token = _ENVIRON.set(environ)
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        finally:
            _ENVIRON.reset(token)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A validated copy with the given fields replaced (None values are ignored)."""
        changed = {k: v for k, v in overrides.items() if v is not None}
        # Every field is passed, so neither the environment nor the file changes anything.
        return type(self)(**{**self.model_dump(), **changed})

    def to_env(self) -> dict[str, str]:
        """These settings as `MYCELIX_*` variables (secrets excepted: a child process inherits
        them from the environment, or reads them from the exported config file)."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if name in SECRETS or value is None:
                continue
            if isinstance(value, bool):
                env[env_name(name)] = "true" if value else "false"
            elif isinstance(value, list):
                if value:
                    env[env_name(name)] = ",".join(value)
            else:
                env[env_name(name)] = str(value)
        return env


def example_config() -> str:
    """A config file listing every setting, commented out, at its default (or an example
    where there is none), for `mycelix init` to write."""
    lines = [
        "# Mycelix configuration. Flags and MYCELIX_* variables override these values;",
        "# uncomment a line to change a setting (docs/configuration.md lists them all).",
    ]
    for name, field in Settings.model_fields.items():
        if name in NOT_IN_FILE:
            continue
        default = field.get_default(call_default_factory=True)
        if default is None and field.examples:
            value, note = field.examples[0], " (example; unset by default)"
        else:
            value, note = default, ""
        lines += ["", f"# {field.description}{note} [env: {env_name(name)}]"]
        lines.append(f"# {name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a TOML basic string.
    return json.dumps(str(value))


def describe_type(field: FieldInfo) -> str:
    """The type of a setting as docs/configuration.md names it."""
    annotation = str(field.annotation)
    for key, name in (
        ("list[str]", "list of strings"),
        ("bool", "boolean"),
        ("int", "integer"),
        ("Path", "path"),
        ("str", "string"),
    ):
        if key in annotation:
            return name
    raise AssertionError(f"no documented name for {annotation}")


class _EnvSource(EnvSettingsSource):
    """The environment, or the mapping `Settings.from_env` was given."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = _environ()
        return {k.lower(): v for k, v in env.items()}


class _FileSource(PydanticBaseSettingsSource):
    """The TOML config file (see the module docstring for where it is looked for)."""

    def __init__(self, settings_cls: type[BaseSettings], init: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.path, explicit = config_path(init)
        self.data: dict[str, Any] = {}
        if self.path is None:
            return
        if not self.path.is_file():
            if explicit:
                raise SettingsError(f"config file {self.path} does not exist")
            return
        try:
            data = tomllib.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"config file {self.path}: {exc}") from None
        fields = set(settings_cls.model_fields) - NOT_IN_FILE
        unknown = sorted(set(data) - fields)
        if unknown:
            raise SettingsError(
                f"config file {self.path}: unknown setting {', '.join(unknown)}"
                f" (known: {', '.join(sorted(fields))})"
            )
        self.data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def config_path(init: Mapping[str, Any]) -> tuple[Path | None, bool]:
    """Which config file applies, and whether it was named explicitly (then it must exist)."""
    env = _environ()
    explicit = init.get("config") or env.get(env_name("config")) or None
    if explicit:
        return Path(explicit).expanduser(), True
    data_dir = init.get("data_dir") or env.get(env_name("data_dir")) or None
    base = Path(data_dir).expanduser() if data_dir else default_data_dir()
    return base / CONFIG_FILENAME, False


def _describe(exc: ValidationError, init: Mapping[str, Any]) -> str:
    """One line naming where each bad value came from: flag, variable or file key."""
    env = _environ()
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        if name in init:
            source = f"{name}={init[name]!r}"
        elif env.get(env_name(name)):
            source = f"{env_name(name)}={env[env_name(name)]!r}"
        else:
            path, _ = config_path(init)
            source = f"{name} = {error.get('input')!r} in {path}"
        parts.append(f"{source}: {error['msg']}")
    return "bad setting: " + "; ".join(parts)
