// Wire compatibility of our grpc_predict_v2.proto with the definition kserve publishes and ships:
// same package and service, and every message we declare has exactly kserve's fields (names,
// numbers, types, labels). A ModelInferRequest serialized by kserve's own client decodes with ours.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import * as protobuf from "protobufjs";
import { protoPath } from "../../service/src/grpc/messages";
import { peerPython } from "../setup/peers";

const run = promisify(execFile);

interface Published {
  package: string;
  services: Record<string, Record<string, [string, string]>>;
  /** message → field → [number, TYPE_x, LABEL_x, type name] */
  messages: Record<string, Record<string, [number, string, string, string]>>;
  requests: { typed: string; raw: string };
}

const TYPE: Record<string, string> = {
  bool: "TYPE_BOOL", string: "TYPE_STRING", bytes: "TYPE_BYTES", int32: "TYPE_INT32", int64: "TYPE_INT64",
  uint32: "TYPE_UINT32", uint64: "TYPE_UINT64", float: "TYPE_FLOAT", double: "TYPE_DOUBLE",
};

let published: Published;
let ours: protobuf.Root;

beforeAll(async () => {
  const { stdout } = await run(peerPython("kserve"), [path.resolve(__dirname, "..", "peers", "scripts", "kserve_proto.py")], { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 });
  published = JSON.parse(stdout) as Published;
  ours = new protobuf.Root().loadSync(protoPath(), { keepCase: true });
  ours.resolveAll();
}, 90_000);

/** Our messages in the same shape as the published dump (map fields as kserve's repeated entries). */
function ourMessages(): Published["messages"] {
  const out: Published["messages"] = {};
  const visit = (type: protobuf.Type, name: string) => {
    out[name] = Object.fromEntries(
      type.fieldsArray.map((f) => {
        const fqn = (f.resolvedType ? `.${f.resolvedType.fullName.replace(/^\./, "")}` : "");
        if (f instanceof protobuf.MapField) return [f.name, [f.id, "TYPE_MESSAGE", "LABEL_REPEATED", `.inference.${name}.${f.name[0].toUpperCase()}${f.name.slice(1)}Entry`]];
        return [f.name, [f.id, f.resolvedType ? "TYPE_MESSAGE" : TYPE[f.type], f.repeated ? "LABEL_REPEATED" : "LABEL_OPTIONAL", fqn]];
      }),
    );
    for (const nested of type.nestedArray) if (nested instanceof protobuf.Type) visit(nested, `${name}.${nested.name}`);
  };
  const pkg = ours.lookup("inference") as protobuf.Namespace;
  for (const nested of pkg.nestedArray) if (nested instanceof protobuf.Type) visit(nested, nested.name);
  return out;
}

describe("grpc_predict_v2.proto against kserve's published definition", () => {
  it("declares package inference and GRPCInferenceService's methods with kserve's request and response types", () => {
    expect(published.package).toBe("inference");
    const service = ours.lookupService("inference.GRPCInferenceService");
    const theirs = published.services.GRPCInferenceService;
    for (const method of service.methodsArray) {
      expect({ method: method.name, types: [`.inference.${method.requestType}`, `.inference.${method.responseType}`] }).toEqual({ method: method.name, types: theirs[method.name] });
    }
    expect(service.methodsArray.map((m) => m.name)).toEqual(["ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer"]);
  });

  it("gives every message exactly kserve's field names, numbers, types and labels", () => {
    const mine = ourMessages();
    expect(Object.keys(mine).length).toBeGreaterThanOrEqual(16);
    for (const [name, fields] of Object.entries(mine)) {
      expect({ name, fields }).toEqual({ name, fields: published.messages[name] });
    }
  });

  it.each(["typed", "raw"] as const)("decodes a ModelInferRequest that kserve's client serialized with %s contents", (form) => {
    const ModelInferRequest = ours.lookupType("inference.ModelInferRequest");
    const decoded = ModelInferRequest.toObject(ModelInferRequest.decode(Buffer.from(published.requests[form], "base64")), { longs: Number }) as {
      model_name: string;
      id: string;
      inputs: { name: string; datatype: string; shape: number[]; contents?: { fp32_contents: number[] } }[];
      raw_input_contents?: Buffer[];
    };
    expect(decoded.model_name).toBe("fraud");
    expect(decoded.id).toBe("wire-1");
    expect(decoded.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([["input", "FP32", [2, 30]]]);
    const values = form === "typed" ? decoded.inputs[0].contents!.fp32_contents : Array.from(new Float32Array(new Uint8Array(decoded.raw_input_contents![0]).buffer));
    expect(values).toHaveLength(60);
    values.forEach((v, i) => expect(Math.abs(v - i / 60)).toBeLessThan(1e-7));
  });
});
