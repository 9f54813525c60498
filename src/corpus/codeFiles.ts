/** Synthetic source files in a few flavours (TypeScript, Python, JSON, YAML/INI config), line by line. */
import {type Rng} from "./rng";
import {IDENT_WORDS, KEY_PREFIXES, KEY_SUFFIXES, capitalize} from "./words";

export type FileFlavour = "ts" | "py" | "json" | "config";

export const FLAVOUR_EXTENSIONS: Record<FileFlavour, string[]> = {
  ts: [".ts", ".tsx", ".js"],
  py: [".py"],
  json: [".json"],
  config: [".yaml", ".ini", ".env", ".toml"],
};

const ALL_WORDS: readonly string[] = [...IDENT_WORDS, ...KEY_PREFIXES, ...KEY_SUFFIXES];
const word = (rng: Rng) => rng.pick(ALL_WORDS);
const camel = (rng: Rng, parts = rng.int(1, 3)) => {
  let s = word(rng);
  for (let i = 1; i < parts; i++) s += capitalize(word(rng));
  return s;
};
const pascal = (rng: Rng) => capitalize(camel(rng, rng.int(1, 2)));
const snake = (rng: Rng, parts = rng.int(1, 3)) => Array.from({length: parts}, () => word(rng)).join("_");
const num = (rng: Rng) => (rng.chance(0.7) ? String(rng.int(0, 999)) : String(rng.int(0, 99999)));
const sentence = (rng: Rng) => Array.from({length: rng.int(3, 9)}, () => word(rng)).join(" ");

function tsExpr(rng: Rng): string {
  switch (rng.int(0, 7)) {
    case 0:
      return num(rng);
    case 1:
      return `"${snake(rng)}"`;
    case 2:
      return `${camel(rng)}(${camel(rng, 1)})`;
    case 3:
      return `${camel(rng, 1)}.${camel(rng)}`;
    case 4:
      return `[${num(rng)}, ${num(rng)}]`;
    case 5:
      return `${camel(rng, 1)} + ${num(rng)}`;
    case 6:
      return `new ${pascal(rng)}()`;
    default:
      return rng.pick(["true", "false", "null", "undefined", "[]", "{}"]);
  }
}

function tsStatement(rng: Rng, indent: string): string[] {
  switch (rng.int(0, 6)) {
    case 0:
      return [`${indent}const ${camel(rng)} = ${tsExpr(rng)};`];
    case 1:
      return [`${indent}let ${camel(rng)}: ${rng.pick(["number", "string", "boolean", pascal(rng)])} = ${tsExpr(rng)};`];
    case 2:
      return [
        `${indent}if (${camel(rng)} ${rng.pick([">", "<", "===", "!=="])} ${tsExpr(rng)}) {`,
        `${indent}  return ${tsExpr(rng)};`,
        `${indent}}`,
      ];
    case 3:
      return [`${indent}${camel(rng, 1)}.${camel(rng)}(${tsExpr(rng)});`];
    case 4:
      return [`${indent}// ${sentence(rng)}`];
    case 5:
      return [
        `${indent}for (const ${camel(rng, 1)} of ${camel(rng)}) {`,
        `${indent}  ${camel(rng, 1)}.push(${tsExpr(rng)});`,
        `${indent}}`,
      ];
    default:
      return [`${indent}await ${camel(rng)}(${tsExpr(rng)}, ${tsExpr(rng)});`];
  }
}

function tsFile(rng: Rng, targetLines: number): string[] {
  const lines: string[] = [];
  for (let i = rng.int(1, 4); i > 0; i--) lines.push(`import { ${camel(rng)}, ${pascal(rng)} } from "./${snake(rng, 1)}/${camel(rng)}";`);
  lines.push("");
  while (lines.length < targetLines) {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      lines.push(`/** ${sentence(rng)} */`);
      lines.push(
        `export ${rng.chance(0.5) ? "async " : ""}function ${camel(rng)}(${camel(rng, 1)}: ${pascal(rng)}, ${camel(rng, 1)}: number): ${pascal(rng)} {`
      );
      for (let s = rng.int(2, 6); s > 0; s--) lines.push(...tsStatement(rng, "  "));
      lines.push(`  return ${tsExpr(rng)};`, "}", "");
    } else if (kind === 1) {
      lines.push(`export class ${pascal(rng)} ${rng.chance(0.3) ? `extends ${pascal(rng)} ` : ""}{`);
      for (let f = rng.int(1, 3); f > 0; f--) lines.push(`  private ${camel(rng)} = ${tsExpr(rng)};`);
      for (let m = rng.int(1, 3); m > 0; m--) {
        lines.push(`  ${camel(rng)}(${camel(rng, 1)}: ${pascal(rng)}) {`);
        for (let s = rng.int(1, 4); s > 0; s--) lines.push(...tsStatement(rng, "    "));
        lines.push("  }");
      }
      lines.push("}", "");
    } else if (kind === 2) {
      lines.push(`export interface ${pascal(rng)} {`);
      for (let f = rng.int(2, 5); f > 0; f--)
        lines.push(`  ${camel(rng)}${rng.chance(0.3) ? "?" : ""}: ${rng.pick(["number", "string", "boolean", `${pascal(rng)}[]`])};`);
      lines.push("}", "");
    } else {
      for (let s = rng.int(1, 4); s > 0; s--) lines.push(...tsStatement(rng, ""));
    }
  }
  return lines;
}

