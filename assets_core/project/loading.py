"""A project: the folder holding ``assets.toml``, its config, and loading its definitions.

``assets.toml``::

    [project]
    name = "orders"
    modules = ["orders_assets"]      # Python modules, importable from the project folder
    sql_dir = "sql"                  # *.sql files; the file name is the asset name
    data_dir = "data"                # Parquet files and the DuckDB warehouse
    catalog = "sqlite:///.assets/catalog.db"   # or postgresql://user@host:5432/db; ASSETS_CATALOG_URL overrides

    [pools]                          # concurrency limits, named by assets' pool=
    warehouse = 2

    [retry]                          # the default RetryPolicy of assets without retry=
    max_attempts = 3
    delay = 1.0

    [hooks]                          # best-effort notifications: module:function or a webhook URL
    on_failure = ["alerts:page_oncall"]
    on_quarantine = ["http://127.0.0.1:8080/assets"]

    [openlineage]                    # OpenLineage events of every partition materialization
    file = "openlineage.jsonl"       # JSON lines, appended
    url = "http://localhost:5000"    # an OpenLineage HTTP endpoint (Marquez); or OPENLINEAGE_URL

    [storage]                        # with data_dir = "s3://bucket/prefix": Parquet assets in a bucket
    endpoint = "http://127.0.0.1:9000"  # else AWS_ENDPOINT_URL (else AWS itself)
    region = "eu-west-1"             # else AWS_REGION / AWS_DEFAULT_REGION
    access_key_id = "..."            # else AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY)

Paths are relative to the project folder.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import threading
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt, ValidationError

from assets_core.definitions.retries import RetryPolicy
from assets_core.definitions.schema import SCHEMA, problems_from
from assets_core.errors import AssetsCoreError, DefinitionError, ProjectError

CONFIG_FILE = "assets.toml"
STATE_DIR = ".assets"
CATALOG_ENV = "ASSETS_CATALOG_URL"
"""A catalog URL that overrides ``catalog`` in assets.toml (one project, several machines)."""
OBJECT_STORE_SCHEME = "s3://"


class ProjectConfig(BaseModel):
    """The ``[project]`` table."""

    model_config = SCHEMA

    name: str = Field(description="give the project's name, such as name = \"orders\"")
    modules: list[str] = Field(default=[], description="give a list of module names, such as [\"orders_assets\"]")
    sql_dir: str | None = Field(default=None, description="give a folder in the project folder, such as \"sql\"")
    data_dir: str = Field(default="data", description="give a folder in the project folder, such as \"data\", or a bucket, such as \"s3://bucket/prefix\"")
    warehouse: str = Field(default="warehouse.duckdb", description="give a file name in data_dir")
    catalog: str = Field(
        default=f"sqlite:///{STATE_DIR}/catalog.db",
        description="give a catalog URL, such as \"sqlite:///.assets/catalog.db\"",
    )


class HooksConfig(BaseModel):
    """The ``[hooks]`` table: best-effort notifications, ``module:function`` or a webhook URL."""

    model_config = SCHEMA

    on_failure: list[str] = Field(default=[], description='give a list of hooks, such as ["alerts:page_oncall"]')
    on_quarantine: list[str] = Field(default=[], description='give a list of hooks, such as ["alerts:post_to_channel"]')
    on_freshness: list[str] = Field(default=[], description='give a list of hooks, such as ["alerts:freshness_changed"]')
    on_freshness_timeout: PositiveFloat = Field(
        default=5.0, description="give seconds above 0 that `assets freshness` waits for its hooks, such as 5")


class OpenLineageConfig(BaseModel):
    """The ``[openlineage]`` table: where OpenLineage events go (nowhere without ``file`` or
    ``url``, unless ``OPENLINEAGE_URL`` is set). See ``assets_core.execution.openlineage``."""

    model_config = SCHEMA

    file: str | None = Field(default=None, description='give a file in the project folder, such as "openlineage.jsonl"')
    url: str | None = Field(default=None, description='give the URL of an OpenLineage server, such as "http://localhost:5000"')
    endpoint: str | None = Field(default=None, description='give the path of the API on that server, such as "api/v1/lineage"')
    api_key: str | None = Field(default=None, description="give the token the server expects (or set OPENLINEAGE_API_KEY)")
    namespace: str | None = Field(default=None, description='give a namespace, such as "assets-core://shop"')
    timeout: PositiveFloat = Field(default=5.0, description="give seconds above 0, such as 5")


class ExecutionConfig(BaseModel):
    """The ``[execution]`` table: where partitions are computed when the command line does not
    say, and how a run holds its partitions (see ``assets_core.execution.leases``)."""

    model_config = SCHEMA

    executor: Literal["threads", "processes", "dask"] = Field(
        default="threads", description='give "threads", "processes" or "dask"')
    dask_address: str | None = Field(
        default=None, description='give a Dask scheduler address, such as "tcp://scheduler:8786"')
    lease_seconds: PositiveFloat = Field(
        default=30.0, description="give seconds above 0, such as 30 (ASSETS_LEASE_SECONDS overrides it)"
    )


class StorageConfig(BaseModel):
    """The ``[storage]`` table: how to reach the bucket of ``data_dir = "s3://bucket/prefix"``.
    Each key left out is taken from the standard AWS environment variable (see
    ``assets_core.storage.objects``)."""

    model_config = SCHEMA

    endpoint: str | None = Field(default=None, description='give the URL of an S3-compatible server, such as "http://127.0.0.1:9000"')
    region: str | None = Field(default=None, description='give a region, such as "eu-west-1"')
    access_key_id: str | None = Field(default=None, description="give an access key id (or set AWS_ACCESS_KEY_ID)")
    secret_access_key: str | None = Field(default=None, description="give its secret (or set AWS_SECRET_ACCESS_KEY)")


class Settings(BaseModel):
    """The tables of assets.toml besides [project]."""

    model_config = SCHEMA

    pools: dict[str, PositiveInt] = Field(
        default={}, description="give a whole number of partitions above 0, such as warehouse = 2"
    )
    retry: RetryPolicy = Field(default=RetryPolicy(), description="give a table such as max_attempts = 3")
    hooks: HooksConfig = Field(default=HooksConfig(), description="give a table such as on_failure = [\"alerts:page\"]")
    openlineage: OpenLineageConfig = Field(
        default=OpenLineageConfig(), description='give a table such as file = "openlineage.jsonl"'
    )
    execution: ExecutionConfig = Field(default=ExecutionConfig(), description='give a table such as executor = "dask"')
    storage: StorageConfig = Field(default=StorageConfig(), description='give a table such as region = "eu-west-1"')


class ConfigFile(Settings):
    """All of assets.toml as read: the [project] table and the settings tables."""

    project: ProjectConfig = Field(description='add one with at least name = "..."')


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig
    settings: Settings = Settings()

    @property
    def retry(self) -> RetryPolicy:
        """The default policy: assets.toml's [retry], else transient errors, 3 attempts."""
        return self.settings.retry

    @property
    def data_url(self) -> str | None:
        """``s3://bucket/prefix`` when the Parquet assets live in a bucket, else None."""
        return self.config.data_dir if self.config.data_dir.startswith(OBJECT_STORE_SCHEME) else None

    @property
    def data_dir(self) -> Path:
        """The local data folder: Parquet files, or with a bucket (:attr:`data_url`) what stays on
        this machine (the DuckDB warehouse, staging, quarantine) in ``data``."""
        return self.root / ("data" if self.data_url is not None else self.config.data_dir)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / self.config.warehouse

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def sql_dir(self) -> Path | None:
        return None if self.config.sql_dir is None else self.root / self.config.sql_dir


