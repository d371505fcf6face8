"""Validated LLM texts kept for reuse across processes and restarts (``generated_texts``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``generated_texts``."""
    op.create_table(
        "generated_texts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=128), nullable=True),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("style", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_generated_texts")),
    )
    op.create_index("ix_generated_texts_expires_at", "generated_texts", ["expires_at"], unique=False)
    op.create_index("ix_generated_texts_sku", "generated_texts", ["sku"], unique=False)


def downgrade() -> None:
    """Drop ``generated_texts``."""
    op.drop_index("ix_generated_texts_sku", table_name="generated_texts")
    op.drop_index("ix_generated_texts_expires_at", table_name="generated_texts")
    op.drop_table("generated_texts")
