"""fill identity: fills named by broker, broker order and fill id, kept in recorded order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:40:00.000000

Before this revision a fill was keyed by its fill id alone, and brokers that number their orders
afresh (a paper account per session, the simulator per process) gave two different fills the
same id: the second was dropped. Fills are now keyed by (broker_id, broker_order_id, fill_id),
where the broker is the one that holds the order (a paper account is ``PAPER-<session id>``),
and carry a sequence in the order they were recorded. Every existing row is kept: the old key
was unique, so the new one is too, and the sequence follows the order the rows were written.
A fill can be marked ``excluded`` (with the reason) when a trader recovers a session whose
history cannot be replayed; it stays in the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL_COLUMNS = "fill_id, client_order_id, symbol, direction, quantity, price, commission, tax, at"


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("broker_id", sa.String(length=32), nullable=True))
    # The broker that holds each existing order: its session's broker, or its paper account.
    op.execute(
        "UPDATE orders SET broker_id = ("
        " SELECT CASE WHEN s.is_paper THEN 'PAPER-' || s.id ELSE s.broker_id END"
        " FROM live_sessions s WHERE s.id = orders.session_id)"
    )

    op.create_table(
        "fills_new",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("broker_id", sa.String(length=32), nullable=False),
        sa.Column("broker_order_id", sa.String(length=96), nullable=False),
        sa.Column("fill_id", sa.String(length=96), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("price", sa.String(length=64), nullable=False),
        sa.Column("commission", sa.String(length=64), nullable=False),
        sa.Column("tax", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("excluded", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name="fk_fills_client_order_id_orders",
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_fills"),
        sa.UniqueConstraint(
            "broker_id",
            "broker_order_id",
            "fill_id",
            name="uq_fills_broker_id_broker_order_id_fill_id",
        ),
    )
    bind = op.get_bind()
    # SQLite's rowid is the order rows were inserted in; elsewhere the fill's time is the best
    # there is (the old key was a text id, which orders nothing).
    written = "f.rowid" if bind.dialect.name == "sqlite" else "f.at, f.fill_id"
    op.execute(
        f"INSERT INTO fills_new (seq, broker_id, broker_order_id, {_FILL_COLUMNS}) "
        f"SELECT ROW_NUMBER() OVER (ORDER BY {written}), COALESCE(o.broker_id, ''), "
        "COALESCE(o.broker_order_id, f.fill_id), "
        + ", ".join(f"f.{c.strip()}" for c in _FILL_COLUMNS.split(","))
        + " FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id"
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index("ix_fills_client_order_id")
    op.drop_table("fills")
    op.rename_table("fills_new", "fills")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index("ix_fills_client_order_id", ["client_order_id"], unique=False)
    if bind.dialect.name == "postgresql":
        # Rows were given their numbers above: move the key's sequence past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('fills', 'seq'), "
            "COALESCE((SELECT MAX(seq) FROM fills), 0) + 1, false)"
        )


def downgrade() -> None:
    op.create_table(
        "fills_old",
        sa.Column("fill_id", sa.String(length=96), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("price", sa.String(length=64), nullable=False),
        sa.Column("commission", sa.String(length=64), nullable=False),
        sa.Column("tax", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name="fk_fills_client_order_id_orders",
        ),
        sa.PrimaryKeyConstraint("fill_id", name="pk_fills"),
    )
    # A fill id that only its broker's ids told apart cannot keep the old key as it is: it is
    # prefixed with its broker order id, so that no row is lost going back.
    op.execute(
        f"INSERT INTO fills_old ({_FILL_COLUMNS}) "
        "SELECT CASE WHEN (SELECT COUNT(*) FROM fills g WHERE g.fill_id = f.fill_id) > 1 "
        "THEN f.broker_order_id || '/' || f.fill_id ELSE f.fill_id END, f.client_order_id, "
        "f.symbol, f.direction, f.quantity, f.price, f.commission, f.tax, f.at "
        "FROM fills f ORDER BY f.seq"
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index("ix_fills_client_order_id")
    op.drop_table("fills")
    op.rename_table("fills_old", "fills")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index("ix_fills_client_order_id", ["client_order_id"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("broker_id")
