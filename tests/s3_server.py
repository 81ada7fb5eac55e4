"""A real S3-compatible server on 127.0.0.1 (moto in server mode) for the object-storage
tests, a bucket per test, and readers of the bucket that know only the documented recipe
(README, "Object storage"): the asset's ``_manifest.json``, then the objects it lists, read
by polars straight from the bucket (not through the project's local copies).

With the ``CI`` environment variable set, a test that needs the server fails when it cannot
be started; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

KEY_ID, SECRET, REGION = "testing", "testing", "us-east-1"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the S3 test server cannot be started: {reason}")
    pytest.skip(f"no S3 test server: {reason} (pip install 'moto[server]')")


class S3Server:
    """``ThreadedMotoServer`` on a free port of 127.0.0.1, for the whole session."""

    def __init__(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            unavailable(str(exc))
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server._server.server_address  # port 0: the one the OS picked
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def bucket(self) -> Bucket:
        from pyarrow import fs

        bucket = Bucket(self.endpoint, f"t-{uuid.uuid4().hex[:16]}")
        bucket.filesystem(allow_bucket_creation=True).create_dir(bucket.name)
        assert bucket.fs.get_file_info(bucket.name).type == fs.FileType.Directory
        return bucket


@dataclass
class Bucket:
    endpoint: str
    name: str

    @property
    def fs(self) -> Any:
        return self.filesystem()

    def filesystem(self, allow_bucket_creation: bool = False) -> Any:
        from pyarrow import fs

        return fs.S3FileSystem(access_key=KEY_ID, secret_key=SECRET, region=REGION, scheme="http",
                               endpoint_override=self.endpoint.split("://")[1],
                               allow_bucket_creation=allow_bucket_creation)

    @property
    def polars_options(self) -> dict[str, str]:
        return {"aws_endpoint_url": self.endpoint, "aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET,
                "aws_region": REGION, "aws_allow_http": "true"}

    def storage_table(self) -> str:
        return (f'[storage]\nendpoint = "{self.endpoint}"\nregion = "{REGION}"\n'
                f'access_key_id = "{KEY_ID}"\nsecret_access_key = "{SECRET}"\n')

    def use_in(self, root: Path, prefix: str = "lake") -> None:
        """Point the project in ``root`` at ``s3://<bucket>/<prefix>``, with a [storage] table."""
        config = root / "assets.toml"
        text = config.read_text().replace('data_dir = "data"', f'data_dir = "s3://{self.name}/{prefix}"')
        assert f"s3://{self.name}/" in text, "the project's assets.toml has no data_dir = \"data\" to replace"
        config.write_text(text + "\n" + self.storage_table())
        self.prefix = prefix

    # -- listing readers and manifest readers ------------------------------------------------

    def names(self, under: str = "") -> list[str]:
        """Every object below ``<prefix>/<under>``: what a plain listing reader sees."""
        from pyarrow import fs

        root = f"{self.name}/{self.prefix}"
        infos = self.fs.get_file_info(fs.FileSelector(f"{root}/{under}".rstrip("/"), recursive=True, allow_not_found=True))
        return sorted(i.path[len(root) + 1:] for i in infos if i.type == fs.FileType.File)

    def manifest(self, asset: str) -> dict[str, Any] | None:
        try:
            with self.fs.open_input_stream(f"{self.name}/{self.prefix}/{asset}/_manifest.json") as stream:
                return json.loads(stream.read())  # type: ignore[no-any-return]
        except FileNotFoundError:
            return None

    def rows(self, asset: str, key: str | None = None, *, every_partition: bool = False) -> list[tuple[Any, ...]]:
        """What the documented read path sees: the manifest, then its objects, read by polars."""
        import polars as pl

        manifest = self.manifest(asset)
        if manifest is None:
            return []
        if every_partition:
            files = manifest["files"]
            if not files:
                return []
            frame = pl.read_parquet(files, storage_options=self.polars_options, hive_partitioning=True,
                                    hive_schema={"partition_key": pl.String})
        else:
            url = manifest["partitions"].get(key if key is not None else "")
            if url is None:
                return []
            frame = pl.read_parquet(url, storage_options=self.polars_options, hive_partitioning=False)
        return sorted(frame.rows(), key=repr)

    def duckdb_rows(self, asset: str) -> list[tuple[Any, ...]]:
        """Every partition through DuckDB without httpfs: the manifest's objects as a pyarrow
        dataset on the bucket, which DuckDB scans (the README's second DuckDB recipe)."""
        import duckdb
        import pyarrow.dataset as ds

        manifest = self.manifest(asset)
        assert manifest is not None
        dataset = ds.dataset([url.removeprefix("s3://") for url in manifest["files"]], filesystem=self.fs,
                             format="parquet", partitioning="hive")
        with duckdb.connect() as db:
            db.register("published", dataset)
            return sorted(db.execute("SELECT * FROM published").fetchall(), key=repr)

    def copy_prefix(self, source: str, target: str) -> None:
        """Every object under ``source`` copied (server-side) under ``target``, the manifests'
        URLs rewritten: a project built once, handed to each test under a prefix of its own."""
        root = f"{self.name}/{source}"
        from pyarrow import fs

        for info in self.fs.get_file_info(fs.FileSelector(root, recursive=True)):
            if info.type != fs.FileType.File:
                continue
            name = info.path[len(root) + 1:]
            if name.endswith("_manifest.json"):
                with self.fs.open_input_stream(info.path) as stream:
                    text = stream.read().decode().replace(f"s3://{root}/", f"s3://{self.name}/{target}/")
                with self.fs.open_output_stream(f"{self.name}/{target}/{name}") as out:
                    out.write(text.encode())
            else:
                self.fs.copy_file(info.path, f"{self.name}/{target}/{name}")
