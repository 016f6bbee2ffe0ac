"""The D1 (SQLite) → PostgreSQL data import and its column map.

``d1_schema.json`` is a copy of the D1 database's schema facts (shared/d1/schema.json): the
import and the map need them where shared/ is not around (`make check-sources` compares).
"""
