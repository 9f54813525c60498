import assert from "node:assert/strict";
import {mkdtempSync, mkdirSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {test} from "node:test";
import {scanWorkspace} from "../../src/engine/workspace/scanWorkspace";

function fixture(): {root: string; outside: string} {
  const base = mkdtempSync(path.join(tmpdir(), "dynsplit-scan-"));
  const root = path.join(base, "ws");
  const outside = path.join(base, "secret");
  mkdirSync(outside);
  writeFileSync(path.join(outside, "keys.txt"), "password=1\n");
  const files: Record<string, string | Buffer> = {
    "src/a.ts": "export const a = 1;\n",
    "src/b.py": "def b():\n    return 2\n",
    "src/gen/out.ts": "generated\n",
    "src/gen/.gitignore": "*.tmp\n",
    "src/gen/keep.ts": "keep\n",
    "src/gen/x.tmp": "tmp\n",
    ".gitignore": "logs/\nsrc/gen/out.ts\n",
    "logs/app.log": "log\n",
    "node_modules/pkg/index.js": "module.exports = 1;\n",
    "image.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3]),
    "big.txt": "x".repeat(5000),
    "docs/readme.md": "# hello\n",
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), {recursive: true});
    writeFileSync(path.join(root, rel), content);
  }
  symlinkSync(path.join(outside, "keys.txt"), path.join(root, "escape.txt"));
  symlinkSync(path.join(root, "src/a.ts"), path.join(root, "alias.ts"));
  return {root, outside};
}

test("scan honours .gitignore (nested too), excludes, size cap, binaries and symlink escapes", async () => {
  const {root} = fixture();
  const r = await scanWorkspace({roots: [root], maxFileBytes: 1000, exclude: ["docs/**"]});
  assert.deepEqual(
    r.files.map((f) => f.relPath),
    [".gitignore", "alias.ts", "src/a.ts", "src/b.py", "src/gen/.gitignore", "src/gen/keep.ts"]
  );
  const reason = (p: string) => r.skipped.find((s) => s.relPath === p)?.reason;
  assert.equal(reason("logs"), "gitignored");
  assert.equal(reason("src/gen/out.ts"), "gitignored");
  assert.equal(reason("src/gen/x.tmp"), "gitignored");
  assert.equal(reason("node_modules"), "excluded");
  assert.equal(reason("docs"), "excluded");
  assert.equal(reason("image.png"), "binary");
  assert.equal(reason("big.txt"), "too-large");
  assert.equal(reason("escape.txt"), "outside-workspace");
  assert.equal(r.skippedByReason.binary, 1);
  assert.equal(r.files[2].content, "export const a = 1;\n");
});

test("the content hash changes when any file changes, and only then", async () => {
  const {root} = fixture();
  const a = await scanWorkspace({roots: [root]});
  const b = await scanWorkspace({roots: [root]});
  assert.equal(a.contentHash, b.contentHash);
  writeFileSync(path.join(root, "src/b.py"), "def b():\n    return 3\n");
  const c = await scanWorkspace({roots: [root]});
  assert.notEqual(a.contentHash, c.contentHash);
});

test("multi-root workspaces prefix paths with the folder name; a missing folder is a clear error", async () => {
  const one = fixture().root;
  const two = fixture().root;
  const r = await scanWorkspace({roots: [one, two], include: ["src/*.ts"]});
  assert.equal(r.files.length, 2);
  assert.ok(r.files.every((f) => f.relPath.endsWith("/src/a.ts")));
  await assert.rejects(scanWorkspace({roots: ["/nonexistent/dynsplit"]}), /workspace folder not found/);
  await assert.rejects(scanWorkspace({roots: []}), /no workspace folder/);
});
