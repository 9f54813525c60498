/**
 * Word lists shared by the corpus generator and the model vocabulary. Every word here is a
 * single token in the bundled model's vocabulary (src/model/codeVocab.ts), so keys and
 * identifiers cost few tokens.
 */

/** First part of a fact key (`{prefix}_{suffix}`). Disjoint from KEY_SUFFIXES. */
export const KEY_PREFIXES = [
  "max", "min", "default", "base", "total", "initial", "local", "remote", "user", "cache",
  "buffer", "retry", "page", "batch", "worker", "queue", "session", "token", "request", "file",
  "log", "debug", "server", "client", "pool", "block", "frame", "stream", "upload", "render",
] as const;

/** Second part of a fact key. */
export const KEY_SUFFIXES = [
  "count", "size", "limit", "delay", "timeout", "depth", "width", "height", "port", "level",
  "rate", "offset", "length", "ratio", "interval", "version", "weight", "score", "steps", "items",
  "bytes", "lines", "chars", "threads", "tries", "seconds", "capacity", "budget", "quota", "margin",
] as const;

/** General identifier words for filler code. */
export const IDENT_WORDS = [
  "value", "data", "result", "item", "node", "list", "map", "key", "name", "path", "config",
  "options", "state", "context", "handler", "event", "error", "message", "text", "input", "output",
  "source", "target", "model", "view", "parser", "reader", "writer", "builder", "manager", "service",
  "store", "table", "row", "column", "entry", "record", "field", "schema", "type", "kind", "mode",
  "status", "id", "url", "host", "query", "params", "args", "callback", "promise", "task", "job",
  "range", "start", "end", "next", "prev", "first", "last", "current", "parent", "child", "children",
  "tree", "graph", "edge", "vertex", "point", "line", "shape", "color", "style", "theme", "width",
  "format", "encode", "decode", "parse", "load", "save", "read", "write", "open", "close", "send",
  "receive", "update", "create", "delete", "remove", "insert", "find", "filter", "sort", "merge",
  "split", "join", "check", "validate", "compute", "process", "handle", "emit", "listen", "register",
  "resolve", "reject", "init", "reset", "flush", "fetch", "build", "run", "apply", "call", "bind",
  "get", "set", "has", "add", "is", "to", "on", "of", "by", "at", "in", "all", "new", "old", "tmp",
  "util", "helper", "api", "app", "core", "main", "test", "spec", "mock", "index", "module",
] as const;

/** Language keywords and common library names. */
export const CODE_KEYWORDS = [
  "const", "let", "var", "function", "return", "if", "else", "for", "while", "do", "switch", "case",
  "break", "continue", "class", "extends", "implements", "interface", "type", "enum", "import",
  "export", "from", "as", "default", "new", "this", "super", "try", "catch", "finally", "throw",
  "async", "await", "yield", "typeof", "instanceof", "void", "null", "undefined", "true", "false",
  "public", "private", "protected", "readonly", "static", "abstract", "string", "number", "boolean",
  "any", "unknown", "never", "object", "Array", "Promise", "Map", "Set", "Record", "Partial", "Error",
  "console", "log", "length", "push", "pop", "slice", "splice", "keys", "values", "entries", "forEach",
  "def", "self", "None", "True", "False", "and", "or", "not", "elif", "pass", "lambda", "with",
  "raise", "except", "print", "range", "len", "dict", "str", "int", "float", "bool", "list", "tuple",
  "require", "module", "exports", "prototype", "constructor", "arguments", "Object", "JSON", "Math",
  "description", "version", "dependencies", "scripts", "name", "true", "enabled", "settings",
] as const;

/** Upper-case-first variants used in camelCase / PascalCase identifiers. */
export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
