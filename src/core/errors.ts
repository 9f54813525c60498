/** Raised for invalid input to the core library: the message says what was wrong and what is allowed. */
export class DynSplitInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DynSplitInputError";
  }
}
