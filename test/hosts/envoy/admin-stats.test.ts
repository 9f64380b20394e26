// The Envoy dev host's stats as Envoy renders them: tags extracted from stat names by Istio-style stats_tags rules
// (metrics.ts), and the admin-style GET /stats/prometheus listener (admin.ts).
import { afterAll, describe, expect, it } from "vitest";
import { listenAdmin, type AdminHandle } from "../../../dev/hosts/envoy/admin.js";
import { extractTags, MetricStore } from "../../../dev/hosts/envoy/metrics.js";

const TAGS = ["route", "section", "outcome", "reason"];
const NAME = "meshgate_decisions_totalroute=.=api;.;section=.=auth;.;outcome=.=deny;.;reason=.=token_missing;.;";

describe("stats tags", () => {
  it("removes each configured tag's `<tag>=.=<value>;.;` from the name and makes it a label, in rule order", () => {
    expect(extractTags(NAME, TAGS)).toEqual({
      name: "meshgate_decisions_total",
      labels: [["route", "api"], ["section", "auth"], ["outcome", "deny"], ["reason", "token_missing"]],
    });
    expect(extractTags(NAME, ["reason"]).labels).toEqual([["reason", "token_missing"]]);
  });

  it("renders one TYPE line per metric and a labeled sample per stat; without rules the name is sanitised whole", () => {
    const tagged = new MetricStore(TAGS);
    tagged.define("counter", NAME).value = 2;
    tagged.define("counter", NAME.replace("=.=api;", "=.=default;")).value = 5;
    tagged.define("counter", "meshgate_cache_hit_total").value = 1;
    expect(tagged.prometheusText()).toBe([
      "# TYPE meshgate_cache_hit_total counter",
      "meshgate_cache_hit_total{} 1",
      "# TYPE meshgate_decisions_total counter",
      'meshgate_decisions_total{route="api",section="auth",outcome="deny",reason="token_missing"} 2',
      'meshgate_decisions_total{route="default",section="auth",outcome="deny",reason="token_missing"} 5',
      "",
    ].join("\n"));
    const plain = new MetricStore();
    plain.define("counter", NAME).value = 2;
    expect(plain.prometheusText()).toBe(
      "# TYPE meshgate_decisions_totalroute___api___section___auth___outcome___deny___reason___token_missing___ counter\n" +
      "meshgate_decisions_totalroute___api___section___auth___outcome___deny___reason___token_missing___{} 2\n");
  });

  it("escapes a label value's quotes and backslashes", () => {
    const store = new MetricStore(["route"]);
    store.define("counter", 'm_totalroute=.=a"b\\c;.;').value = 1;
    expect(store.prometheusText()).toContain('m_total{route="a\\"b\\\\c"} 1');
  });
});

describe("the admin-style listener", () => {
  let admin: AdminHandle;
  afterAll(async () => {
    await admin?.close();
  });

  it("serves the Prometheus text on GET /stats/prometheus only", async () => {
    admin = await listenAdmin(() => "# TYPE x counter\nx{} 1\n", 0, "127.0.0.1");
    const base = `http://127.0.0.1:${admin.port}`;
    const ok = await fetch(`${base}/stats/prometheus`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("text/plain");
    expect(await ok.text()).toBe("# TYPE x counter\nx{} 1\n");
    expect((await fetch(`${base}/stats`)).status).toBe(404);
    expect((await fetch(`${base}/stats/prometheus`, { method: "POST" })).status).toBe(404);
  });
});
