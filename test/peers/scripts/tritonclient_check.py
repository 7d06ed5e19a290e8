"""Drives the service with tritonclient (HTTP and gRPC) at its default settings; prints one JSON
object of what each call returned, for test/service/stock-clients.test.ts to judge.
argv: http_url grpc_address grpc_socket rows.json"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

http_url, grpc_address, socket, rows_path = sys.argv[1:5]
rows = np.array(json.load(open(rows_path)), dtype=np.float32)


def run(module, url):
    client = module.InferenceServerClient(url)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready("fraud"),
    }
    meta = client.get_model_metadata("fraud")
    if module is grpcclient:
        meta = {"name": meta.name, "inputs": [[t.name, t.datatype, list(t.shape)] for t in meta.inputs],
                "outputs": [[t.name, t.datatype, list(t.shape)] for t in meta.outputs]}
        server = client.get_server_metadata().name
    else:
        meta = {"name": meta["name"], "inputs": [[t["name"], t["datatype"], t["shape"]] for t in meta["inputs"]],
                "outputs": [[t["name"], t["datatype"], t["shape"]] for t in meta["outputs"]]}
        server = client.get_server_metadata()["name"]
    out["server"] = server
    out["metadata"] = meta

    def infer(batch, binary=None, outputs=None):
        inp = module.InferInput("input", list(batch.shape), "FP32")
        if binary is None:
            inp.set_data_from_numpy(batch)  # the client's default
        else:
            inp.set_data_from_numpy(batch, binary_data=binary)
        requested = None
        if outputs is not None:
            requested = [module.InferRequestedOutput(name) if binary is None else module.InferRequestedOutput(name, binary_data=binary) for name in outputs] \
                if module is httpclient else [module.InferRequestedOutput(name) for name in outputs]
        result = client.infer("fraud", [inp], request_id="req-7", outputs=requested)
        response = result.get_response()
        rid = response.id if module is grpcclient else response.get("id")
        names = [o.name for o in response.outputs] if module is grpcclient else [o["name"] for o in response["outputs"]]
        return {"id": rid, "outputs": names, "probabilities": result.as_numpy("probabilities").tolist() if "probabilities" in names else None,
                "label": result.as_numpy("label").tolist() if "label" in names else None}

    out["single"] = infer(rows[:1])
    out["batch"] = infer(rows)
    if module is httpclient:
        out["batch_json"] = infer(rows, binary=False)
    out["by_name"] = infer(rows, outputs=["probabilities"])
    errors = {}
    for name, call in {
        "wrong_shape": lambda: infer(rows[:, :29].copy()),
        "unknown_model": lambda: client.infer("churn", [module.InferInput("input", [1, 30], "FP32")]),
        "unknown_output": lambda: infer(rows, outputs=["logits"]),
    }.items():
        try:
            call()
            errors[name] = None
        except InferenceServerException as e:
            errors[name] = {"status": str(e.status()), "message": e.message()}
        except Exception as e:  # a client-side refusal is also an answer worth reporting
            errors[name] = {"status": "client", "message": str(e)}
    out["errors"] = errors
    client.close()
    return out


print(json.dumps({
    "http": run(httpclient, http_url.replace("http://", "")),
    "grpc": run(grpcclient, grpc_address),
    "grpc_socket": run(grpcclient, "unix://" + socket),
}))
