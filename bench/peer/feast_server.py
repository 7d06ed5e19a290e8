"""Feast's own Python feature server (`feast serve`) on a Redis that bench/service.ts filled with
the project's materializer: the peer of the service's POST /get-online-features.

  feast_server.py --manifest M --parquet P --redis-port N --repo DIR --port N

Registers the manifest's entities and online feature views (`feast apply`, registry in DIR),
without materializing: Feast reads the rows the service's materializer wrote, in Feast's layout.
Then serves HTTP on 127.0.0.1:--port with one worker, until terminated.
"""

import argparse
import json
from datetime import timedelta

from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.infra.offline_stores.dask import DaskOfflineStoreConfig
from feast.infra.online_stores.redis import RedisOnlineStoreConfig
from feast.repo_config import RepoConfig
from feast.types import Bool, Float32, Float64, Int32, Int64, String

FEAST_TYPES = {"int64": Int64, "int32": Int32, "float64": Float64, "float32": Float32, "bool": Bool, "string": String}
VALUE_TYPES = {"int64": ValueType.INT64, "int32": ValueType.INT32, "string": ValueType.STRING}


def feature_store(manifest, parquet, redis_port, repo):
    entities = {e["name"]: Entity(name=e["name"], join_keys=[e["name"]], value_type=VALUE_TYPES[e["dtype"]]) for e in manifest["entities"]}
    source = FileSource(path=parquet, timestamp_field="event_timestamp", created_timestamp_column="created_timestamp")
    views = []
    for spec in manifest["featureViews"]:
        fields = [
            Field(name=f["source"]["feature"], dtype=FEAST_TYPES[f["dtype"]])
            for f in manifest["features"]
            if f["source"]["kind"] == "online" and f["source"]["view"] == spec["name"]
        ]
        if fields:
            views.append(
                FeatureView(
                    name=spec["name"],
                    entities=[entities[e] for e in spec["entities"]],
                    ttl=timedelta(seconds=spec.get("ttlSeconds", 0)),
                    schema=fields,
                    source=source,
                    online=True,
                )
            )
    config = RepoConfig(
        project=manifest["project"],
        provider="local",
        registry=f"{repo}/registry.db",
        online_store=RedisOnlineStoreConfig(connection_string=f"127.0.0.1:{redis_port}"),
        offline_store=DaskOfflineStoreConfig(),
        entity_key_serialization_version=3,
    )
    store = FeatureStore(config=config, repo_path=repo)
    store.apply([*entities.values(), *views])
    return store


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--parquet", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    store = feature_store(manifest, args.parquet, args.redis_port, args.repo)
    store.serve(host="127.0.0.1", port=args.port, type_="http", no_access_log=True, workers=1)


if __name__ == "__main__":
    main()
