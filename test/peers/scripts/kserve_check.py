"""Drives the service with kserve's REST and gRPC clients at their default settings (REST: KServe
V1; then V2 JSON and binary; gRPC: typed contents, then raw); prints one JSON object of answers.
argv: http_url grpc_address rows.json"""
import asyncio
import json
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

http_url, grpc_address, rows_path = sys.argv[1:4]
rows = np.array(json.load(open(rows_path)), dtype=np.float32)


def outputs_of(response):
    return {o.name: o.as_numpy().tolist() for o in response.outputs}


async def main():
    out = {}
    v1 = InferenceRESTClient()  # default config: KServe V1
    out["v1"] = await v1.infer(http_url, {"instances": rows.tolist()}, model_name="fraud")
    v2 = InferenceRESTClient(RESTConfig(protocol="v2"))
    out["v2_ready"] = await v2.is_server_ready(http_url)
    out["v2_model_ready"] = await v2.is_model_ready(http_url, "fraud")
    out["v2_live"] = await v2.is_server_live(http_url)  # kserve's clients have no metadata call
    for binary in (False, True):
        inp = InferInput("input", list(rows.shape), "FP32")
        inp.set_data_from_numpy(rows, binary_data=binary)
        response = await v2.infer(http_url, InferRequest(model_name="fraud", infer_inputs=[inp], request_id="k-1"), model_name="fraud")
        out[f"v2_binary_{binary}"] = {"id": response.id, "outputs": outputs_of(response)}
    inp = InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    req = InferRequest(model_name="fraud", infer_inputs=[inp], request_outputs=[RequestedOutput("probabilities")])
    out["v2_by_name"] = outputs_of(await v2.infer(http_url, req, model_name="fraud"))
    try:
        bad = InferInput("input", [1, 29], "FP32")
        bad.set_data_from_numpy(rows[:1, :29].copy())
        await v2.infer(http_url, InferRequest(model_name="fraud", infer_inputs=[bad]), model_name="fraud")
        out["v2_error"] = None
    except Exception as e:
        out["v2_error"] = str(e)

    grpc_client = InferenceGRPCClient(grpc_address)
    out["grpc_ready"] = await grpc_client.is_server_ready()
    out["grpc_model_ready"] = await grpc_client.is_model_ready("fraud")
    for raw in (False, True):
        inp = InferInput("input", list(rows.shape), "FP32")
        inp.set_data_from_numpy(rows, binary_data=raw)
        response = await grpc_client.infer(InferRequest(model_name="fraud", infer_inputs=[inp], request_id="g-1"))
        out[f"grpc_raw_{raw}"] = {"id": response.id, "outputs": outputs_of(response)}
    try:
        bad = InferInput("input", [1, 29], "FP32")
        bad.set_data_from_numpy(rows[:1, :29].copy())
        await grpc_client.infer(InferRequest(model_name="fraud", infer_inputs=[bad]))
        out["grpc_error"] = None
    except Exception as e:
        out["grpc_error"] = str(e)
    await grpc_client.close()
    await v1.close()
    await v2.close()
    print(json.dumps(out))


asyncio.run(main())
