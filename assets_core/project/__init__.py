"""A project: ``assets.toml``, loading its modules and SQL files, the manifest cache."""
