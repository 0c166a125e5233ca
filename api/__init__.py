"""The versioned REST API for the mobile apps (and the site's own scripts): ``/api/v1/``."""
