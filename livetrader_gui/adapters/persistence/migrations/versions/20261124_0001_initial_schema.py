"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:27:26.168164
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_journal",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_journal")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_journal_entry_id")),
    )
    with op.batch_alter_table("audit_journal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_journal_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_journal_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "backtest_results",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=False),
        sa.Column("rules_hash", sa.String(length=64), nullable=False),
        sa.Column("symbols", sa.Text(), nullable=False),
        sa.Column("start", sa.String(length=40), nullable=False),
        sa.Column("end", sa.String(length=40), nullable=False),
        sa.Column("initial_capital", sa.String(length=64), nullable=False),
        sa.Column("final_equity", sa.String(length=64), nullable=False),
        sa.Column("total_return_pct", sa.String(length=64), nullable=False),
        sa.Column("cagr_pct", sa.String(length=64), nullable=False),
        sa.Column("sharpe_ratio", sa.String(length=64), nullable=True),
        sa.Column("sortino_ratio", sa.String(length=64), nullable=True),
        sa.Column("max_drawdown_pct", sa.String(length=64), nullable=False),
        sa.Column("win_rate_pct", sa.String(length=64), nullable=False),
        sa.Column("num_trades", sa.Integer(), nullable=False),
        sa.Column("exposure_pct", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_results")),
    )
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backtests_strategy_hash", ["strategy_id", "rules_hash", "created_at"], unique=False
        )

    op.create_table(
        "live_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=False),
        sa.Column("strategy_snapshot", sa.Text(), nullable=False),
        sa.Column("rules_hash", sa.String(length=64), nullable=False),
        sa.Column("broker_id", sa.String(length=32), nullable=False),
        sa.Column("symbols", sa.Text(), nullable=False),
        sa.Column("execution_mode", sa.String(length=16), nullable=False),
        sa.Column("is_paper", sa.Boolean(), nullable=False),
        sa.Column("max_positions", sa.Integer(), nullable=False),
        sa.Column("max_position_size_pct", sa.String(length=64), nullable=False),
        sa.Column("max_daily_loss_pct", sa.String(length=64), nullable=False),
        sa.Column("stop_loss_pct", sa.String(length=64), nullable=True),
        sa.Column("take_profit_pct", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trading_state", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.String(length=40), nullable=True),
        sa.Column("stopped_at", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_sessions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_live_sessions_strategy_id"), ["strategy_id"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("order_type", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("limit_price", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("broker_order_id", sa.String(length=96), nullable=True),
        sa.Column("filled_quantity", sa.String(length=64), nullable=False),
        sa.Column("average_fill_price", sa.String(length=64), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_session_status", ["session_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)

    op.create_table(
        "paper_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=False),
        sa.Column("rules_hash", sa.String(length=64), nullable=False),
        sa.Column("live_session_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.String(length=40), nullable=False),
        sa.Column("ended_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_sessions")),
    )
    with op.batch_alter_table("paper_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_paper_sessions_strategy_hash", ["strategy_id", "rules_hash"], unique=False
        )

    op.create_table(
        "strategies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("symbols", sa.Text(), nullable=False),
        sa.Column("exchange", sa.String(length=32), nullable=False),
        sa.Column("entry_rule", sa.Text(), nullable=False),
        sa.Column("exit_rule", sa.Text(), nullable=False),
        sa.Column("position_pct", sa.String(length=64), nullable=False),
        sa.Column("max_positions", sa.Integer(), nullable=False),
        sa.Column("max_position_size_pct", sa.String(length=64), nullable=False),
        sa.Column("max_daily_loss_pct", sa.String(length=64), nullable=False),
        sa.Column("stop_loss_pct", sa.String(length=64), nullable=True),
        sa.Column("take_profit_pct", sa.String(length=64), nullable=True),
        sa.Column("require_backtest_sharpe", sa.String(length=64), nullable=False),
        sa.Column("require_paper_trading_days", sa.Integer(), nullable=False),
        sa.Column("rules_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strategies_rules_hash"), ["rules_hash"], unique=False)

    op.create_table(
        "fills",
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
            name=op.f("fk_fills_client_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("fill_id", name=op.f("pk_fills")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fills_client_order_id"), ["client_order_id"], unique=False
        )

    op.create_table(
        "paper_trading_days",
        sa.Column("paper_session_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_session_id"],
            ["paper_sessions.id"],
            name=op.f("fk_paper_trading_days_paper_session_id_paper_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_session_id", "day", name=op.f("pk_paper_trading_days")),
    )


def downgrade() -> None:
    op.drop_table("paper_trading_days")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_client_order_id"))

    op.drop_table("fills")
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strategies_rules_hash"))

    op.drop_table("strategies")
    with op.batch_alter_table("paper_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_sessions_strategy_hash")

    op.drop_table("paper_sessions")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index("ix_orders_session_status")

    op.drop_table("orders")
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_sessions_strategy_id"))
        batch_op.drop_index(batch_op.f("ix_live_sessions_status"))

    op.drop_table("live_sessions")
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.drop_index("ix_backtests_strategy_hash")

    op.drop_table("backtest_results")
    with op.batch_alter_table("audit_journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_journal_session_id"))
        batch_op.drop_index(batch_op.f("ix_audit_journal_kind"))

    op.drop_table("audit_journal")
