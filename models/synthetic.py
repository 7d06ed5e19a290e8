"""Seeded synthetic card transactions with per-user aggregates, for the fraud example model.

Users have a spending profile; the feature pipeline snapshots their aggregates once a day
(`user_stats`, the offline feature table). Each transaction sees the user's latest snapshot at
its time (a point-in-time join) plus its own request fields. Whether it is fraud is drawn from a
known risk score over those same features, so there is a real, learnable signal:
an amount far above the user's mean, night hours, new accounts, bursts of recent transactions,
chargebacks, failed logins, risky merchant categories, international and card-not-present use.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MERCHANT_CATEGORIES = {  # share of transactions, fraud risk (logit)
    "grocery": (0.25, -0.6),
    "restaurant": (0.20, -0.4),
    "fuel": (0.12, -0.3),
    "online_retail": (0.18, 0.5),
    "travel": (0.07, 0.4),
    "electronics": (0.08, 0.8),
    "gaming": (0.05, 0.9),
    "jewelry": (0.05, 1.2),
}
CHANNELS = {"pos": (0.55, 0.0), "ecommerce": (0.35, 0.5), "atm": (0.05, 0.3), "recurring": (0.05, -1.0)}
# Rare countries stay out of the one-hot vocabulary, so they exercise the unknown-category path.
COUNTRIES = {
    "US": 0.44, "GB": 0.12, "DE": 0.10, "FR": 0.08, "CA": 0.07, "BR": 0.06, "IN": 0.06, "NG": 0.03,
    "MX": 0.015, "JP": 0.015, "ES": 0.01, "IT": 0.01,
}
# Card activity by hour of day (relative weights): quiet nights, busy lunch and evening.
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 10, 12, 11, 9, 9, 9, 10, 12, 12, 10, 8, 5, 3], dtype=float)

SNAPSHOT_DAYS = 3
BASE_TIME = pd.Timestamp("2025-11-01T00:00:00Z")
TARGET_FRAUD_RATE = 0.03


@dataclass
class Dataset:
    snapshots: pd.DataFrame  # user_stats rows: user_id, event_timestamp, created_timestamp, features (NaN/None = null)
    transactions: pd.DataFrame  # request fields, user_id, snapshot (index into the user's snapshots) or -1, label


def _choice(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    names = list(table)
    weights = np.array([v[0] if isinstance(v, tuple) else v for v in table.values()], dtype=float)
    return rng.choice(names, size=n, p=weights / weights.sum())


def user_snapshots(rng: np.random.Generator, n_users: int) -> pd.DataFrame:
    """Daily aggregates per user; the last snapshot of some users is an account-takeover burst."""
    user_id = np.arange(1, n_users + 1, dtype=np.int64)
    spend_mean = np.exp(rng.normal(3.6, 0.7, n_users))  # typical ticket, median ~$37
    daily_rate = rng.gamma(2.0, 1.5, n_users)
    age0 = np.minimum(np.exp(rng.normal(5.5, 1.3, n_users)), 4000).astype(np.int64)
    just_opened = rng.random(n_users) < 0.04  # sign-ups of the last two weeks
    age0 = np.where(just_opened, rng.integers(0, 14, n_users), age0)
    country = _choice(rng, COUNTRIES, n_users)
    has_2fa = rng.random(n_users) < 0.35
    risky = rng.random(n_users) < 0.05

    frames = []
    for day in range(SNAPSHOT_DAYS):
        takeover = (rng.random(n_users) < 0.02) & (day == SNAPSHOT_DAYS - 1)
        count_24h = rng.poisson(daily_rate * np.where(takeover, 4.0, 1.0))
        count_1h = rng.poisson(count_24h / 12.0 + np.where(takeover, 4.0, 0.0))
        sum_24h = np.round(count_24h * spend_mean * np.exp(rng.normal(0, 0.3, n_users)), 2)
        mean_30d = np.round(spend_mean * np.exp(rng.normal(0, 0.05, n_users)), 2)
        std_30d = np.round(mean_30d * rng.uniform(0.3, 1.2, n_users), 2)
        age = age0 + day
        # No spread without history: new accounts have no amount_std_30d.
        std_30d = np.where(age < 7, np.nan, std_30d)
        # Event times jitter within the day (whole milliseconds): the snapshot order is only in the timestamps.
        offset_ms = rng.integers(0, 6 * 3600 * 1000, n_users)
        event_ts = BASE_TIME + pd.Timedelta(days=day) + pd.to_timedelta(offset_ms, unit="ms")
        created_ts = event_ts + pd.to_timedelta(rng.integers(1000, 600_000, n_users), unit="ms")
        frames.append(pd.DataFrame({
            "user_id": user_id,
            "event_timestamp": event_ts,
            "created_timestamp": created_ts,
            "snapshot": day,
            "txn_count_1h": count_1h.astype(np.int64),
            "txn_count_24h": count_24h.astype(np.int64),
            "amount_sum_24h": sum_24h,
            "amount_mean_30d": mean_30d,
            "amount_std_30d": std_30d,
            "distinct_merchants_7d": (rng.poisson(daily_rate * 4.0) + np.where(takeover, 8, 0) + 1).astype(np.int64),
            "account_age_days": age.astype(np.int64),
            "chargebacks_90d": rng.poisson(np.where(risky, 1.2, 0.03)).astype(np.int64),
            "failed_logins_24h": rng.poisson(np.where(takeover, 6.0, np.where(risky, 0.8, 0.1))).astype(np.int64),
            "has_2fa": has_2fa,
            "home_country": country.astype(object),
        }))
    return pd.concat(frames, ignore_index=True)


def with_nulls(rng: np.random.Generator, snapshots: pd.DataFrame, rate: float = 0.01) -> pd.DataFrame:
    """Pipelines drop values now and then: null a few cells of every feature column."""
    out = snapshots.copy()
    for col in ("txn_count_1h", "txn_count_24h", "amount_sum_24h", "amount_mean_30d", "distinct_merchants_7d",
                "chargebacks_90d", "failed_logins_24h", "has_2fa", "home_country"):
        mask = rng.random(len(out)) < rate
        out[col] = out[col].astype(object).where(~mask, None)
    return out


def request_fields(rng: np.random.Generator, spend_mean: np.ndarray) -> pd.DataFrame:
    n = len(spend_mean)
    spike = rng.random(n) < 0.05
    amount = spend_mean * np.exp(rng.normal(0, 0.6, n)) * np.where(spike, rng.uniform(3, 15, n), 1.0)
    return pd.DataFrame({
        "amount": np.round(np.maximum(amount, 0.5), 2),
        "merchant_category": _choice(rng, MERCHANT_CATEGORIES, n),
        "hour": rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()).astype(np.int64),
        "is_international": rng.random(n) < 0.08,
        "channel": _choice(rng, CHANNELS, n),
    })


def risk_logit(t: pd.DataFrame) -> np.ndarray:
    """The ground truth the model has to learn (without the intercept)."""
    ratio = np.log(t["amount"].to_numpy() / t["amount_mean_30d"].to_numpy())
    hour = t["hour"].to_numpy()
    age = t["account_age_days"].to_numpy()
    cat = t["merchant_category"].map({k: v[1] for k, v in MERCHANT_CATEGORIES.items()}).to_numpy()
    chan = t["channel"].map({k: v[1] for k, v in CHANNELS.items()}).to_numpy()
    return (
        1.6 * np.clip(ratio, -2.0, 4.0)
        + 1.2 * (hour <= 5)
        + 1.5 * (age < 30) + 0.5 * (age < 180)
        + 0.35 * np.minimum(t["txn_count_1h"].to_numpy(), 10)
        + 0.7 * np.minimum(t["chargebacks_90d"].to_numpy(), 3)
        + 0.25 * np.minimum(t["failed_logins_24h"].to_numpy(), 10)
        - 0.7 * t["has_2fa"].to_numpy()
        + 1.0 * t["is_international"].to_numpy()
        + cat + chan
    )


def intercept_for_rate(logit: np.ndarray, rate: float) -> float:
    """Bisection for the intercept whose mean fraud probability is `rate`."""
    lo, hi = -30.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(logit + mid)))) > rate:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def generate(seed: int, n_users: int = 2000, n_transactions: int = 60_000, unknown_user_share: float = 0.04) -> Dataset:
    rng = np.random.default_rng(seed)
    clean = user_snapshots(rng, n_users)
    observed = with_nulls(rng, clean)

    # Each transaction happens on a snapshot's day and sees that snapshot.
    row = rng.integers(0, len(clean), n_transactions)
    truth = clean.iloc[row].reset_index(drop=True)
    requests = request_fields(rng, truth["amount_mean_30d"].to_numpy())
    logit = risk_logit(pd.concat([truth, requests], axis=1))
    prob = 1 / (1 + np.exp(-(logit + intercept_for_rate(logit, TARGET_FRAUD_RATE))))

    unknown = rng.random(n_transactions) < unknown_user_share  # cards of users the store has never seen
    transactions = requests.assign(
        user_id=np.where(unknown, -1, truth["user_id"].to_numpy()),
        snapshot_row=np.where(unknown, -1, row),
        label=(rng.random(n_transactions) < prob).astype(np.int64),
    )
    return Dataset(snapshots=observed, transactions=transactions)
