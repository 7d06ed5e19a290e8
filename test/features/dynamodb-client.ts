// DynamoDB clients for the store tests: every command recorded, and DynamoDB's throttling
// (keys or items handed back unprocessed) reproduced on demand in front of the real server.
import {
  DynamoDBClient,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from "@aws-sdk/client-dynamodb";
import type { InitializeHandler, InitializeHandlerArguments, InitializeMiddleware } from "@smithy/types";

type Next = InitializeHandler<ServiceInputTypes, ServiceOutputTypes>;
import { TEST_AWS_ENV } from "../setup/servers/dynamodb";

export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

export class RecordingClient {
  readonly client: DynamoDBClient;
  readonly sent: SentCommand[] = [];
  /** The next `n` batch calls send only their first `keep` keys/items and return the rest unprocessed. */
  private throttle = { reads: 0, writes: 0, keep: 0 };

  constructor(endpoint: string) {
    this.client = new DynamoDBClient({
      endpoint,
      region: TEST_AWS_ENV.AWS_REGION,
      credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY },
    });
    const middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
      const name = String(context.commandName);
      this.sent.push({ name, input: structuredClone(args.input) as Record<string, unknown> });
      if (name === "BatchGetItemCommand" && this.throttle.reads > 0) {
        this.throttle.reads -= 1;
        return this.partialGet(next, args as InitializeHandlerArguments<BatchGetItemCommandInput>);
      }
      if (name === "BatchWriteItemCommand" && this.throttle.writes > 0) {
        this.throttle.writes -= 1;
        return this.partialWrite(next, args as InitializeHandlerArguments<BatchWriteItemCommandInput>);
      }
      return next(args);
    };
    this.client.middlewareStack.add(middleware, { step: "initialize", name: "recordAndThrottle" });
  }

  throttleNext(calls: { reads?: number; writes?: number }, keep: number): void {
    this.throttle = { reads: calls.reads ?? 0, writes: calls.writes ?? 0, keep };
  }

  commands(name: string): SentCommand[] {
    return this.sent.filter((c) => c.name === name);
  }

  private async partialGet(next: Next, args: InitializeHandlerArguments<BatchGetItemCommandInput>) {
    const [table, request] = Object.entries(args.input.RequestItems ?? {})[0];
    const keys = request.Keys ?? [];
    // DynamoDB may answer a call with every key unprocessed; a request with no keys is invalid.
    if (this.throttle.keep === 0) {
      const output: BatchGetItemCommandOutput = { Responses: {}, UnprocessedKeys: { [table]: request }, $metadata: {} };
      return { output, response: undefined };
    }
    const result = await next({ ...args, input: { ...args.input, RequestItems: { [table]: { ...request, Keys: keys.slice(0, this.throttle.keep) } } } });
    (result.output as BatchGetItemCommandOutput).UnprocessedKeys = { [table]: { ...request, Keys: keys.slice(this.throttle.keep) } };
    return result;
  }

  private async partialWrite(next: Next, args: InitializeHandlerArguments<BatchWriteItemCommandInput>) {
    const [table, requests] = Object.entries(args.input.RequestItems ?? {})[0];
    const result = await next({ ...args, input: { ...args.input, RequestItems: { [table]: requests.slice(0, this.throttle.keep) } } });
    (result.output as BatchWriteItemCommandOutput).UnprocessedItems = { [table]: requests.slice(this.throttle.keep) };
    return result;
  }
}
