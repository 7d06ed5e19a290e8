"""The throughput peer of DESIGN.md's performance goals: FastAPI + uvicorn + onnxruntime + redis-py
doing the service's work for POST /v1/models/{name}:predict with `{entity, features}`:
validate the body (pydantic, built from the manifest, unknown fields refused), fetch the entity's
online features from Redis in Feast's layout (HMGET, feast.types.Value protobufs), preprocess per
the manifest, run the ONNX model, answer labels and probabilities.

Started by bench/service.ts:  python fastapi_server.py --model-dir DIR --port N --redis-port N
"""

import argparse
import json
import struct
import time
from pathlib import Path
from typing import Any, Optional, Union

import mmh3
import numpy as np
import onnxruntime as ort
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI, HTTPException
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from pydantic import ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr, create_model


def feast_value_class():
    """feast.types.Value's scalar members (field numbers from feast/protos/feast/types/Value.proto)."""
    proto = descriptor_pb2.FileDescriptorProto(name="peer_value.proto", package="feast.types", syntax="proto3")
    value = proto.message_type.add(name="Value")
    value.oneof_decl.add(name="val")
    T = descriptor_pb2.FieldDescriptorProto
    for name, number, kind in [
        ("bytes_val", 1, T.TYPE_BYTES),
        ("string_val", 2, T.TYPE_STRING),
        ("int32_val", 3, T.TYPE_INT32),
        ("int64_val", 4, T.TYPE_INT64),
        ("double_val", 5, T.TYPE_DOUBLE),
        ("float_val", 6, T.TYPE_FLOAT),
        ("bool_val", 7, T.TYPE_BOOL),
        ("unix_timestamp_val", 8, T.TYPE_INT64),
    ]:
        value.field.add(name=name, number=number, type=kind, label=T.LABEL_OPTIONAL, oneof_index=0)
    timestamp = proto.message_type.add(name="Timestamp")
    timestamp.field.add(name="seconds", number=1, type=T.TYPE_INT64, label=T.LABEL_OPTIONAL)
    timestamp.field.add(name="nanos", number=2, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return (
        message_factory.GetMessageClass(pool.FindMessageTypeByName("feast.types.Value")),
        message_factory.GetMessageClass(pool.FindMessageTypeByName("feast.types.Timestamp")),
    )


Value, Timestamp = feast_value_class()
VALUE_TYPE = {"string": 2, "int32": 3, "int64": 4}


def entity_key(names: list[str], types: dict[str, str], entity: dict[str, Any]) -> bytes:
    """Feast entity key serialization v3 (DESIGN.md, online feature store)."""
    names = sorted(names)
    out = [struct.pack("<I", len(names))]
    for name in names:
        raw = name.encode()
        out.append(struct.pack("<II", 2, len(raw)) + raw)
    for name in names:
        dtype, value = types[name], entity[name]
        if dtype == "string":
            raw = value.encode()
        else:
            raw = struct.pack("<i" if dtype == "int32" else "<q", int(value))
        out.append(struct.pack("<II", VALUE_TYPE[dtype], len(raw)) + raw)
    return b"".join(out)


def fits(dtype: str, value: Any) -> bool:
    if dtype == "string":
        return isinstance(value, str)
    if dtype == "bool":
        return isinstance(value, bool) or value in (0, 1)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


class Model:
    def __init__(self, model_dir: Path):
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        m = self.manifest
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_dir / m["artifact"]["path"]), options, providers=["CPUExecutionProvider"])
        self.labels = m["postprocess"]["labels"]
        self.entity_types = {e["name"]: e["dtype"] for e in m["entities"]}
        self.views = {v["name"]: v for v in m["featureViews"]}
        # Per view: the online features read, their Redis fields, then the view's timestamp field.
        self.online: dict[str, list[tuple[int, dict]]] = {}
        self.columns = []
        offset = 0
        for spec in m["features"]:
            enc = spec["encoding"]
            width = len(enc["categories"]) if enc["kind"] == "one_hot" else 1
            self.columns.append((spec, offset))
            if spec["source"]["kind"] == "online":
                self.online.setdefault(spec["source"]["view"], []).append((len(self.columns) - 1, spec))
            offset += width
        self.width = offset
        self.fields = {
            view: [struct.pack("<I", mmh3.hash(f"{view}:{s['source']['feature']}".encode(), 0, signed=False)) for _, s in specs]
            + [f"_ts:{view}".encode()]
            for view, specs in self.online.items()
        }
        self.index = {
            spec["name"]: {c: i for i, c in enumerate(spec["encoding"].get("categories") or spec["encoding"].get("vocabulary") or [])}
            for spec, _ in self.columns
        }

    def encode(self, row: np.ndarray, values: list[Any]) -> list[str]:
        defaulted = []
        for (spec, offset), value in zip(self.columns, values):
            if value is None or not fits(spec["dtype"], value):
                value = spec["default"]
                defaulted.append(spec["name"])
            enc = spec["encoding"]
            kind = enc["kind"]
            if kind == "identity":
                row[offset] = float(value)
            elif kind == "standardize":
                row[offset] = (float(value) - enc["mean"]) / enc["std"]
            elif kind == "one_hot":
                i = self.index[spec["name"]].get(str(value))
                if i is not None:
                    row[offset + i] = 1.0
            else:
                row[offset] = self.index[spec["name"]].get(str(value), enc["oovIndex"])
        return defaulted


