"""The demo catalog generator behind ``manage.py seed_demo``; see ``demo.catalog``."""
