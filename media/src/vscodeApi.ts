/**
 * The webview side of postMessage, typed by the protocol (src/extension/webviewProtocol.ts): a page posts only
 * its own `From…` messages, receives only `To…` messages and keeps one state shape. acquireVsCodeApi may be
 * called once per page, so each page calls `webviewApi` once.
 */
interface VsCodeApi<Out, State> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<Out, State>(): VsCodeApi<Out, State>;

export function webviewApi<Out, State>(): VsCodeApi<Out, State> {
  return acquireVsCodeApi<Out, State>();
}

/** Messages from the extension host; the host is the only sender a webview has. */
export function onHostMessage<In>(handler: (message: In) => void): void {
  window.addEventListener("message", (event: MessageEvent<In>) => handler(event.data));
}

/** Small DOM helper: element with class, text and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: {class?: string; text?: string; title?: string; attrs?: Record<string, string>} = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text != null) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}
