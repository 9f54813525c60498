import {existsSync, mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {writeArchModel, type ArchModelOptions, type TestArchitecture} from "../../src/model/archModels";
import {realVocabFile, type RealVocab} from "../../src/model/realVocab";

const dir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-arch-"));

/** A random-weight model of `architecture` on a real tokenizer, written once per test process. */
export async function archModelFile(
  architecture: TestArchitecture,
  vocab: RealVocab,
  extra: Omit<ArchModelOptions, "architecture" | "vocabFile"> = {}
): Promise<string> {
  const file = path.join(
    dir,
    `${architecture}-${vocab}${extra.favourToken != null ? `-favour-${Buffer.from(extra.favourToken).toString("hex")}` : ""}.gguf`
  );
  if (!existsSync(file)) await writeArchModel(file, {architecture, vocabFile: realVocabFile(vocab), ...extra});
  return file;
}
