"""Prints the OIP v2 gRPC definition kserve ships (package, service methods, every message's fields
with number, type and label) and a ModelInferRequest as kserve's client serializes it (typed and raw contents), base64."""
import base64
import json

import numpy as np
from google.protobuf import descriptor_pb2
from kserve import InferInput, InferRequest
from kserve.protocol.grpc import grpc_predict_v2_pb2

fd = descriptor_pb2.FileDescriptorProto()
grpc_predict_v2_pb2.DESCRIPTOR.CopyToProto(fd)


def fields(message, prefix):
    out = {}
    name = prefix + message.name
    out[name] = {f.name: [f.number, descriptor_pb2.FieldDescriptorProto.Type.Name(f.type), descriptor_pb2.FieldDescriptorProto.Label.Name(f.label), f.type_name]
                 for f in message.field}
    for nested in message.nested_type:
        if nested.options.map_entry:
            continue
        out.update(fields(nested, name + "."))
    return out


messages = {}
for m in fd.message_type:
    messages.update(fields(m, ""))

x = np.arange(60, dtype=np.float32).reshape(2, 30) / 60
requests = {}
for raw in (False, True):
    inp = InferInput("input", [2, 30], "FP32")
    inp.set_data_from_numpy(x, binary_data=raw)
    request = InferRequest(model_name="fraud", infer_inputs=[inp], request_id="wire-1").to_grpc()
    requests["raw" if raw else "typed"] = base64.b64encode(request.SerializeToString()).decode()
print(json.dumps({
    "package": fd.package,
    "services": {s.name: {m.name: [m.input_type, m.output_type] for m in s.method} for s in fd.service},
    "messages": messages,
    "requests": requests,
}))