def find_project(start: Path | None = None, explicit: Path | None = None) -> Project:
    """The project in ``explicit``, or the nearest folder upwards from ``start`` with an assets.toml."""
    if explicit is not None:
        if not (explicit / CONFIG_FILE).is_file():
            raise ProjectError(f"{explicit} has no {CONFIG_FILE}: pass a project folder, or create one with `assets init DIR`.")
        return load_project(explicit)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return load_project(folder)
    raise ProjectError(
        f"Not in an assets-core project: no {CONFIG_FILE} in {here} or above. "
        "cd into a project, pass --project DIR, or create one with `assets init DIR`."
    )


def load_project(root: Path) -> Project:
    path = root / CONFIG_FILE
    try:
        raw = tomllib.loads(_text_of(path))
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{path} is not valid TOML: {exc}. Fix that line.") from None
    try:
        read = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc, ConfigFile, str(path), noun="key", given=list(raw), tables=True)
        raise ProjectError("\n".join(problems)) from None
    config = read.project
    if os.environ.get(CATALOG_ENV):
        config = config.model_copy(update={"catalog": os.environ[CATALOG_ENV]})
    project = Project(root.resolve(), config, read)
    _check_settings(project, path)
    return project


def _text_of(path: Path) -> str:
    """A project file (assets.toml, a .sql file) as text; one that is not UTF-8 (binary) or
    cannot be read is a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path} is not a text file (not UTF-8: byte {exc.object[exc.start]:#04x} at offset "
                           f"{exc.start}): write it as UTF-8 text.") from None
    except OSError as exc:
        raise ProjectError(f"{path} cannot be read ({exc.strerror or exc}): check it is a readable file.") from None


def _check_settings(project: Project, path: Path) -> None:
    for event, hooks in project.settings.hooks.model_dump().items():
        if not isinstance(hooks, list):
            continue
        if hooks:  # the webhook machinery (ssl, http) is only imported by projects that use it
            from assets_core.execution.hooks import validate_hook
        for hook in hooks:
            problem = validate_hook(hook)
            if problem:
                raise ProjectError(f"{path}: [hooks] {event}: {problem}")
    if project.settings.openlineage.url is not None:
        from assets_core.execution.openlineage.transports import url_problem

        problem = url_problem(project.settings.openlineage.url)
        if problem:
            raise ProjectError(f"{path}: [openlineage] url: {problem}")


# -- loading definitions -----------------------------------------------------------------------


def _source_files(project: Project) -> list[Path]:
    """Files whose change can change a definition: Python modules, SQL files, the config."""
    local_data = "data" if project.data_url is not None else project.config.data_dir
    skip = {STATE_DIR, local_data.split("/")[0], "__pycache__", ".git", ".venv"}
    files = [project.root / CONFIG_FILE]
    for path in sorted(project.root.rglob("*.py")):
        if not skip.intersection(path.relative_to(project.root).parts):
            files.append(path)
    if project.sql_dir is not None and project.sql_dir.is_dir():
        files.extend(sorted(project.sql_dir.glob("*.sql")))
    return files


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
    return digest.hexdigest()


def load_specs(project: Project) -> list[Any]:
    """Import the project's modules and read its SQL files; every problem reported at once."""
    from assets_core.definitions.specs import AssetSpec

    from assets_core.checks import CustomCheck

    problems: list[str] = []
    specs: list[AssetSpec] = []
    custom_checks: list[CustomCheck] = []
    seen: set[int] = set()
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    for name in project.config.modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # user code: one line with where it broke
            problems.append(_import_problem(name, exc, project.root))
            continue
        for value in vars(module).values():
            if isinstance(value, (AssetSpec, CustomCheck)) and id(value) not in seen:
                seen.add(id(value))
                (specs if isinstance(value, AssetSpec) else custom_checks).append(value)  # type: ignore[arg-type]
    if project.sql_dir is not None:
        if not project.sql_dir.is_dir():
            problems.append(f"sql_dir '{project.config.sql_dir}' in {CONFIG_FILE} is not a folder: create it or fix the path.")
        else:
            for path in sorted(project.sql_dir.glob("*.sql")):
                try:
                    specs.append(_sql_file_spec(path))
                except DefinitionError as exc:
                    problems.extend(exc.problems)
                except ProjectError as exc:  # not text
                    problems.append(str(exc))
    specs = _attach_checks(specs, custom_checks, problems)
    problems.extend(_pool_problems(specs, project))
    if problems:
        raise DefinitionError(problems)
    return specs


