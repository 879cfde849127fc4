"""Rows of the rewards tables as the API shows them (gems with one decimal)."""

from __future__ import annotations

from habitus.core.rewards import tenths_to_gems
from habitus.gamification.schemas import LedgerRowOut
from habitus.models import RewardLedgerRow


def ledger_row_out(row: RewardLedgerRow) -> LedgerRowOut:
    amount = tenths_to_gems(row.amount) if row.currency == "gems" else float(row.amount)
    return LedgerRowOut(at=row.created_at, currency=row.currency, amount=amount, reason=row.reason)
