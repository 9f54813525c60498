import {formatDuration} from "../core/formatDuration";

/**
 * Progress on stderr while a workspace is read: one line updated in place on a terminal, and on a pipe or a log file
 * one plain line every few seconds (never one record per chunk), each with an ETA once there is a throughput to go by.
 */
export interface ReadProgress {
  filesRead: number;
  filesTotal: number;
  tokensRead: number;
  tokensTotal: number;
  tokensKept?: number;
  etaMs?: number;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, options: {intervalMs?: number} = {}) {
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 200 : 5000);
  let last = 0;
  let printed = false;
  const print = (p: ReadProgress, force = false) => {
    const now = Date.now();
    const done = p.tokensRead >= p.tokensTotal;
    if (!force && now - last < interval && !(tty && done)) return;
    last = now;
    printed = true;
    const eta = p.etaMs != null && !done ? ` · about ${formatDuration(p.etaMs)} left` : "";
    const kept = p.tokensKept ? ` · ${p.tokensKept} kept` : "";
    const line = `reading ${p.filesRead}/${p.filesTotal} files · ${p.tokensRead}/${p.tokensTotal} tokens${kept}${eta}`;
    stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  return Object.assign((p: ReadProgress) => print(p), {
    /** Ends the progress display (a newline after an in-place line). */
    end() {
      if (tty && printed) stream.write("\n");
    },
  });
}