def _attach_checks(specs: list[Any], custom: list[Any], problems: list[str]) -> list[Any]:
    """``@check(asset=...)`` functions join the checks of the asset they name."""
    from difflib import get_close_matches

    by_asset: dict[str, list[Any]] = {}
    names = {spec.name for spec in specs}
    for check in custom:
        if check.asset not in names:
            close = get_close_matches(check.asset, names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"@check '{check.name}' is for asset '{check.asset}', which does not exist.{hint}")
        by_asset.setdefault(check.asset, []).append(check)
    return [spec.with_checks(by_asset[spec.name]) if spec.name in by_asset else spec for spec in specs]


def _pool_problems(specs: list[Any], project: Project) -> list[str]:
    pools = project.settings.pools
    return [
        f"Asset '{spec.name}' uses pool '{spec.pool}', which [pools] in {CONFIG_FILE} does not declare: "
        f"add `{spec.pool} = N` there{' (declared: ' + ', '.join(pools) + ')' if pools else ''}."
        for spec in specs
        if spec.pool is not None and spec.pool not in pools
    ]


def _import_problem(module: str, exc: Exception, root: Path) -> str:
    if isinstance(exc, ModuleNotFoundError) and exc.name == module.split(".")[0]:
        return f"Module '{module}' listed in {CONFIG_FILE} was not found: check `modules` and the file name."
    if isinstance(exc, SyntaxError):
        return f"{exc.filename}:{exc.lineno}: syntax error in module '{module}': {exc.msg}."
    # Point at the user's line, not at the library frame that raised.
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    own = [f for f in frames if Path(f.filename).resolve().is_relative_to(root)]
    chosen = own or frames
    where = f"{chosen[-1].filename}:{chosen[-1].lineno}: " if chosen else ""
    cause = str(exc) if isinstance(exc, AssetsCoreError) else f"{type(exc).__name__}: {exc}"
    return f"{where}importing module '{module}' failed: {cause}"


