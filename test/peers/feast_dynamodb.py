"""Feast itself, against a local DynamoDB: what the service's DynamoDB store must read as is.
One process does everything, as importing Feast costs seconds of CPU.

  feast_dynamodb.py --manifest M --parquet P --endpoint URL --repo DIR [--keep JSON] [--project NAME]
    stdin:  {"keys": [{"user_id": 1}], "times": ["2025-11-03T00:01:43.985123+00:00"]}
    stdout: {"ids": Feast's entity_id of each key, "times": str() of each time as Feast writes it,
             "offline": the offline file materialized, "project", "views"}
    `feast apply` + `feast materialize` of every online view of the manifest from the offline file
    (only the rows of the --keep entities, copied to DIR/offline.parquet) into DynamoDB.
"""

import argparse
import contextlib
import json
import sys
from datetime import datetime, timedelta

from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.infra.online_stores.dynamodb import DynamoDBOnlineStoreConfig
from feast.infra.online_stores.helpers import compute_entity_id
from feast.infra.offline_stores.dask import DaskOfflineStoreConfig
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from feast.repo_config import RepoConfig
from feast.types import Bool, Float32, Float64, Int32, Int64, String
from feast import utils

FEAST_TYPES = {"int64": Int64, "int32": Int32, "float64": Float64, "float32": Float32, "bool": Bool, "string": String}
VALUE_TYPES = {"int64": ValueType.INT64, "int32": ValueType.INT32, "string": ValueType.STRING}
VALUE_FIELDS = {"int64": "int64_val", "int32": "int32_val", "string": "string_val"}
KEY_VERSION = 3


def entity_ids(request):
    """Feast's own entity_id for each key (join keys typed int64), and str() of each time as Feast writes it."""
    ids = []
    for key in request["keys"]:
        names = sorted(key)
        values = []
        for name in names:
            v = Value()
            if isinstance(key[name], str):
                v.string_val = key[name]
            else:
                v.int64_val = key[name]
            values.append(v)
        ids.append(compute_entity_id(EntityKey(join_keys=names, entity_values=values), entity_key_serialization_version=KEY_VERSION))
    times = [str(utils.make_tzaware(datetime.fromisoformat(t))) for t in request.get("times", [])]
    return {"ids": ids, "times": times}


def keep_rows(parquet, keep, repo):
    """The offline rows of the `keep` entities only (a list of join key objects), as a new file."""
    import pandas as pd

    frame = pd.read_parquet(parquet)
    wanted = pd.DataFrame(keep).drop_duplicates()
    path = f"{repo}/offline.parquet"
    frame.merge(wanted, on=list(wanted.columns)).to_parquet(path, index=False)
    return path


def materialize(manifest_path, parquet, endpoint, repo, keep, project):
    with open(manifest_path) as f:
        manifest = json.load(f)
    if keep is not None:
        parquet = keep_rows(parquet, keep, repo)
    entities = {e["name"]: Entity(name=e["name"], join_keys=[e["name"]], value_type=VALUE_TYPES[e["dtype"]]) for e in manifest["entities"]}
    source = FileSource(path=parquet, timestamp_field="event_timestamp", created_timestamp_column="created_timestamp")
    views = []
    for spec in manifest["featureViews"]:
        fields = [
            Field(name=f["source"]["feature"], dtype=FEAST_TYPES[f["dtype"]])
            for f in manifest["features"]
            if f["source"]["kind"] == "online" and f["source"]["view"] == spec["name"]
        ]
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
        project=project or manifest["project"],
        provider="local",
        registry=f"{repo}/registry.db",
        online_store=DynamoDBOnlineStoreConfig(region="us-east-1", endpoint_url=endpoint),
        offline_store=DaskOfflineStoreConfig(),
        entity_key_serialization_version=KEY_VERSION,
    )
    store = FeatureStore(config=config, repo_path=repo)
    store.apply([*entities.values(), *views])
    store.materialize(start_date=datetime(2000, 1, 1), end_date=datetime.now())
    return {"project": config.project, "views": [v.name for v in views], "offline": parquet}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--parquet", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--keep", type=json.loads)
    parser.add_argument("--project")
    args = parser.parse_args()
    result = entity_ids(json.load(sys.stdin))
    # Feast prints its progress on stdout; stdout carries only the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        result.update(materialize(args.manifest, args.parquet, args.endpoint, args.repo, args.keep, args.project))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
