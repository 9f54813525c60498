// One lint configuration for the TypeScript tree. Type-aware rules catch what tsc does not: promises nobody awaits
// or handles (a lost rejection in the extension host is a silent failure) and code nothing uses.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {ignores: ["node_modules/", "dist/", "docs/", "models/", "examples/", "kernels/", "test/fixtures/", ".vscode-test/"]},
  {
    // Build and host scripts, UI scenarios: plain JavaScript on Node (scenarios also pass functions to the page).
    files: ["**/*.mjs"],
    ...js.configs.recommended,
    languageOptions: {ecmaVersion: 2024, sourceType: "module", globals: {...globals.node, ...globals.browser}},
    rules: {...js.configs.recommended.rules, "no-empty": ["error", {allowEmptyCatch: true}]},
  },
  ...[js.configs.recommended, ...tseslint.configs.recommended].map((c) => ({...c, files: ["**/*.ts"]})),
  {
    files: ["**/*.ts"],
    languageOptions: {parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {allowForKnownSafeCalls: [{from: "package", package: "node:test", name: ["test", "describe", "it", "suite"]}]},
      ],
      "@typescript-eslint/no-misused-promises": ["error", {checksVoidReturn: {arguments: false, attributes: false}}],
      "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none"}],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", {fixStyle: "inline-type-imports"}],
      "no-constant-condition": ["error", {checkLoops: false}],
      // A closure that reads a variable assigned right after it (a callback handed to the constructor) is not a let smell.
      "prefer-const": ["error", {ignoreReadBeforeAssign: true}],
    },
  }
);