def request_model(m: dict):
    """The body schema from the manifest, as the service builds its JSON schema: no unknown fields."""
    forbid = ConfigDict(extra="forbid")
    py = {"int32": StrictInt, "int64": StrictInt, "float32": Union[StrictInt, StrictFloat], "float64": Union[StrictInt, StrictFloat], "bool": StrictBool, "string": StrictStr}
    entity = create_model("Entity", __config__=forbid, **{e["name"]: (StrictStr if e["dtype"] == "string" else Union[StrictInt, StrictStr], ...) for e in m["entities"]})
    fields = {}
    for f in m["features"]:
        if f["source"]["kind"] == "request":
            fields[f["source"]["field"]] = (py[f["dtype"]], ...) if f["default"] is None else (Optional[py[f["dtype"]]], None)
    features = create_model("Features", __config__=forbid, **fields)
    return create_model("PredictBody", __config__=forbid, entity=(entity, ...), features=(features, ...))


def build_app(model_dir: Path, redis_port: int) -> FastAPI:
    model = Model(model_dir)
    m = model.manifest
    Body = request_model(m)
    project = m["project"].encode()
    client = aioredis.Redis(host="127.0.0.1", port=redis_port)
    app = FastAPI()
    input_name, probs_name = m["input"]["name"], m["postprocess"]["probabilities"]

    @app.post("/v1/models/{name}:predict")
    async def predict(name: str, body: Body):  # type: ignore[valid-type]
        if name != m["name"]:
            raise HTTPException(404, f'model "{name}" not found; this service serves "{m["name"]}"')
        entity = body.entity.model_dump()
        request = body.features.model_dump()
        values: list[Any] = [
            request.get(spec["source"]["field"]) if spec["source"]["kind"] == "request" else None for spec, _ in model.columns
        ]
        now = time.time()
        for view, specs in model.online.items():
            key = entity_key(model.views[view]["entities"], model.entity_types, entity) + project
            reply = await client.hmget(key, model.fields[view])
            if reply[-1] is None:
                continue
            ts = Timestamp.FromString(reply[-1])
            ttl = model.views[view]["ttlSeconds"]
            if ttl > 0 and now - ts.seconds > ttl:
                continue
            for (column, spec), raw in zip(specs, reply):
                if raw:
                    v = Value.FromString(raw)
                    which = v.WhichOneof("val")
                    values[column] = getattr(v, which) if which else None
        row = np.zeros((1, model.width), dtype=np.float32)
        defaulted = model.encode(row[0], values)
        probs = model.session.run([probs_name], {input_name: row})[0][0]
        best = int(np.argmax(probs))
        return {
            "model": {"name": m["name"], "version": m["version"]},
            "label": model.labels[best],
            "probabilities": {label: float(p) for label, p in zip(model.labels, probs)},
            "defaulted": defaulted,
        }

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--redis-port", required=True, type=int)
    args = parser.parse_args()
    app = build_app(args.model_dir, args.redis_port)
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", log_level="warning", access_log=False)
