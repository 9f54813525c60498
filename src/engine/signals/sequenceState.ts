/** Saves a sequence's KV state to a temporary file (RAM-backed when /dev/shm exists) and parses it. */
import {existsSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import type {LlamaContextSequence} from "node-llama-cpp";
import {parseSeqState, type KvStateParseOptions, type ParsedSeqState} from "./kvStateParser";

let stateFileCounter = 0;

export async function readSequenceKvState(sequence: LlamaContextSequence, options: KvStateParseOptions = {}): Promise<ParsedSeqState> {
  const dir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const file = join(dir, `dynsplit-kv-${process.pid}-${stateFileCounter++}.bin`);
  try {
    await sequence.saveStateToFile(file);
    return parseSeqState(readFileSync(file), options);
  } finally {
    rmSync(file, {force: true});
  }
}