def _sql_file_spec(path: Path) -> Any:
    """A ``.sql`` file: options in a leading ``--`` comment block, written as TOML."""
    from assets_core.definitions.options import sql_file_options
    from assets_core.definitions.specs import sql_spec

    text = _text_of(path)
    header = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped:
                break
            continue
        header.append(stripped[2:].strip())
    try:
        options: dict[str, Any] = tomllib.loads("\n".join(header))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([f"{path}: the options in the leading comment block are not TOML: {exc}."]) from None
    read, problems = sql_file_options(options, path)
    return sql_spec(path.stem, text, read, f"{path}:1", problems)


def load_graph(project: Project, use_manifest: bool = True) -> Any:
    """The validated asset graph. With ``use_manifest``, an unchanged project is read from
    its cached manifest without importing user code (the no-op run's fast path); the
    result then has no functions or checks, only what planning and reporting need."""
    from assets_core.graph import build_graph

    files = _source_files(project)
    fingerprint = _fingerprint(files)
    manifest = project.state_dir / "manifest.json"
    if use_manifest and manifest.is_file():
        from assets_core.project.manifest import read_manifest

        cached = read_manifest(manifest, fingerprint)
        if cached is not None:
            return build_graph(cached)
    graph = build_graph(load_specs(project))
    _write_manifest(project, manifest, fingerprint, graph)
    return graph


def _write_manifest(project: Project, path: Path, fingerprint: str, graph: Any) -> None:
    from assets_core.project.manifest import manifest_text

    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # worker processes write it too
    temp.write_text(manifest_text(graph, fingerprint))
    temp.replace(path)
