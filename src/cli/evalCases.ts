/** The eval case file (one JSON object a line) and budget values, shared by `dynsplit eval` and the benchmarks. */
import {readFileSync} from "node:fs";
import type {Budget} from "../core/types";
import {UsageError} from "./options";

export interface EvalCase {
  id: string;
  files: Record<string, string>;
  questions: {question: string; answer: string}[];
}

/** A share of the workspace in (0, 1], or a token count above 1. */
/** An eval measures the share it names: exact, neither floored nor capped. */
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
    let c: {id?: unknown; files?: unknown; question?: unknown; answer?: unknown; questions?: unknown};
    try {
      c = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1}: not valid JSON`);
    }
    const where = `${file}:${i + 1}`;
    if (typeof c.files !== "object" || c.files == null)
      throw new UsageError(`${where}: a case needs "files" (an object of path → content)`);
    let questions: {question: string; answer: string}[];
    if (Array.isArray(c.questions)) {
      questions = c.questions.map((q, k) => {
        if (typeof q?.question !== "string" || typeof q?.answer !== "string")
          throw new UsageError(`${where}: questions[${k}] needs "question" and "answer" (strings)`);
        return {question: q.question, answer: q.answer};
      });
      if (questions.length === 0) throw new UsageError(`${where}: "questions" is empty`);
    } else if (typeof c.question === "string" && typeof c.answer === "string") questions = [{question: c.question, answer: c.answer}];
    else throw new UsageError(`${where}: a case needs "questions": [{"question", "answer"}, ...], or "question" and "answer" (strings)`);
    cases.push({id: String(c.id ?? i + 1), files: c.files as Record<string, string>, questions});
  });
  if (cases.length === 0) throw new UsageError(`${file} holds no cases`);
  return limit ? cases.slice(0, limit) : cases;
}
