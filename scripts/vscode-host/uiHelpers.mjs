// Helpers UI scenarios get: run a command through the palette, reach into a webview's content.
import {sleep} from "./host.mjs";

/** Opens the command palette and runs the command with this exact title (e.g. "DynSplit: Open Chat"). */
export async function runCommand(page, title, {timeoutMs = 60_000} = {}) {
  const deadline = Date.now() + timeoutMs;
  const widget = page.locator(".quick-input-widget");
  const input = widget.locator("input").first();
  const rows = widget.locator(".quick-input-list .monaco-list-row");
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (let attempt = 1; ; attempt++) {
    if (!(await widget.isVisible())) {
      // F1 must reach the workbench, not a focused webview iframe
      await page.evaluate(() => {
        const a = document.activeElement;
        if (a && a.tagName === "IFRAME") a.blur();
      });
      await page.keyboard.press("F1");
    }
    await input.waitFor({state: "visible", timeout: 10_000});
    await input.fill(">" + title);
    // An open palette does not refresh when the extension host registers contributions later: reopen until listed.
    const exact = rows.filter({has: page.locator(".label-name", {hasText: new RegExp(`^\\s*${escaped}\\s*$`)})}).first();
    const loose = rows.filter({hasText: title}).first();
    const listed = await loose.waitFor({state: "visible", timeout: 3000}).then(
      () => true,
      () => false
    );
    if (listed) {
      const found = (await exact.count()) > 0 ? exact : loose; // prefer the row whose label is exactly the title
      await found.click();
      await widget.waitFor({state: "hidden", timeout: 10_000}).catch(() => {});
      return;
    }
    await page.keyboard.press("Escape");
    if (Date.now() > deadline) throw new Error(`command "${title}" did not appear in the command palette (${attempt} tries)`);
    await sleep(1000);
  }
}

/**
 * A FrameLocator into the content of the webview whose title is `title` (the webview iframe's title attribute, or
 * the <title> of its document, compared exactly) or that contains an element matching `selector` (e.g.
 * "#chat-root"). A plain string is tried both ways; pass {selector} or {title} to be explicit.
 * Waits up to timeoutMs for such a webview (there can be several: the chat view, the visualizer panel).
 */
export async function webviewFrame(page, what, {timeoutMs = 60_000} = {}) {
  const spec = typeof what === "string" ? {selector: what, title: what} : what;
  const deadline = Date.now() + timeoutMs;
  const outers = page.locator("iframe.webview.ready");
  while (true) {
    const n = await outers.count();
    for (let i = 0; i < n; i++) {
      const outer = outers.nth(i);
      const inner = outer.contentFrame().locator("iframe#active-frame").contentFrame();
      // (errors: the frame is navigating or detached, or the string is no valid selector: try again / the other way)
      if (spec.title) {
        const attr = await outer.getAttribute("title", {timeout: 1000}).catch(() => null);
        const docTitle = await inner
          .locator("head > title")
          .first()
          .textContent({timeout: 1000})
          .catch(() => null);
        if (attr === spec.title || docTitle?.trim() === spec.title) return inner;
      }
      if (
        spec.selector &&
        (await inner
          .locator(spec.selector)
          .count()
          .catch(() => 0)) > 0
      )
        return inner;
    }
    if (Date.now() > deadline) {
      const wanted = [spec.title && `title "${spec.title}"`, spec.selector && `an element ${spec.selector}`].filter(Boolean).join(" or ");
      throw new Error(`no webview with ${wanted} after ${timeoutMs} ms (${n} webview(s) open)`);
    }
    await sleep(300);
  }
}
