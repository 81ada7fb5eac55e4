"""The catalog's one user-facing error: a catalog that cannot be opened or used."""


class CatalogError(Exception):
    """A catalog URL or file that cannot be used; the message says why and what to do."""
