"""Parquet assets on S3-compatible storage (moto's server on 127.0.0.1), through the real CLI.

Readers know only the documented recipe (the asset's ``_manifest.json``, then its objects,
read by polars from the bucket) or, for what a plain listing sees, the bucket's listing.
The DuckDB asset (revenue) keeps its local warehouse and reads ``clean`` from the bucket.
"""

from __future__ import annotations

import signal

from cli_project import DAY, DAYS, Project


def _objects(project: Project, asset: str, key: str | None) -> list[str]:
    """The data objects a listing of one partition's folder sees (the manifest left out)."""
    folder = asset if key is None else f"{asset}/partition_key={key}"
    return [n for n in project.bucket.names(folder) if n.endswith(".parquet") and n.count("/") == folder.count("/") + 1]  # type: ignore[attr-defined]


def _landing_with(project: Project, day: str, extra: tuple[int, str, float]) -> None:
    rows = [(int(r["order_id"]), r["customer"], float(r["amount"])) for r in project.landing_rows(day)]
    project.write_landing(day, [*rows, extra])


def test_materialize_plan_show_inputs_and_checks_on_a_bucket(s3_landing: Project) -> None:
    project, bucket = s3_landing, s3_landing.bucket  # type: ignore[attr-defined]
    result = project.json("materialize")
    assert result["counts"]["published"] == 13 and result["status"] == "succeeded", result
    assert project.json("plan")["steps"] == []  # fresh: no local file is needed to say so

    # Nothing Parquet on the local disk but copies; the DuckDB warehouse stays local.
    assert not (project.data / "clean").exists() and project.warehouse.is_file()
    for day in DAYS:
        assert bucket.rows("clean", day) == project.expected_clean(day)
        assert bucket.rows("raw", day) == project.expected_clean(day)  # the landing files have no null amount
        assert project.revenue_rows(day) == project.expected_revenue(day)  # a SQL input read from the bucket
        assert len(_objects(project, "clean", day)) == 1
    assert bucket.rows("summary", None) == project.expected_summary()  # a downstream input of every partition
    every = bucket.rows("clean", every_partition=True)
    assert len(every) == len(set(every)) == sum(len(project.expected_clean(d)) for d in DAYS)
    assert bucket.duckdb_rows("clean") == every  # DuckDB over the manifest's objects, the same rows

    # The manifest names exactly what the catalog records.
    manifest = bucket.manifest("clean")
    recorded = {k: v for k, v in project.catalog(
        "SELECT partition, location FROM materializations WHERE asset = 'clean' AND status = 'published'")}
    assert manifest["partitions"] == recorded and sorted(recorded.values()) == manifest["files"]
    assert all(url.startswith(f"s3://{bucket.name}/lake/clean/partition_key=") for url in recorded.values())

    shown = project.ok("show", "clean", "--partition", DAY, "--format", "csv").stdout.splitlines()
    assert shown[0] == "order_id,customer,amount" and len(shown) == 1 + len(project.expected_clean(DAY))
    audited = project.json("check", "--select", "clean")  # the checks read the published objects
    assert (audited["audited"], audited["failed"]) == (len(DAYS), 0), audited

    # A rebuild switches every reader to the new objects and deletes the old ones.
    old = manifest["partitions"][DAY]
    project.change_landing(DAY)
    project.ok("materialize", "--partitions", DAY)
    assert project.json("plan")["steps"] == []
    assert bucket.rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
    assert bucket.rows("summary", None) == project.expected_summary()
    assert bucket.manifest("clean")["partitions"][DAY] != old
    assert [f"s3://{bucket.name}/{bucket.prefix}/{n}" for n in _objects(project, "clean", DAY)] == [bucket.manifest("clean")["partitions"][DAY]]
    assert len(_objects(project, "summary", None)) == 1


def test_a_failing_check_on_a_bucket_quarantines_locally_and_a_release_publishes_to_the_bucket(s3_built_landing: Project) -> None:
    project, bucket = s3_built_landing, s3_built_landing.bucket  # type: ignore[attr-defined]
    before = bucket.manifest("clean")
    duplicate_id = int(project.landing_rows(DAY)[0]["order_id"])
    _landing_with(project, DAY, (duplicate_id, "eve", 3.0))  # fails unique(order_id)

    run = project.run("materialize", "--partitions", DAY, "--json")
    assert run.returncode == 1, str(run)
    assert run.json()["counts"]["quarantined"] == 1
    assert bucket.manifest("clean") == before  # published data untouched
    assert len(_objects(project, "clean", DAY)) == 1
    kept = project.files(".quarantine")
    assert len(kept) == 1 and kept[0].parent.name == DAY

    project.ok("quarantine", "release", "clean", DAY, "--reason", "reviewed: the duplicate is real")
    after = bucket.manifest("clean")
    assert after["partitions"][DAY] != before["partitions"][DAY]
    assert {k: v for k, v in after["partitions"].items() if k != DAY} == {k: v for k, v in before["partitions"].items() if k != DAY}
    assert len(bucket.rows("clean", DAY)) == len(project.expected_clean(DAY))  # the duplicate included
    assert [f"s3://{bucket.name}/{bucket.prefix}/{n}" for n in _objects(project, "clean", DAY)] == [after["partitions"][DAY]]
    assert project.files(".quarantine") == []


