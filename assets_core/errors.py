"""The exceptions a user can meet. Each message names the thing that is wrong and the fix."""

from __future__ import annotations


class AssetsCoreError(Exception):
    """A user mistake: the CLI prints it as one line and exits non-zero, no traceback."""

    exit_code = 1


class UsageError(AssetsCoreError):
    """A bad command-line argument (exit code 2)."""

    exit_code = 2


class ProjectError(AssetsCoreError):
    """No project, or a malformed ``assets.toml``."""


class DefinitionError(AssetsCoreError):
    """One or more bad asset definitions, all reported together at load time."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class PartitionError(AssetsCoreError):
    """A partition key or range that the asset's partitions definition does not contain."""


class SelectionError(UsageError):
    """A ``--select`` expression that matches nothing or does not parse."""


class ConflictError(AssetsCoreError):
    """Another live run holds the lease on partitions this run needs."""


class StorageError(AssetsCoreError):
    """A published file or table that cannot be read: corrupt, foreign or locked."""


class TransientStorageError(StorageError):
    """A storage failure that may pass when tried again: the warehouse locked by another
    process, a full disk. Retried within the run as the retry policy says, and planned again
    by the next run."""
