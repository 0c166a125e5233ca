"""Version 1 of the REST API, under ``/api/v1/`` (see docs/api.md for the versioning policy)."""
