"""Initial schema: customers, catalog, behaviour, reviews, conversation, profiles, segments, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Types are spelled out here (not imported from ``bot.store``) so the migration stays as it
was written when the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "customers",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("consent_updated_at", TIMESTAMP, nullable=True),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("sender_id", name=op.f("uq_customers_sender_id")),
    )
    op.create_table(
        "products",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("brand", sa.String(length=128), nullable=True),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("eligibility", JSON, nullable=True),
        sa.Column("compliance_zh", sa.Text(), nullable=True),
        sa.Column("compliance_en", sa.Text(), nullable=True),
        sa.Column("risk_level", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("domain IN ('shop', 'bank')", name=op.f("ck_products_domain")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_index("ix_products_domain_category", "products", ["domain", "category"], unique=False)
    op.create_table(
        "segments",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("name_zh", sa.String(length=255), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("event_id", sa.String(length=191), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("aspects", JSON, nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_conversation_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("event_id", name=op.f("uq_conversation_messages_event_id")),
    )
    op.create_index(
        "ix_conversation_messages_customer_created",
        "conversation_messages",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "interactions",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("source_event_id", sa.String(length=191), nullable=True),
        sa.CheckConstraint(
            "kind IN ('view', 'click', 'cart', 'purchase', 'rating')",
            name=op.f("ck_interactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_interactions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_interactions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("source_event_id", name=op.f("uq_interactions_source_event_id")),
    )
    op.create_index(
        "ix_interactions_customer_occurred",
        "interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index("ix_interactions_product", "interactions", ["product_id"], unique=False)
    op.create_table(
        "marketing_events",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("experiment", sa.String(length=128), nullable=True),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("event_id", sa.String(length=191), nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('recommendation_shown', 'promotion_shown', 'conversion', 'experiment_exposure')",
            name=op.f("ck_marketing_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_marketing_events_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_marketing_events_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_marketing_events_event_id")),
    )
    op.create_index(
        "ix_marketing_events_customer_occurred",
        "marketing_events",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_marketing_events_experiment_variant",
        "marketing_events",
        ["experiment", "variant"],
        unique=False,
    )
    op.create_index(
        "ix_marketing_events_kind_occurred",
        "marketing_events",
        ["kind", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "processed_events",
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("customer_id", BIGID, nullable=True),
        sa.Column("processed_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_processed_events_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_processed_events")),
    )
    op.create_index(
        op.f("ix_processed_events_customer_id"), "processed_events", ["customer_id"], unique=False
    )
    op.create_table(
        "profiles",
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text_sum", sa.LargeBinary(), nullable=True),
        sa.Column("text_weight", sa.Float(), nullable=False),
        sa.Column("text_count", sa.Integer(), nullable=False),
        sa.Column("text_ref_at", TIMESTAMP, nullable=True),
        sa.Column("encoder_name", sa.String(length=128), nullable=True),
        sa.Column("interests", JSON, nullable=False),
        sa.Column("interest_ref_at", TIMESTAMP, nullable=True),
        sa.Column("category_sentiment", JSON, nullable=False),
        sa.Column("aspect_sentiment", JSON, nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("total_spend", sa.Float(), nullable=False),
        sa.Column("segment_id", BIGID, nullable=True),
        sa.Column("last_event_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_profiles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_profiles_segment_id_segments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_profiles")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=191), nullable=True),
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("sentiment_label", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("aspects", JSON, nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reviews_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_reviews_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("external_id", name=op.f("uq_reviews_external_id")),
    )
    op.create_index(
        "ix_reviews_customer_created", "reviews", ["customer_id", "created_at"], unique=False
    )
    op.create_index("ix_reviews_product", "reviews", ["product_id"], unique=False)


def downgrade() -> None:
    """Drop every table."""
    op.drop_index("ix_reviews_product", table_name="reviews")
    op.drop_index("ix_reviews_customer_created", table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("profiles")
    op.drop_index(op.f("ix_processed_events_customer_id"), table_name="processed_events")
    op.drop_table("processed_events")
    op.drop_index("ix_marketing_events_kind_occurred", table_name="marketing_events")
    op.drop_index("ix_marketing_events_experiment_variant", table_name="marketing_events")
    op.drop_index("ix_marketing_events_customer_occurred", table_name="marketing_events")
    op.drop_table("marketing_events")
    op.drop_index("ix_interactions_product", table_name="interactions")
    op.drop_index("ix_interactions_customer_occurred", table_name="interactions")
    op.drop_table("interactions")
    op.drop_index("ix_conversation_messages_customer_created", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_table("segments")
    op.drop_index("ix_products_domain_category", table_name="products")
    op.drop_table("products")
    op.drop_table("customers")
