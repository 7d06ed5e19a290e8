import Fastify, { type FastifyInstance } from "fastify";
import { installErrorHandlers } from "../../service/src/errors";
import { ServiceMetrics } from "../../service/src/metrics";
import { EmbeddedStore } from "../../service/src/features/embedded";
import { RedisStore } from "../../service/src/features/redis";
import type { FeatureStore } from "../../service/src/features/store";
import { featureRoutes, GET_ONLINE_FEATURES_PATH } from "../../service/src/routes/features";
import { freePort } from "../setup/servers/redis";
import { testManifest, VIEW } from "./fixtures";
import { redisConfig } from "./stores";

const T0 = Date.UTC(2024, 0, 1, 12);
const manifest = testManifest();

async function appWith(store: FeatureStore): Promise<FastifyInstance> {
  const app = Fastify({ ajv: { customOptions: { coerceTypes: false } } });
  installErrorHandlers(app, new ServiceMetrics({ defaultMetrics: false }));
  await app.register(featureRoutes, { store, manifest });
  await app.ready();
  return app;
}

const embedded = EmbeddedStore.fromRows(manifest, [
  {
    view: VIEW,
    rowNumber: 1,
    entity: { user_id: 1 },
    eventTimestamp: new Date(T0),
    createdTimestamp: null,
    values: { txn_count_1h: 3, amount_sum_24h: 12.5, account_age_days: 40, avg_ratio: 0.5, is_verified: true, home_country: null },
  },
]);

describe("POST /get-online-features", () => {
  let app: FastifyInstance;
  beforeAll(async () => (app = await appWith(embedded)));
  afterAll(() => app.close());

  it("answers in Feast's shape: join key column first, then a column per feature", async () => {
    const res = await app.inject({
      method: "POST",
      url: GET_ONLINE_FEATURES_PATH,
      payload: { features: [`${VIEW}:txn_count_1h`, `${VIEW}:home_country`], entities: { user_id: [1, 2] } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      metadata: { feature_names: ["user_id", "txn_count_1h", "home_country"] },
      results: [
        { values: [1, 2], statuses: ["PRESENT", "PRESENT"], event_timestamps: ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] },
        { values: [3, null], statuses: ["PRESENT", "NOT_FOUND"], event_timestamps: ["2024-01-01T12:00:00Z", "1970-01-01T00:00:00Z"] },
        { values: [null, null], statuses: ["NULL_VALUE", "NOT_FOUND"], event_timestamps: ["2024-01-01T12:00:00Z", "1970-01-01T00:00:00Z"] },
      ],
    });
  });

  it("names features <view>__<feature> with full_feature_names", async () => {
    const res = await app.inject({
      method: "POST",
      url: GET_ONLINE_FEATURES_PATH,
      payload: { features: [`${VIEW}:is_verified`], entities: { user_id: [1] }, full_feature_names: true },
    });
    expect(res.json().metadata.feature_names).toEqual(["user_id", `${VIEW}__is_verified`]);
    expect(res.json().results[1].values).toEqual([true]);
  });

  it.each([
    [{ features: [`${VIEW}:nope`], entities: { user_id: [1] } }, "features[0]", /"user_stats:nope" is not an online feature of model fraud; expected one of user_stats:txn_count_1h/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: { driver_id: [1] } }, "entities.driver_id", /"driver_id" is not a join key of model fraud; expected user_id/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: { constructor: [1], user_id: [102] } }, "entities.constructor", /"constructor" is not a join key of model fraud/],
    [{ features: [`${VIEW}:txn_count_1h`, `${VIEW}:home_country`, `${VIEW}:txn_count_1h`], entities: { user_id: [1] } }, "features[2]", /"user_stats:txn_count_1h" is already requested at features\[0\]; request each feature once/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: { user_id: [1, 1e30] } }, "entities.user_id[1]", /1e\+30 is beyond the integers a JSON number holds exactly.*decimal strings/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: { user_id: ["9999999999999999999"] } }, "entities.user_id[0]", /expected an int64 \(an integer from -9223372036854775808 to 9223372036854775807.*got "9999999999999999999"/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: {} }, "entities.user_id", /required join key is missing/],
    [{ features: [`${VIEW}:txn_count_1h`], entities: { user_id: ["abc"] } }, "entities.user_id[0]", /expected an int64 .*got "abc"/],
    [{ features: ["txn_count_1h"], entities: { user_id: [1] } }, "features[0]", /must match pattern/],
  ])("refuses %j with 400 naming %s", async (payload, field, message) => {
    const res = await app.inject({ method: "POST", url: GET_ONLINE_FEATURES_PATH, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().error).toMatch(message);
  });

  it("answers 503 when the online store is down", async () => {
    const down = await RedisStore.connect(redisConfig(await freePort()), manifest, { logger: { warn: () => undefined } });
    const downApp = await appWith(down);
    try {
      const res = await downApp.inject({
        method: "POST",
        url: GET_ONLINE_FEATURES_PATH,
        payload: { features: [`${VIEW}:txn_count_1h`], entities: { user_id: [1] } },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatch(/online feature store \(redis\) is unavailable/);
    } finally {
      await downApp.close();
      await down.close();
    }
  });
});
