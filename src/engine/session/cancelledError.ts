/** A request the user cancelled: it stopped cleanly, and what it was building was not used. */
export class CancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "CancelledError";
  }
}
