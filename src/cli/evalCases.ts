/** The eval case file (one JSON object a line) and budget values, shared by `dynsplit eval` and the benchmarks. */
import {readFileSync} from "node:fs";
import {z} from "zod";
import type {Budget} from "../core/types";
import type {AnswerKind} from "./answerMatch";
import {UsageError} from "./options";

export interface EvalQuestion {
  question: string;
  answer: string;
  /** How the answer is compared: `value` exactly after trimming (default), `file` as a path. */
  kind: AnswerKind;
}

export interface EvalCase {
  id: string;
  files: Record<string, string>;
  questions: EvalQuestion[];
}

const question = z.object({question: z.string(), answer: z.string(), kind: z.enum(["value", "file"]).default("value")});
const caseLine = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    files: z.record(z.string(), z.string()),
    questions: z.array(question).min(1).optional(),
    question: z.string().optional(),
    answer: z.string().optional(),
    kind: z.enum(["value", "file"]).optional(),
  })
  .refine((c) => c.questions != null || (c.question != null && c.answer != null), {
    message: 'a case needs "questions": [{"question", "answer", "kind"?}, ...], or "question" and "answer" (strings)',
  });

/** An eval measures the share it names: exact, neither floored nor capped. A share is in (0, 1], a token count above 1. */
export function budgetOfValue(v: number): Budget {
  return v > 1 ? {tokens: v} : {ratio: v, exact: true};
}

export function readCases(file: string, limit?: number): EvalCase[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read cases file: ${file}`);
  }
  const cases: EvalCase[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new UsageError(`${where}: not valid JSON`);
    }
    const parsed = caseLine.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${where}: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
    }
    const c = parsed.data;
    const questions = c.questions ?? [{question: c.question!, answer: c.answer!, kind: c.kind ?? "value"}];
    cases.push({id: String(c.id ?? i + 1), files: c.files, questions});
  });
  if (cases.length === 0) throw new UsageError(`${file} holds no cases`);
  return limit ? cases.slice(0, limit) : cases;
}
