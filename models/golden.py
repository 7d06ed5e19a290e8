"""Golden cases: raw request + the online features the store returns -> what the Python pipeline predicts.

For a known user, `online` is that user's latest row (by event_timestamp) of the offline table, nulls
included, so the cases hold whether the service reads features from a test double or from the embedded
store loaded from features.parquet. An unknown user has `online: {}`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import synthetic
from preprocess import encode_case

UNKNOWN_USER = 9_000_001
RISKY = {"merchant_category": "jewelry", "hour": 3, "is_international": True, "channel": "ecommerce"}


def latest_rows(snapshots: pd.DataFrame, entity: str) -> pd.DataFrame:
    return snapshots.sort_values("event_timestamp").groupby(entity).tail(1).set_index(entity).sort_index()


def _native(dtype: str, v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if dtype.startswith("int"):
        return int(v)
    if dtype.startswith("float"):
        return float(v)
    return bool(v) if dtype == "bool" else str(v)


def build_cases(specs: list[dict[str, Any]], snapshots: pd.DataFrame, clf: Any, labels: list[str], entity: str,
                seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed + 2)
    latest = latest_rows(snapshots, entity)
    online_specs = [f for f in specs if f["source"]["kind"] == "online"]
    categories = next(f for f in specs if f["name"] == "home_country")["encoding"]["categories"]

    def online(user: int) -> dict[str, Any]:
        row = latest.loc[user]
        return {f["source"]["feature"]: _native(f["dtype"], row[f["source"]["feature"]]) for f in online_specs}

    default_spend = float(next(f for f in specs if f["name"] == "amount_mean_30d")["default"])

    def spend(user: int | None) -> float:
        v = None if user is None else latest.loc[user, "amount_mean_30d"]
        return default_spend if v is None or pd.isna(v) else float(v)

    def typical_request(user: int | None) -> dict[str, Any]:
        r = synthetic.request_fields(rng, np.array([spend(user)])).iloc[0]
        return {"amount": float(r["amount"]), "merchant_category": str(r["merchant_category"]),
                "hour": int(r["hour"]), "is_international": bool(r["is_international"]), "channel": str(r["channel"])}

    def pick(mask: pd.Series, n: int) -> list[int]:
        users = latest.index[mask.to_numpy()].to_numpy()
        return [int(u) for u in rng.choice(users, size=min(n, len(users)), replace=False)]

    complete = latest[[f["name"] for f in online_specs]].notna().all(axis=1)
    cases: list[tuple[str, int | None, dict[str, Any]]] = []
    for u in pick(complete, 16):
        r = typical_request(u)
        cases.append((f"known user {u}, {r['merchant_category']} at {r['hour']}h", u, r))

    takeover = complete & (latest["failed_logins_24h"].astype(float) >= 3)
    for u in pick(takeover, 3):
        cases.append((f"account takeover burst, user {u}: night jewelry abroad at 8x the usual amount", u,
                      {"amount": round(8 * spend(u), 2), **RISKY}))
    new = complete & (latest["account_age_days"].astype(float) < 30)
    for u in pick(new, 3):
        cases.append((f"new account {u}: electronics online at 2h, 6x the usual amount", u,
                      {"amount": round(6 * spend(u), 2), "merchant_category": "electronics", "hour": 2,
                       "is_international": False, "channel": "ecommerce"}))
    for u in pick(complete & (latest["chargebacks_90d"].astype(float) >= 2), 1):
        cases.append((f"user {u} with past chargebacks, ordinary daytime grocery", u,
                      {"amount": round(spend(u), 2), "merchant_category": "grocery", "hour": 11,
                       "is_international": False, "channel": "pos"}))

    std_null = latest["amount_std_30d"].isna()
    for u in pick(std_null, 1):
        cases.append((f"new account {u} without amount_std_30d (null online value)", u, typical_request(u)))
    for col in ("has_2fa", "home_country", "txn_count_24h"):
        for u in pick(latest[col].isna() & ~std_null, 1):
            cases.append((f"user {u} with null {col}", u, typical_request(u)))

    cases.append(("unknown user: every online feature defaults", None, typical_request(None)))
    cases.append(("unknown user, risky transaction", None, {"amount": 900.0, **RISKY}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, optional request fields missing (hour, is_international, channel)", u,
                   {"amount": round(spend(u), 2), "merchant_category": "restaurant"}))
    cases.append(("unknown user, only the required request fields", None,
                  {"amount": 55.0, "merchant_category": "fuel"}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, unknown merchant category (all-zero one-hot)", u,
                  {**typical_request(u), "merchant_category": "pharmacy"}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, unknown channel (vocabulary oovIndex)", u, {**typical_request(u), "channel": "crypto_atm"}))
    for u in pick(complete & ~latest["home_country"].isin(categories), 1):
        cases.append((f"user {u} from a country outside the one-hot categories", u, typical_request(u)))

    u = pick(complete, 1)[0]
    cases.append((f"user {u}, smallest amount", u, {**typical_request(u), "amount": 0.01}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, very large amount", u, {**typical_request(u), "amount": 25000.0}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, hour 0", u, {**typical_request(u), "hour": 0}))
    u = pick(complete, 1)[0]
    cases.append((f"user {u}, hour 23", u, {**typical_request(u), "hour": 23}))
    busiest = int(latest["txn_count_1h"].astype(float).idxmax())
    cases.append((f"user {busiest}, most transactions in the last hour", busiest, typical_request(busiest)))
    oldest = int(latest["account_age_days"].astype(float).idxmax())
    cases.append((f"user {oldest}, oldest account", oldest, typical_request(oldest)))
    big = int(latest["amount_mean_30d"].astype(float).idxmax())
    cases.append((f"user {big}, biggest spender, tiny amount", big, {**typical_request(big), "amount": 1.0}))

    return [_expected(specs, clf, labels, entity, name, user, {} if user is None else online(user), req)
            for name, user, req in cases]


def _expected(specs: list[dict[str, Any]], clf: Any, labels: list[str], entity: str, name: str, user: int | None,
              online: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    probs = clf.predict_proba(encode_case(specs, online, request))[0]
    return {
        "name": name,
        "entity": {entity: UNKNOWN_USER if user is None else user},
        "request": request,
        "online": online,
        "expected": {"label": labels[int(np.argmax(probs))], "probabilities": [float(p) for p in probs]},
    }