function pyFile(rng: Rng, targetLines: number): string[] {
  const lines: string[] = [];
  for (let i = rng.int(1, 3); i > 0; i--)
    lines.push(rng.chance(0.5) ? `import ${snake(rng, 1)}` : `from ${snake(rng, 1)}.${snake(rng, 1)} import ${snake(rng)}`);
  lines.push("");
  const pyExpr = () =>
    rng.pick([
      num(rng),
      `"${snake(rng)}"`,
      `${snake(rng)}(${snake(rng, 1)})`,
      `self.${snake(rng)}`,
      "None",
      "True",
      "False",
      `[${num(rng)}, ${num(rng)}]`,
    ]);
  while (lines.length < targetLines) {
    if (rng.chance(0.5)) {
      lines.push(`def ${snake(rng)}(${snake(rng, 1)}, ${snake(rng, 1)}=${num(rng)}):`);
      lines.push(`    """${sentence(rng)}."""`);
      for (let s = rng.int(1, 5); s > 0; s--) {
        if (rng.chance(0.3)) lines.push(`    if ${snake(rng)} > ${num(rng)}:`, `        return ${pyExpr()}`);
        else lines.push(`    ${snake(rng)} = ${pyExpr()}`);
      }
      lines.push(`    return ${pyExpr()}`, "");
    } else {
      lines.push(`class ${pascal(rng)}(${rng.chance(0.5) ? pascal(rng) : "object"}):`);
      lines.push(`    def __init__(self, ${snake(rng, 1)}):`);
      for (let s = rng.int(1, 4); s > 0; s--) lines.push(`        self.${snake(rng)} = ${pyExpr()}`);
      lines.push("");
      lines.push(`    def ${snake(rng)}(self):`, `        # ${sentence(rng)}`, `        return ${pyExpr()}`, "");
    }
  }
  return lines;
}

function jsonFile(rng: Rng, targetLines: number): string[] {
  const lines = ["{"];
  const jsonValue = () => rng.pick([num(rng), `"${snake(rng)}"`, "true", "false", "null", `[${num(rng)}, ${num(rng)}]`]);
  while (lines.length < targetLines - 1) {
    if (rng.chance(0.25)) {
      lines.push(`  "${camel(rng)}": {`);
      for (let f = rng.int(1, 4); f > 0; f--) lines.push(`    "${camel(rng)}": ${jsonValue()},`);
      lines.push(`    "${camel(rng)}": ${jsonValue()}`, "  },");
    } else lines.push(`  "${camel(rng)}": ${jsonValue()},`);
  }
  lines.push(`  "${camel(rng)}": ${jsonValue()}`, "}");
  return lines;
}

function configFile(rng: Rng, targetLines: number, ext: string): string[] {
  const lines: string[] = [];
  while (lines.length < targetLines) {
    if (ext === ".ini" || ext === ".toml") lines.push(`[${snake(rng, rng.int(1, 2))}]`);
    else if (ext === ".yaml") lines.push(`${snake(rng, 1)}:`);
    else lines.push(`# ${sentence(rng)}`);
    for (let f = rng.int(2, 6); f > 0; f--) {
      const v = rng.pick([num(rng), snake(rng), "true", "false"]);
      if (ext === ".yaml") lines.push(`  ${snake(rng)}: ${v}`);
      else if (ext === ".env") lines.push(`${snake(rng).toUpperCase()}=${v}`);
      else lines.push(`${snake(rng)} = ${v}`);
    }
    lines.push("");
  }
  return lines;
}

export interface SyntheticFile {
  path: string;
  flavour: FileFlavour;
  lines: string[];
}

/** One synthetic file of roughly `targetLines` lines. */
export function generateFile(rng: Rng, flavour: FileFlavour, targetLines: number): SyntheticFile {
  const ext = rng.pick(FLAVOUR_EXTENSIONS[flavour]);
  const dir = rng.pick(["src", "lib", "app", "config", "scripts", "tests", `src/${snake(rng, 1)}`, `packages/${snake(rng, 1)}/src`]);
  const path = `${dir}/${flavour === "ts" || flavour === "json" ? camel(rng, rng.int(1, 2)) : snake(rng, rng.int(1, 2))}${ext}`;
  const lines =
    flavour === "ts"
      ? tsFile(rng, targetLines)
      : flavour === "py"
        ? pyFile(rng, targetLines)
        : flavour === "json"
          ? jsonFile(rng, targetLines)
          : configFile(rng, targetLines, ext);
  return {path, flavour, lines};
}

export function pickFlavour(rng: Rng): FileFlavour {
  const r = rng.float();
  return r < 0.5 ? "ts" : r < 0.75 ? "py" : r < 0.88 ? "json" : "config";
}
