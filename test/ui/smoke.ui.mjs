// UI smoke scenario for `npm run test:ui` (scripts/vscode-host/run.mjs ui): command palette -> chat webview -> screenshot.
// A scenario exports `async function run(helpers)`; helpers: page (Playwright Page on the workbench), log(...),
// artifactsDir, workspaceDir, runCommand(title), frame(selectorOrTitle) / webviewFrame(...) -> FrameLocator into
// that webview's content, screenshot(name) -> test/artifacts/<name>.png. Throw to fail.
export async function run({page, log, runCommand, frame, screenshot}) {
  await runCommand("DynSplit: Open Chat");
  log("command ran; waiting for the chat webview");
  const chat = await frame("#chat-root", {timeoutMs: 60_000});
  await chat.locator("#chat-root").waitFor({state: "visible", timeout: 30_000});
  await page.waitForTimeout(500); // let the view finish its first paint
  await screenshot("chat");
}
