import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {test} from "node:test";
import {z} from "zod";
import {ANSWER_FROM_DESCRIPTIONS, PLACEMENT_DESCRIPTIONS} from "../../src/core/answerModes";
import {KV_CACHE_TYPE_DESCRIPTIONS} from "../../src/core/kvMemory";
import {SIGNAL_DESCRIPTIONS} from "../../src/core/signalNames";
import {METHOD_DESCRIPTIONS} from "../../src/core/types";
import {DEFAULT_SETTINGS, readSettings, SETTING_RULES} from "../../src/extension/settings";

interface ManifestSetting {
  type: string | string[];
  default: unknown;
  enum?: string[];
  enumDescriptions?: string[];
  minimum?: number;
  maximum?: number;
}
const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  contributes: {configuration: {properties: Record<string, ManifestSetting>}};
  extensionKind?: string[];
};
const properties = manifest.contributes.configuration.properties;
const descriptions: Partial<Record<keyof typeof SETTING_RULES, Record<string, string>>> = {
  method: METHOD_DESCRIPTIONS,
  signal: SIGNAL_DESCRIPTIONS,
  answerFrom: ANSWER_FROM_DESCRIPTIONS,
  placement: PLACEMENT_DESCRIPTIONS,
  kvCacheType: KV_CACHE_TYPE_DESCRIPTIONS,
};

test("package.json declares exactly the settings the extension reads, with the same defaults", () => {
  const declared = Object.keys(properties)
    .filter((k) => k.startsWith("dynsplit."))
    .map((k) => k.slice("dynsplit.".length));
  assert.deepEqual(declared.sort(), Object.keys(DEFAULT_SETTINGS).sort());
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS))
    assert.deepEqual(properties[`dynsplit.${key}`].default, value, `dynsplit.${key} default`);
});

test("package.json's enums, their descriptions and numeric ranges are the ones defined in src/core and the setting rules", () => {
  for (const [key, rule] of Object.entries(SETTING_RULES) as [keyof typeof SETTING_RULES, z.ZodTypeAny][]) {
    const prop = properties[`dynsplit.${key}`];
    if (rule instanceof z.ZodEnum) {
      assert.deepEqual(prop.enum, rule.options, `dynsplit.${key} enum`);
      const d = descriptions[key];
      if (d)
        assert.deepEqual(
          prop.enumDescriptions,
          (rule.options as string[]).map((o) => d[o]),
          `dynsplit.${key} enumDescriptions`
        );
    } else assert.equal(prop.enum, undefined, `dynsplit.${key} has no enum in the rules`);
    if (rule instanceof z.ZodNumber) {
      assert.equal(prop.type, rule.isInt ? "integer" : "number", `dynsplit.${key} type`);
      assert.equal(prop.minimum, rule.minValue ?? undefined, `dynsplit.${key} minimum`);
      assert.equal(prop.maximum, rule.maxValue ?? undefined, `dynsplit.${key} maximum`);
    }
  }
});

test("every default passes its own rule; bad values fall back to the default with one message each", () => {
  for (const [key, rule] of Object.entries(SETTING_RULES))
    assert.ok(rule.safeParse(DEFAULT_SETTINGS[key as keyof typeof DEFAULT_SETTINGS]).success, key);
  const values: Record<string, unknown> = {
    budgetTokens: -5,
    method: "magic",
    signal: "vibes",
    blockSize: 8,
    tolerance: 9,
    include: "src",
    kvCacheType: "q2",
  };
  const {settings, problems} = readSettings({get: <T>(k: string) => values[k] as T});
  assert.equal(settings.budgetTokens, 4096);
  assert.equal(settings.method, "dynsplit");
  assert.equal(settings.signal, "auto");
  assert.equal(settings.kvCacheType, "f16");
  assert.deepEqual(settings.include, []);
  assert.equal(settings.blockSize, 8);
  assert.equal(settings.tolerance, 4, "a tolerance not below the block size becomes half of it");
  assert.equal(problems.length, 6, problems.join("\n"));
  assert.match(problems.find((p) => p.startsWith("dynsplit.method")) ?? "", /got "magic"; using "dynsplit"/);
  const good = readSettings({get: <T>(k: string) => ({gpuLayers: 12, placement: "prefill", model: " /m.gguf "})[k] as T});
  assert.deepEqual([good.settings.gpuLayers, good.settings.placement, good.settings.model, good.problems], [12, "prefill", "/m.gguf", []]);
});

test("the extension runs where the workspace is (Remote-SSH, Dev Containers, code-server), and its visualizer is revived after a reload", () => {
  const pkg = manifest as typeof manifest & {activationEvents: string[]};
  assert.deepEqual(pkg.extensionKind, ["workspace"]);
  assert.ok(pkg.activationEvents.includes("onWebviewPanel:dynsplit.visualizer"));
});
