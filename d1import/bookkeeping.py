"""The import's own tables, in schema ``d1import`` (outside the app schema and its drift check).

- ``runs``: one row per run: source fingerprint (written when the run starts, before any
  table, so a target always says which source it holds), start/end, status (``running``,
  ``completed``, ``failed`` with the error, ``interrupted``), counts, the report. A run found
  ``running`` by the next run, which holds the import lock, died with its process: it is
  marked ``interrupted``.
- ``tables_done``: per source and table, what was loaded (``landed_in``: the loaded rows per
  target table, for a D1 table whose rows land in two); a table listed here is skipped when
  an interrupted run is resumed (each table loads in one transaction with its row here).
- ``id_map``: every row whose id changed (non-UUID or upper-case D1 ids).
- ``quarantine``: every source row not loaded, one record each, keyed by its SQLite rowid
  (a NULL or repeated primary key cannot make two records collide): the reason as ``kind``
  (``d1import.kinds``), ``d1_column`` and ``detail`` (values shown, secrets never), the row it
  collides with or depends on (``related_table``, ``related_legacy_id``), the source values
  (secrets redacted), and ``new_id``, the id the row would have had: dependents find their
  quarantined parent through the index on (``source_table``, ``new_id``).
"""

from __future__ import annotations

SCHEMA_DDL = """
CREATE SCHEMA IF NOT EXISTS d1import;
CREATE TABLE IF NOT EXISTS d1import.runs (
    id bigserial PRIMARY KEY,
    source_sha256 text NOT NULL,
    source_path text NOT NULL,
    dry_run boolean NOT NULL DEFAULT false,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status text NOT NULL DEFAULT 'running'
        CONSTRAINT runs_status_check
        CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    error text,
    source_rows bigint,
    loaded_rows bigint,
    quarantined_rows bigint,
    report jsonb
);
ALTER TABLE d1import.runs ADD COLUMN IF NOT EXISTS error text;
CREATE TABLE IF NOT EXISTS d1import.tables_done (
    source_sha256 text NOT NULL,
    source_table text NOT NULL,
    source_rows bigint NOT NULL,
    loaded_rows bigint NOT NULL,
    already_present_rows bigint NOT NULL,
    quarantined_rows bigint NOT NULL,
    converted_checksum text NOT NULL,
    loaded_checksum text NOT NULL,
    seconds double precision NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_sha256, source_table)
);
ALTER TABLE d1import.tables_done ADD COLUMN IF NOT EXISTS landed_in jsonb;
CREATE TABLE IF NOT EXISTS d1import.id_map (
    source_table text NOT NULL,
    legacy_id text NOT NULL,
    new_id uuid NOT NULL,
    PRIMARY KEY (source_table, legacy_id)
);
CREATE TABLE IF NOT EXISTS d1import.quarantine (
    source_sha256 text NOT NULL,
    source_table text NOT NULL,
    source_rowid bigint NOT NULL,
    legacy_id text,
    kind text NOT NULL,
    d1_column text,
    detail text NOT NULL,
    related_table text,
    related_legacy_id text,
    source_row jsonb NOT NULL,
    new_id uuid,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_sha256, source_table, source_rowid)
);
CREATE INDEX IF NOT EXISTS quarantine_parent_idx ON d1import.quarantine (source_table, new_id)
    WHERE new_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS quarantine_kind_idx
    ON d1import.quarantine (source_sha256, kind, source_table, d1_column, source_rowid);
"""

# "d1import" in ASCII: two imports into one database wait for each other.
IMPORT_LOCK_KEY = 0x6431696D706F7274

# Source columns whose values are secrets: never written to quarantine, logs or reports.
SECRET_COLUMNS: dict[str, set[str]] = {
    "sessions": {"sessionToken"},
    "accounts": {"refresh_token", "access_token", "id_token", "session_state"},
    "verification_tokens": {"token"},
}
REDACTED = "[redacted]"
