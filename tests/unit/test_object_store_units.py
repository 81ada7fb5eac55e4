"""Object storage: names, settings, and the garbage rule, against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assets_core.errors import ProjectError
from assets_core.project.loading import load_project
from assets_core.storage.objects import BucketSettings, ObjectStore, split_url
from assets_core.storage.remote import MANIFEST, RemoteParquet, object_name, run_of

ROOT = Path(__file__).resolve().parents[2]


def test_an_object_name_holds_the_data_version_and_the_run() -> None:
    name = object_name("c1:5b0e2c61a0f4e8d9c3b7a1f2e6d40", "20250102T030405-a1b2c3")
    assert name == "c1-5b0e2c61a0f4e8d9c3b7a1f2e6d40.20250102T030405-a1b2c3.parquet"
    assert run_of(f"orders/partition_key=2025-01-01/{name}") == "20250102T030405-a1b2c3"
    assert run_of("orders/_manifest.json") is None
    assert run_of("orders/partition_key=2025-01-01/data.parquet") is None  # not a name this module makes


def test_settings_take_the_storage_table_first_then_the_aws_environment() -> None:
    env = {"AWS_ENDPOINT_URL": "http://env:9000", "AWS_DEFAULT_REGION": "eu-west-3",
           "AWS_ACCESS_KEY_ID": "env-key", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok"}
    from_env = BucketSettings.resolve({}, env)
    assert from_env == BucketSettings("http://env:9000", "eu-west-3", "env-key", "env-secret", "tok")
    table = {"endpoint": "http://table:9000", "region": "us-west-2", "access_key_id": "k", "secret_access_key": "s"}
    assert BucketSettings.resolve(table, {**env, "AWS_REGION": "ap-south-1"}) == BucketSettings(
        "http://table:9000", "us-west-2", "k", "s", None)  # the environment's session token is not the table's key's
    assert BucketSettings.resolve({}, {"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-3"}).region == "ap-south-1"
    assert BucketSettings.resolve({}, {}).region == "us-east-1"


def test_a_bucket_url_names_a_bucket() -> None:
    assert split_url("s3://lake/shop/orders/") == ("lake", "shop/orders")
    assert split_url("s3://lake") == ("lake", "")
    with pytest.raises(ProjectError, match="names no bucket"):
        split_url("s3:///prefix")


def test_a_storage_key_typo_names_the_closest_key(tmp_path: Path) -> None:
    (tmp_path / "assets.toml").write_text('[project]\nname = "p"\ndata_dir = "s3://lake/p"\n[storage]\nendpont = "x"\n')
    with pytest.raises(ProjectError, match="endpoint"):
        load_project(tmp_path)
    (tmp_path / "assets.toml").write_text('[project]\nname = "p"\ndata_dir = "s3://lake/p"\n')
    project = load_project(tmp_path)
    assert project.data_url == "s3://lake/p" and project.data_dir == tmp_path.resolve() / "data"


def test_a_local_project_never_imports_the_object_store(tmp_path: Path) -> None:
    (tmp_path / "assets.toml").write_text('[project]\nname = "p"\n')
    code = (
        "import sys; from pathlib import Path\n"
        "from assets_core.project.loading import load_project\n"
        "import assets_core.execution.run, assets_core.cli.app\n"
        "from assets_core.execution.stores import open_storage\n"
        f"storage = open_storage(load_project(Path({str(tmp_path)!r})))\n"
        "assert storage.remote is None\n"
        "print([m for m in ('assets_core.storage.remote', 'assets_core.storage.objects', 'pyarrow._s3fs') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_garbage_is_only_what_no_catalog_entry_names_and_whose_run_is_over(s3_server: Any, tmp_path: Path) -> None:
    bucket = s3_server.bucket()
    bucket.prefix = "lake"
    store = ObjectStore(f"s3://{bucket.name}/lake", BucketSettings(bucket.endpoint, "us-east-1", "testing", "testing"))
    staged = tmp_path / "x.parquet"
    staged.write_bytes(b"PAR1")
    names = {run: f"orders/partition_key=2025-01-01/{object_name('c1:ab', run)}" for run in ("done-1", "done-2", "live-3", "unknown-4")}
    for name in names.values():
        store.put_file(staged, name)
    store.put_file(staged, "orders/partition_key=2025-01-01/by-hand.parquet")  # not a name the engine makes
    recorded = {"2025-01-01": ("c1:ab", "done-1")}  # what the catalog says is published
    remote = RemoteParquet(store, tmp_path / "copies", lambda asset, keys: dict(recorded))
    finished = {"done-1": True, "done-2": True, "live-3": False}

    removed = remote.collect_garbage(["orders"], lambda run: finished.get(run, False))
    assert removed == [store.url(names["done-2"])]
    assert store.list("orders") == sorted([names["done-1"], names["live-3"], names["unknown-4"],
                                           "orders/partition_key=2025-01-01/by-hand.parquet", f"orders/{MANIFEST}"])
    manifest = json.loads(store.get_bytes(f"orders/{MANIFEST}") or b"{}")
    assert manifest == {"asset": "orders", "partitions": {"2025-01-01": store.url(names["done-1"])},
                        "files": [store.url(names["done-1"])]}


def test_a_superseded_object_goes_only_once_the_catalog_names_its_successor(s3_server: Any, tmp_path: Path) -> None:
    bucket = s3_server.bucket()
    store = ObjectStore(f"s3://{bucket.name}/lake", BucketSettings(bucket.endpoint, "us-east-1", "testing", "testing"))
    staged = tmp_path / "x.parquet"
    keys = ("2025-01-01", "2025-01-02", "2025-01-03")

    def name(key: str, run: str) -> str:
        return f"orders/partition_key={key}/{object_name('c1:ab', run)}"

    for key in keys:
        for run in ("old", "new"):
            staged.write_bytes(b"PAR1")
            store.put_file(staged, name(key, run))
    recorded = {key: ("c1:ab", "old") for key in keys}
    remote = RemoteParquet(store, tmp_path / "copies", lambda asset, wanted: {k: recorded[k] for k in (wanted or recorded)})
    for key in keys:
        remote.published("orders", key, store.url(name(key, "new")))
    assert remote.current("orders", list(keys)) == {k: name(k, "new") for k in keys}  # the run reads its own
    assert remote.recorded("orders", None) == {k: name(k, "old") for k in keys}  # everyone else: the catalog's

    recorded[keys[0]] = ("c1:ab", "new")  # the catalog commits the first; the third is refused (a lease lost)
    remote.committed([("orders", keys[0]), ("orders", keys[2])])
    left = set(store.list("orders"))
    assert name(keys[0], "old") not in left
    assert {name(keys[1], "old"), name(keys[2], "old"), name(keys[0], "new")} <= left  # still named by the catalog
    manifest = json.loads(store.get_bytes(f"orders/{MANIFEST}") or b"{}")
    assert manifest["partitions"] == {keys[0]: store.url(name(keys[0], "new")), keys[1]: store.url(name(keys[1], "old")),
                                      keys[2]: store.url(name(keys[2], "old"))}

    recorded[keys[1]] = ("c1:ab", "new")  # the second's commit, later
    remote.committed([("orders", keys[1])])
    assert name(keys[1], "old") not in set(store.list("orders"))
    assert name(keys[2], "old") in set(store.list("orders"))
