// The bench's comparison of POST /get-online-features answers with Feast's feature server:
// columns matched by name, every value, status and event time compared, and only Feast's Redis
// "PRESENT with a null value" told apart from a real difference.
import { cellDifferences, compareWithFeast, describeDifference, isFeastRedisPresentNull, type FeatureServerAnswer } from "../../bench/feast-answers";

const T = "2025-11-03T00:01:26.595Z";
const EPOCH = "1970-01-01T00:00:00Z";
type Column = FeatureServerAnswer["results"][number];
const column = (value: unknown, status = "PRESENT", eventTimestamp = T): Column => ({ values: [value], statuses: [status], event_timestamps: [eventTimestamp] });

function answer(named: Record<string, Column>): FeatureServerAnswer {
  return { metadata: { feature_names: Object.keys(named) }, results: Object.values(named) };
}

// User 150 as the service answers it (request order) and as Feast 0.67 on Redis answered it in one
// run (its set order): amount_std_30d is stored as an empty Value.
const service150 = answer({
  user_id: column(150, "PRESENT", EPOCH),
  txn_count_1h: column(0),
  amount_std_30d: column(null, "NULL_VALUE"),
  has_2fa: column(true),
  home_country: column("US"),
});
const feast150 = answer({
  user_id: column(150, "PRESENT", EPOCH),
  amount_std_30d: column(null, "PRESENT"),
  home_country: column("US"),
  txn_count_1h: column(0.0),
  has_2fa: column(true),
});

describe("comparing /get-online-features answers with Feast's", () => {
  it("matches columns by name: the same features in another order are the same answer", () => {
    const reordered = answer({ home_country: column("US"), txn_count_1h: column(0), user_id: column(150, "PRESENT", EPOCH), has_2fa: column(true), amount_std_30d: column(null, "NULL_VALUE") });
    expect(cellDifferences(service150, reordered)).toEqual([]);
  });

  it("finds only the stored null that Feast's Redis read calls PRESENT, and tells it apart", () => {
    const differences = cellDifferences(service150, feast150);
    expect(differences.map(describeDifference)).toEqual([`amount_std_30d[0]: service null NULL_VALUE at ${T}, Feast null PRESENT at ${T}`]);
    expect(differences.every(isFeastRedisPresentNull)).toBe(true);
  });

  it("tells apart an entity Feast's Redis read has no row for: every feature PRESENT, null, at the epoch", () => {
    const service = answer({ user_id: column(9000001, "PRESENT", EPOCH), txn_count_1h: column(null, "NOT_FOUND", EPOCH) });
    const feast = answer({ txn_count_1h: column(null, "PRESENT", EPOCH), user_id: column(9000001, "PRESENT", EPOCH) });
    const differences = cellDifferences(service, feast);
    expect(differences).toHaveLength(1);
    expect(isFeastRedisPresentNull(differences[0])).toBe(true);
  });

  it.each([
    ["a different value", { txn_count_1h: column(4) }, "txn_count_1h[0]: service 0 PRESENT"],
    ["a value where the service has a stored null", { amount_std_30d: column(3.5, "PRESENT") }, "amount_std_30d[0]: service null NULL_VALUE"],
    ["a different event time", { home_country: column("US", "PRESENT", "2025-11-03T00:01:27Z") }, "home_country[0]: service \"US\" PRESENT"],
    ["a null where the service has a value", { has_2fa: column(null, "PRESENT") }, "has_2fa[0]: service true PRESENT"],
    ["another status than PRESENT", { amount_std_30d: column(null, "NOT_FOUND") }, "amount_std_30d[0]: service null NULL_VALUE"],
  ])("reports %s as a real difference", (_, changed, described) => {
    const feast = answer({ ...Object.fromEntries(feast150.metadata.feature_names.map((n, i) => [n, feast150.results[i]])), amount_std_30d: column(null, "NULL_VALUE"), ...changed });
    const differences = cellDifferences(service150, feast);
    expect(differences.map(describeDifference)).toEqual([expect.stringContaining(described)]);
    expect(differences.some(isFeastRedisPresentNull)).toBe(false);
  });

  it("reports a feature only one side answers", () => {
    const feast = answer({ ...Object.fromEntries(service150.metadata.feature_names.map((n, i) => [n, service150.results[i]])), chargebacks_90d: column(0) });
    expect(cellDifferences(service150, feast).map(describeDifference)).toEqual([`chargebacks_90d[0]: service no such feature, Feast 0 PRESENT at ${T}`]);
  });

  it("accepts numbers that differ by float32 rounding only", () => {
    const service = answer({ ratio: column(0.1) });
    const feast = answer({ ratio: column(0.10000000149011612) });
    expect(cellDifferences(service, feast)).toEqual([]);
  });
});

describe("the bench's report of the comparison", () => {
  const requests = ["user 150", "user 151", "user 9000001"];
  const service151 = answer({ user_id: column(151, "PRESENT", EPOCH), txn_count_1h: column(2) });
  const unknownService = answer({ user_id: column(9000001, "PRESENT", EPOCH), txn_count_1h: column(null, "NOT_FOUND", EPOCH) });
  const unknownFeast = answer({ user_id: column(9000001, "PRESENT", EPOCH), txn_count_1h: column(null, "PRESENT", EPOCH) });
  const report = (feast151: FeatureServerAnswer) =>
    compareWithFeast(requests, [service150, service151, unknownService].map((a) => JSON.stringify(a)), [feast150, feast151, unknownFeast].map((a) => JSON.stringify(a)));

  it("says the values agree, and counts Feast's Redis nulls apart with an example", () => {
    expect(report(service151)).toEqual([
      "same values and event times for all 3 requests",
      "2 of 3 requests differ only where Feast's Redis read says PRESENT for a null value " +
        "(a stored null, NULL_VALUE here: 1 request; an entity without a row, NOT_FOUND here: 1 request), " +
        `e.g. user 150: amount_std_30d[0]: service null NULL_VALUE at ${T}, Feast null PRESENT at ${T}`,
    ]);
  });

  it("leads with a real difference, naming the request and the feature", () => {
    const lines = report(answer({ user_id: column(151, "PRESENT", EPOCH), txn_count_1h: column(3) }));
    expect(lines.slice(0, 2)).toEqual(["ANSWERS DIFFER for 1 of 3 requests, e.g. user 151:", `  txn_count_1h[0]: service 2 PRESENT at ${T}, Feast 3 PRESENT at ${T}`]);
    expect(lines[2]).toMatch(/^2 of 3 requests differ only where Feast's Redis read says PRESENT/);
  });

  it("says the answers are the same when nothing differs", () => {
    expect(compareWithFeast(["user 151"], [JSON.stringify(service151)], [JSON.stringify(service151)])).toEqual(["same answers for all 1 request"]);
  });
});