def test_gc_removes_what_a_crash_between_upload_and_commit_left(s3_built_landing: Project) -> None:
    project, bucket = s3_built_landing, s3_built_landing.bucket  # type: ignore[attr-defined]
    old = bucket.rows("clean", DAY)
    current = bucket.manifest("clean")["partitions"][DAY]
    project.change_landing(DAY)
    killed = project.run("materialize", "--partitions", DAY, fault=f"catalog:clean:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)

    # A listing sees the uploaded object beside the current one; the manifest only the current.
    assert len(_objects(project, "clean", DAY)) == 2
    assert bucket.manifest("clean")["partitions"][DAY] == current and bucket.rows("clean", DAY) == old

    removed = project.json("gc")["removed"]
    # raw[DAY], clean[DAY] and summary (built from them) were uploaded in the batch never committed.
    assert sorted(url.split(f"/{bucket.prefix}/")[1].split("/")[0] for url in removed) == ["clean", "raw", "summary"], removed
    assert current not in removed
    assert all(len(_objects(project, asset, key)) == 1 for asset in ("raw", "clean") for key in DAYS)
    assert len(_objects(project, "summary", None)) == 1
    assert [f"s3://{bucket.name}/{bucket.prefix}/{n}" for n in _objects(project, "clean", DAY)] == [current]
    assert bucket.rows("clean", DAY) == old
    assert project.json("gc")["removed"] == []  # nothing left

    # Worker processes upload, and read what other workers published in the same run (not yet in the catalog).
    project.ok("materialize", "--partitions", DAY, "--workers", "2", "--executor", "processes")
    assert bucket.rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
    assert bucket.rows("summary", None) == project.expected_summary()
    assert len(_objects(project, "clean", DAY)) == 1


def test_credentials_from_the_aws_environment_variables(s3_landing: Project) -> None:
    project, bucket = s3_landing, s3_landing.bucket  # type: ignore[attr-defined]
    config = project.root / "assets.toml"
    config.write_text(config.read_text().split("[storage]")[0])
    env = {"AWS_ENDPOINT_URL": bucket.endpoint, "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = project.run("materialize", "--select", "raw", "--partitions", DAY, env=env)
    assert done.returncode == 0, str(done)
    assert bucket.rows("raw", DAY) == project.expected_clean(DAY)


def test_an_endpoint_that_does_not_answer_is_one_line_naming_it(s3_landing: Project) -> None:
    project = s3_landing
    config = project.root / "assets.toml"
    config.write_text(config.read_text().replace(project.bucket.endpoint, "http://127.0.0.1:9"))  # type: ignore[attr-defined]
    failed = project.run("materialize", "--select", "raw", "--partitions", DAY)
    assert failed.returncode == 1, str(failed)
    assert "Traceback" not in failed.stderr
    assert "http://127.0.0.1:9 does not answer" in failed.stdout + failed.stderr, str(failed)
    assert len(failed.error_lines) == 1, str(failed)
    # The run ends as failed, its leases released: nothing is left unknown.
    assert [r["status"] for r in project.json("runs")] == ["failed"]
    assert sum(entry["unknown"] for entry in project.json("status")) == 0


def test_a_release_killed_in_its_catalog_write_on_a_bucket_stays_in_quarantine(s3_built_landing: Project) -> None:
    """On a bucket the record is the switch: a release killed in the catalog write published
    nothing; the next command leaves the partition in quarantine, and a release then works."""
    project, bucket = s3_built_landing, s3_built_landing.bucket  # type: ignore[attr-defined]
    old = bucket.rows("clean", DAY)
    duplicate_id = int(project.landing_rows(DAY)[0]["order_id"])
    _landing_with(project, DAY, (duplicate_id, "eve", 3.0))
    assert project.run("materialize", "--partitions", DAY).returncode == 1
    killed = project.run("quarantine", "release", "clean", DAY, "--reason", "reviewed", fault=f"catalog:clean:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    assert bucket.rows("clean", DAY) == old

    status = {entry["asset"]: entry for entry in project.json("status")}
    assert (status["clean"]["unknown"], status["clean"]["quarantined"]) == (0, 1)
    assert bucket.rows("clean", DAY) == old
    project.ok("quarantine", "release", "clean", DAY, "--reason", "reviewed again")
    assert len(bucket.rows("clean", DAY)) == len(old) + 1  # the duplicate, released
    assert [f"s3://{bucket.name}/{bucket.prefix}/{n}" for n in _objects(project, "clean", DAY)] == [
        bucket.manifest("clean")["partitions"][DAY]]  # the killed release's upload went with the next one
