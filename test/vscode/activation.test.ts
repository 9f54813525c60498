/// <reference types="mocha" />
// Runs inside a real VS Code extension host (code-server's Node 24 host): `npm run test:vscode`.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";

const EXTENSION_ID = "dynsplit.dynsplit-chat";

suite("extension activation", () => {
  test("the extension is installed in the host", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(
      ext,
      `extension ${EXTENSION_ID} not found; known: ${vscode.extensions.all
        .map((e) => e.id)
        .filter((id) => !id.startsWith("vscode."))
        .join(", ")}`
    );
  });

  test("the extension activates", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test("the command dynsplit.openChat is registered", async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes("dynsplit.openChat"), "dynsplit.openChat is not among the registered commands");
  });
});
