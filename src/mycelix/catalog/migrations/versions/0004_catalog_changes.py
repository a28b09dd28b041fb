"""The catalogue's change feed for the song reads' cache: `catalog_changes`, written by
triggers on songs, splits and artists (see `mycelix.catalog.models.CatalogChange` and
`mycelix.songs.changes`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Columns that decide which songs a listing holds, or their order (`SongRepository.list`):
# a change to one of them changes pages beyond the song's own entry.
LIST_COLUMNS = ("title", "title_key", "genre", "strategy_name", "artist", "created_at", "audio_cid")


ALL, PLAYS = "'*'", "'plays'"


# Rows kept: a reader further behind than this forgets everything (it sees the gap).
KEEP = 100_000
PRUNE_EVERY = 1_000


def _sqlite_note(scope: str, key: str) -> str:
    return f"INSERT INTO catalog_changes (scope, key) VALUES ('{scope}', {key});"  # nosec B608: DDL built from this module's constants


def _sqlite_triggers() -> list[str]:
    listed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in LIST_COLUMNS)
    note = _sqlite_note
    new_song, old_song = note("song", "NEW.song_id"), note("song", "OLD.song_id")
    return [
        "CREATE TRIGGER catalog_song_insert AFTER INSERT ON songs BEGIN "
        f"{new_song} {note('list', ALL)} END",
        "CREATE TRIGGER catalog_song_delete AFTER DELETE ON songs BEGIN "
        f"{old_song} {note('list', ALL)} END",
        f"CREATE TRIGGER catalog_song_update AFTER UPDATE ON songs BEGIN {new_song} END",
        f"CREATE TRIGGER catalog_song_listed AFTER UPDATE ON songs WHEN {listed} "
        f"BEGIN {note('list', ALL)} END",
        "CREATE TRIGGER catalog_song_plays AFTER UPDATE OF play_count ON songs "
        f"WHEN OLD.play_count IS NOT NEW.play_count BEGIN {note('list', PLAYS)} END",
        f"CREATE TRIGGER catalog_split_insert AFTER INSERT ON splits BEGIN {new_song} END",
        "CREATE TRIGGER catalog_split_update AFTER UPDATE ON splits "
        f"BEGIN {new_song} {old_song} END",
        f"CREATE TRIGGER catalog_split_delete AFTER DELETE ON splits BEGIN {old_song} END",
        "CREATE TRIGGER catalog_changes_prune AFTER INSERT ON catalog_changes "  # nosec B608: DDL built from this module's constants
        f"WHEN NEW.seq % {PRUNE_EVERY} = 0 BEGIN "
        f"DELETE FROM catalog_changes WHERE seq <= NEW.seq - {KEEP}; END",
        "CREATE TRIGGER catalog_artist_name AFTER UPDATE OF name ON artists "
        "WHEN OLD.name IS NOT NEW.name BEGIN "
        f"{note('artist', 'NEW.address')} {note('list', ALL)} END",
    ]


SQLITE_TRIGGERS = (
    "catalog_changes_prune",
    "catalog_song_insert",
    "catalog_song_delete",
    "catalog_song_update",
    "catalog_song_listed",
    "catalog_song_plays",
    "catalog_split_insert",
    "catalog_split_update",
    "catalog_split_delete",
    "catalog_artist_name",
)


def _postgres_statements() -> list[str]:
    listed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in LIST_COLUMNS)
    return [
        # Appends only (no row two writers share, so no lock between them); seq comes from a
        # sequence, and xid lets a reader find the changes of transactions that were still
        # open when it last looked, which may commit with a lower seq than one it saw.
        "CREATE FUNCTION catalog_note_change(p_scope text, p_key text) RETURNS void AS $$"  # nosec B608: DDL built from this module's constants
        f"""
        DECLARE s bigint;
        BEGIN
          INSERT INTO catalog_changes (scope, key, xid)
          VALUES (p_scope, p_key, pg_current_xact_id()::text::bigint) RETURNING seq INTO s;
          IF s % {PRUNE_EVERY} = 0 THEN
            DELETE FROM catalog_changes WHERE seq <= s - {KEEP};
          END IF;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE FUNCTION catalog_songs_changed() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            PERFORM catalog_note_change('song', OLD.song_id);
            PERFORM catalog_note_change('list', '*');
            RETURN OLD;
          END IF;
          PERFORM catalog_note_change('song', NEW.song_id);
          IF TG_OP = 'INSERT' THEN
            PERFORM catalog_note_change('list', '*');
          ELSE
            IF {listed} THEN PERFORM catalog_note_change('list', '*'); END IF;
            IF OLD.play_count IS DISTINCT FROM NEW.play_count THEN
              PERFORM catalog_note_change('list', 'plays');
            END IF;
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        """CREATE FUNCTION catalog_splits_changed() RETURNS trigger AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN PERFORM catalog_note_change('song', OLD.song_id); END IF;
          IF TG_OP <> 'DELETE' THEN PERFORM catalog_note_change('song', NEW.song_id); END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        """CREATE FUNCTION catalog_artists_changed() RETURNS trigger AS $$
        BEGIN
          IF OLD.name IS DISTINCT FROM NEW.name THEN
            PERFORM catalog_note_change('artist', NEW.address);
            PERFORM catalog_note_change('list', '*');
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        "CREATE TRIGGER catalog_songs AFTER INSERT OR UPDATE OR DELETE ON songs "
        "FOR EACH ROW EXECUTE FUNCTION catalog_songs_changed()",
        "CREATE TRIGGER catalog_splits AFTER INSERT OR UPDATE OR DELETE ON splits "
        "FOR EACH ROW EXECUTE FUNCTION catalog_splits_changed()",
        "CREATE TRIGGER catalog_artists AFTER UPDATE OF name ON artists "
        "FOR EACH ROW EXECUTE FUNCTION catalog_artists_changed()",
    ]


def upgrade() -> None:
    op.create_table(
        "catalog_changes",
        sa.Column("seq", ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(66), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_catalog_changes"),
    )
    op.create_index("ix_catalog_changes_xid", "catalog_changes", ["xid"])
    bind = op.get_bind()
    statements = _postgres_statements() if bind.dialect.name == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("songs", "splits", "artists"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_{table} ON {table}")
        for function in (
            "catalog_songs_changed()",
            "catalog_splits_changed()",
            "catalog_artists_changed()",
            "catalog_note_change(text, text)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ix_catalog_changes_xid", "catalog_changes")
    op.drop_table("catalog_changes")
