"""Options are schemas, through the real CLI: a mistake in assets.toml, in a SQL file's header or in
an asset's options is one ``error:`` line naming the file or asset, the key and the closest valid
name; exit 1, no traceback, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_project import Project
from test_errors import assert_one_line

MODULE = '''\
import polars as pl
from assets_core import DailyPartitions, asset

DAYS = DailyPartitions("2025-01-01", "2025-01-03")

@asset(partitions=DAYS)
def raw() -> pl.DataFrame:
    return pl.DataFrame({"amount": [1.0]})
'''

CONFIG = '[project]\nname = "shop"\nmodules = ["shop_assets"]\nsql_dir = "sql"\n'


def make_shop(root: Path, config: str = CONFIG, module: str = MODULE, sql: str | None = None) -> Project:
    """A project with one daily Python asset, and a SQL file ``sql/daily_revenue.sql`` when given."""
    (root / "assets.toml").write_text(config)
    (root / "shop_assets.py").write_text(module)
    (root / "sql").mkdir()
    if sql is not None:
        (root / "sql" / "daily_revenue.sql").write_text(sql)
    return Project(root)


# (id, what replaces or follows the [project] table, words of the one line)
CONFIG_ERRORS = [
    ("project_unknown_key", CONFIG.replace("modules", "modulez"),
     ["assets.toml [project]: unknown key 'modulez'. Did you mean 'modules'?"]),
    ("retry_unknown_key", CONFIG + "[retry]\nmax_atempts = 3\n",
     ["assets.toml [retry]: unknown key 'max_atempts'. Did you mean 'max_attempts'?"]),
    ("retry_wrong_type", CONFIG + '[retry]\nmax_attempts = "3"\n',
     ["assets.toml [retry] has max_attempts='3': give a whole number of attempts, 1 or more."]),
    ("retry_unknown_exception", CONFIG + '[retry]\nretry_on = ["ConectionError"]\n',
     ["assets.toml [retry] has retry_on[0]='ConectionError':", "e.g. 'ConnectionError'"]),
    ("hooks_unknown_key", CONFIG + '[hooks]\non_failur = ["alerts:page"]\n',
     ["assets.toml [hooks]: unknown key 'on_failur'. Did you mean 'on_failure'?"]),
    ("hooks_a_string", CONFIG + '[hooks]\non_failure = "alerts:page"\n',
     ["assets.toml [hooks] has on_failure='alerts:page': give a list of hooks"]),
    ("pools_zero", CONFIG + "[pools]\nwarehouse = 0\n",
     ["assets.toml [pools] has warehouse=0: give a whole number of partitions above 0"]),
    ("unknown_table", CONFIG + "[retyr]\nmax_attempts = 3\n",
     ["assets.toml: unknown table [retyr]. Did you mean [retry]?"]),
    ("project_missing", '[pools]\nwarehouse = 2\n', ["assets.toml: table [project] is missing: add one with at least name ="]),
    ("project_name_missing", CONFIG.replace('name = "shop"\n', ""),
     ["assets.toml [project]: name is missing: give the project's name, such as name = \"orders\"."]),
]


@pytest.mark.parametrize(("config", "words"), [case[1:] for case in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS])
def test_a_mistake_in_assets_toml_is_one_line_naming_the_table_and_the_key(
    tmp_path: Path, config: str, words: list[str]
) -> None:
    project = make_shop(tmp_path, config=config)
    assert_one_line(project.run("list"), 1, words)
    assert not project.data.exists()


# (id, the header lines of sql/daily_revenue.sql, words of the one line)
HEADER_ERRORS = [
    ("unknown_option", '-- partition = { kind = "daily", start = "2025-01-01" }',
     ["sql/daily_revenue.sql: unknown option 'partition'. Did you mean 'partitions'?"]),
    ("code_version_number", "-- code_version = 5",
     ["sql/daily_revenue.sql has code_version=5: give a string without control characters, such as code_version='2'."]),
    ("timeout_nan", "-- timeout = nan", ["sql/daily_revenue.sql has timeout=nan: give a number of seconds above 0."]),
    ("checks_a_string", '-- checks = "not_null"',
     ["sql/daily_revenue.sql has checks='not_null': give a list of checks, such as"]),
    ("retry_unknown_key", "-- retry = { max_atempts = 3 }",
     ["sql/daily_revenue.sql: unknown option 'retry.max_atempts'. Did you mean 'max_attempts'?"]),
    ("tags_a_string", '-- tags = "finance"', ["sql/daily_revenue.sql has tags='finance': give a list of strings"]),
]


@pytest.mark.parametrize(("header", "words"), [case[1:] for case in HEADER_ERRORS], ids=[c[0] for c in HEADER_ERRORS])
def test_a_mistake_in_a_sql_header_is_one_line_naming_the_file_and_the_option(
    tmp_path: Path, header: str, words: list[str]
) -> None:
    project = make_shop(tmp_path, sql=f"{header}\nSELECT sum(amount) AS revenue FROM raw\n")
    assert_one_line(project.run("list"), 1, words)
    assert not project.data.exists()


# (id, a definition appended to the module, words of the one line)
MODULE_ERRORS = [
    ("sql_asset_partition", '@sql_asset(partition=DAYS)\ndef daily_revenue():\n    return "SELECT 1 AS x"\n',
     ["Asset 'daily_revenue': unknown option 'partition'. Did you mean 'partitions'?"]),
    ("partitions_a_number", "@asset(partitions=5)\ndef clean(raw):\n    return raw\n",
     ["Asset 'clean' has partitions=5: give a partitions definition"]),
    ("checks_of_numbers", "@asset(checks=[5])\ndef clean(raw):\n    return raw\n",
     ["Asset 'clean' has checks[0]=5: give a list of checks"]),
    ("code_version_number", "@asset(code_version=5)\ndef clean(raw):\n    return raw\n",
     ["Asset 'clean' has code_version=5: give a string"]),
    ("input_annotated_pandas", "@asset\ndef clean(raw: 'pd.DataFrame'):\n    return raw\n",
     ["Asset 'clean' has input 'raw' annotated pd.DataFrame:", "polars DataFrame"]),
    ("static_partitions_a_string", "@asset(partitions=StaticPartitions('abc'))\ndef regions():\n    return None\n",
     ["shop_assets.py:", "StaticPartitions('abc'): give a list of keys"]),
    ("retry_policy_unknown_key", "@asset(retry=RetryPolicy(max_atempts=3))\ndef clean(raw):\n    return raw\n",
     ["shop_assets.py:", "RetryPolicy: unknown option 'max_atempts'. Did you mean 'max_attempts'?"]),
]


@pytest.mark.parametrize(("definition", "words"), [case[1:] for case in MODULE_ERRORS], ids=[c[0] for c in MODULE_ERRORS])
def test_a_mistake_in_an_asset_s_options_is_one_line_before_any_data_moves(
    tmp_path: Path, definition: str, words: list[str]
) -> None:
    imports = "from assets_core import RetryPolicy, StaticPartitions, sql_asset\n"
    project = make_shop(tmp_path, module=MODULE + imports + definition)
    assert_one_line(project.run("materialize"), 1, words)
    assert not project.data.exists()


def test_an_end_offset_out_of_bounds_fails_at_load_time_even_after_data_was_published(tmp_path: Path) -> None:
    """It used to pass the load and fail with a traceback while planning."""
    project = make_shop(tmp_path)
    project.ok("materialize")
    published = sorted(project.files("raw"))
    versions = project.published_versions()
    project.edit("shop_assets.py", 'DailyPartitions("2025-01-01", "2025-01-03")',
                 'DailyPartitions("2025-01-01", end_offset=10**9)')
    result = project.run("materialize")
    assert_one_line(result, 1, ["shop_assets.py:", "end_offset=1000000000", "between -1000 and 1000"])
    assert sorted(project.files("raw")) == published
    assert project.published_versions() == versions
    assert project.catalog("SELECT count(*) FROM runs") == [(1,)]
