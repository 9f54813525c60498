// The user's path in a real VS Code window: load the workspace, ask the chat, get a streamed answer, open the
// semantic-block visualizer and check that it shows kept and evicted blocks. Screenshots go to test/artifacts/.
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
  if ((await vis.locator('.block.kept[data-file="src/http/client.ts"]').count()) === 0) throw new Error("the block holding the fact is not shown as kept");
  await page.waitForTimeout(300);
  await screenshot("visualizer");
}
