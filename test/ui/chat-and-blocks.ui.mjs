// The user's path in a real VS Code window: load the workspace, ask the chat, get a streamed answer, open the
// semantic-block visualizer and check that it shows kept and evicted blocks; reload the window and find the
// visualizer panel revived (its serializer), the chat transcript and the unsent draft restored.
// Screenshots go to test/artifacts/.
export async function run({page, log, runCommand, frame, screenshot}) {
  await runCommand("DynSplit: Open Chat");
  const chat = await frame("#chat-root", {timeoutMs: 60_000});
  await chat.locator("#chat-root .composer textarea").waitFor({state: "visible", timeout: 30_000});

  await runCommand("DynSplit: Load Workspace into Context");
  log("loading the workspace…");
  await chat.locator("#context-meta").waitFor({state: "visible", timeout: 120_000});
  const meta = await chat.locator("#context-meta").innerText();
  log(`chat header: ${meta}`);
  if (!/tokens kept/.test(meta)) throw new Error(`unexpected chat header: ${meta}`);

  await chat.locator("#chat-root .composer textarea").fill("Q: retry_limit = ");
  await chat.locator("#send").click();
  const answer = chat.locator(".entry.assistant:not(.streaming)").last();
  await answer.waitFor({state: "visible", timeout: 120_000});
  const text = (await answer.locator(".markdown").innerText()).trim();
  log(`answer: ${text}`);
  if (text !== "41") throw new Error(`expected the planted answer 41, got "${text}"`);
  const refs = await answer.locator(".reference").allInnerTexts();
  log(`references: ${refs.join(", ")}`);
  if (!refs.some((r) => r.startsWith("src/http/client.ts:"))) throw new Error("the answer does not reference src/http/client.ts");
  await screenshot("chat-answer");

  await runCommand("DynSplit: Show Semantic Blocks");
  const vis = await frame("#visualizer-root", {timeoutMs: 60_000});
  await vis.locator("#totals").waitFor({state: "visible", timeout: 60_000});
  const kept = await vis.locator(".block.kept").count();
  const evicted = await vis.locator(".block.evicted").count();
  log(`visualizer: ${kept} kept blocks, ${evicted} evicted blocks; ${await vis.locator("#memory-text").innerText()}`);
  if (kept === 0 || evicted === 0) throw new Error(`expected kept and evicted blocks, got ${kept} and ${evicted}`);
  if ((await vis.locator('.block.kept[data-file="src/http/client.ts"]').count()) === 0)
    throw new Error("the block holding the fact is not shown as kept");
  await page.waitForTimeout(300);
  await screenshot("visualizer");

  // A window reload (the workbench's own, so that it saves its layout): the panel comes back through the
  // serializer, the chat with its transcript and draft.
  const DRAFT = "an unsent question";
  await chat.locator("#chat-root .composer textarea").fill(DRAFT);
  await page.waitForTimeout(500); // the webview saves its state on input
  await runCommand("Developer: Reload Window");
  await page.waitForEvent("load", {timeout: 60_000}).catch(() => {});
  await page.locator(".monaco-workbench .part.statusbar").waitFor({state: "visible", timeout: 90_000});
  log("window reloaded");
  const revived = await frame("#visualizer-root", {timeoutMs: 60_000});
  await revived.locator("#visualizer-root > *").first().waitFor({state: "visible", timeout: 60_000});
  log(`visualizer revived: ${(await revived.locator("#visualizer-root").innerText()).slice(0, 80).replace(/\n/g, " ")}`);
  await runCommand("DynSplit: Open Chat");
  const chatAgain = await frame("#chat-root", {timeoutMs: 60_000});
  const restored = chatAgain.locator(".entry.assistant").last();
  await restored.waitFor({state: "visible", timeout: 30_000});
  const restoredText = (await restored.locator(".markdown").innerText()).trim();
  if (restoredText !== "41") throw new Error(`the transcript was not restored after the reload (last answer "${restoredText}")`);
  const draft = await chatAgain.locator("#chat-root .composer textarea").inputValue();
  if (draft !== DRAFT) throw new Error(`the draft was not restored after the reload (got "${draft}")`);
  log("chat transcript and draft restored");
}
