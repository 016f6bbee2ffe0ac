"""Reference data: the JSON files in ``seeds/data`` and their idempotent loader."""
