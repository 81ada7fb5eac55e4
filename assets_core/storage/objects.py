"""An S3-compatible bucket, reached through pyarrow's S3 filesystem.

Why pyarrow's (``pyarrow.fs.S3FileSystem``) and not s3fs or obstore: pyarrow is already a
dependency (polars and the data versions use it), so a bucket costs no new package; its C++
client streams a file up or down without holding it in Python, retries with the AWS
standard strategy, and reads the same settings as every AWS tool. What it lacks is a
conditional PUT (``If-None-Match``), which is why published objects get names no other
writer can produce (``storage.remote``) rather than relying on the server to refuse a
second write.

Where the bucket is, and the credentials, come from ``[storage]`` in assets.toml, each key
left out from the standard environment variable::

    [storage]                           environment
    endpoint = "http://127.0.0.1:9000"  AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL (else AWS)
    region = "eu-west-1"                AWS_REGION, AWS_DEFAULT_REGION (else us-east-1)
    access_key_id = "..."               AWS_ACCESS_KEY_ID
    secret_access_key = "..."           AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN is used too)

Without keys anywhere, pyarrow's default chain applies (a profile, an instance role).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assets_core.errors import ProjectError, StorageError, TransientStorageError

if TYPE_CHECKING:
    from pyarrow import fs

SCHEME = "s3://"


@dataclass(frozen=True)
class BucketSettings:
    """How to reach the bucket: ``[storage]`` first, then the environment."""

    endpoint: str | None
    region: str
    access_key_id: str | None
    secret_access_key: str | None
    session_token: str | None = None

    @classmethod
    def resolve(cls, table: Mapping[str, str | None], env: Mapping[str, str] = os.environ) -> BucketSettings:
        """``table`` (the ``[storage]`` keys) over the AWS environment variables."""
        def pick(key: str, *names: str) -> str | None:
            return table.get(key) or next((env[n] for n in names if env.get(n)), None)

        return cls(
            pick("endpoint", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
            pick("region", "AWS_REGION", "AWS_DEFAULT_REGION") or "us-east-1",
            pick("access_key_id", "AWS_ACCESS_KEY_ID"),
            pick("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
            None if table.get("access_key_id") else env.get("AWS_SESSION_TOKEN") or None,
        )

    def polars_options(self) -> dict[str, str]:
        """The same settings as polars' ``storage_options`` (for the documented read recipe)."""
        options = {"aws_region": self.region}
        if self.endpoint:
            options["aws_endpoint_url"] = self.endpoint
            options["aws_allow_http"] = str(self.endpoint.startswith("http://")).lower()
        if self.access_key_id:
            options["aws_access_key_id"] = self.access_key_id
        if self.secret_access_key:
            options["aws_secret_access_key"] = self.secret_access_key
        return options


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` as ("bucket", "some/prefix"), or why it is not one."""
    rest = url[len(SCHEME):] if url.startswith(SCHEME) else ""
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ProjectError(f"data_dir = {url!r} names no bucket: give it as \"s3://bucket/prefix\".")
    return bucket, prefix.strip("/")


class ObjectStore:
    """Objects under ``s3://bucket/prefix``, named relative to the prefix (``orders/x.parquet``).

    >>> store = ObjectStore("s3://lake/shop", BucketSettings(None, "eu-west-1", None, None))  # doctest: +SKIP
    >>> store.url("orders/_manifest.json")  # doctest: +SKIP
    's3://lake/shop/orders/_manifest.json'
    """

    def __init__(self, url: str, settings: BucketSettings) -> None:
        self.bucket, self.prefix = split_url(url)
        self.settings = settings
        self._fs: fs.S3FileSystem | None = None

    @property
    def fs(self) -> fs.S3FileSystem:
        if self._fs is None:
            from pyarrow import fs

            endpoint, scheme = self.settings.endpoint, "https"
            if endpoint is not None:
                scheme, _, endpoint = endpoint.rpartition("://") if "://" in endpoint else ("https", "", endpoint)
            self._fs = fs.S3FileSystem(
                access_key=self.settings.access_key_id, secret_key=self.settings.secret_access_key,
                session_token=self.settings.session_token, region=self.settings.region,
                endpoint_override=endpoint, scheme=scheme, connect_timeout=5, request_timeout=60,
                retry_strategy=fs.AwsStandardS3RetryStrategy(max_attempts=3),
            )
        return self._fs

    def path(self, name: str) -> str:
        """``bucket/prefix/name``: what pyarrow's filesystem takes."""
        return "/".join(part for part in (self.bucket, self.prefix, name) if part)

    def url(self, name: str) -> str:
        return SCHEME + self.path(name)

    def name_of(self, url: str) -> str:
        """The inverse of :meth:`url`."""
        root = self.url("") + "/"
        if not url.startswith(root):
            raise StorageError(f"{url} is not in the bucket's prefix {root}: was data_dir changed? Rebuild with `assets materialize`.")
        return url[len(root):]

    def put_file(self, local: Path, name: str) -> None:
        """Upload ``local`` as ``name`` in one stream (pyarrow switches to a multipart upload
        past its part size; either way the object appears whole or not at all)."""
        try:
            with local.open("rb") as source, self.fs.open_output_stream(self.path(name), metadata={}) as sink:
                while chunk := source.read(8 << 20):
                    sink.write(chunk)
        except OSError as exc:
            raise self.failed(f"Cannot upload {local.name} to {self.url(name)}", exc) from None

    def put_bytes(self, data: bytes, name: str) -> None:
        try:
            with self.fs.open_output_stream(self.path(name), metadata={}) as sink:
                sink.write(data)
        except OSError as exc:
            raise self.failed(f"Cannot write {self.url(name)}", exc) from None

    def get_file(self, name: str, local: Path) -> bool:
        """Download ``name`` to ``local`` (through a temporary file, so ``local`` is whole or
        absent); False when there is no such object."""
        temporary = local.with_name(f".{local.name}.{os.getpid()}.part")
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            with self.fs.open_input_stream(self.path(name)) as source, temporary.open("wb") as sink:
                while chunk := source.read(8 << 20):
                    sink.write(chunk)
            os.replace(temporary, local)
            return True
        except FileNotFoundError:
            temporary.unlink(missing_ok=True)
            return False
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise self.failed(f"Cannot download {self.url(name)}", exc) from None

    def get_bytes(self, name: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(self.path(name)) as source:
                return bytes(source.read())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self.failed(f"Cannot read {self.url(name)}", exc) from None

    def list(self, under: str) -> list[str]:
        """Names of the objects below ``under`` (recursively), sorted."""
        from pyarrow import fs

        root = self.path("")
        try:
            infos = self.fs.get_file_info(fs.FileSelector(self.path(under), recursive=True, allow_not_found=True))
        except OSError as exc:
            raise self.failed(f"Cannot list {self.url(under)}", exc) from None
        return sorted(i.path[len(root) + 1:] for i in infos if i.type == fs.FileType.File)

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            try:
                self.fs.delete_file(self.path(name))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise self.failed(f"Cannot delete {self.url(name)}", exc) from None

    def failed(self, what: str, exc: OSError) -> StorageError:
        """One line: the cause, and the fix. A server that does not answer may come back
        (transient); a missing bucket or refused credentials do not."""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = self.settings.endpoint or f"AWS S3 ({self.settings.region})"
        if "NETWORK_CONNECTION" in first or "Couldn't connect" in first or "curlCode: 7" in first:
            return TransientStorageError(
                f"{what}: the S3 endpoint {where} does not answer ({first}); start it, or fix [storage] endpoint "
                "(or AWS_ENDPOINT_URL) in assets.toml."
            )
        if "NoSuchBucket" in first or "NO_SUCH_BUCKET" in first or "bucket does not exist" in first.lower():
            return StorageError(f"{what}: the bucket '{self.bucket}' does not exist at {where}: create it, or fix data_dir.")
        if "ACCESS_DENIED" in first or "InvalidAccessKeyId" in first or "SignatureDoesNotMatch" in first or "403" in first:
            return StorageError(
                f"{what}: {where} refused the credentials ({first}); set [storage] access_key_id / secret_access_key "
                "or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."
            )
        return StorageError(f"{what} ({first}): check [storage] in assets.toml and that the bucket is reachable.")
