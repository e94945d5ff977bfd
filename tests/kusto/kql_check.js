#!/usr/bin/env node
// Parses and binds KQL with Microsoft's Kusto language service
// (@kusto/language-service-next), against a database built from table schemas.
//
// Protocol: JSON lines on stdin, one JSON line answered on stdout per request line.
//   {"op": "schema", "database": "workspace", "tables": [{"name": "T", "columns": [{"name": "c", "type": "string"}]}]}
//       -> {"ok": true, "version": "12.4.1", "tables": 3}
//   {"op": "analyse", "id": "q1", "text": "T | take 1"}
//       -> {"id": "q1", "diagnostics": [{"severity", "code", "message", "start", "end"}],
//           "literals": ["string literal values, in text order"],
//           "shape": "syntax kinds of every token, with literal texts left out",
//           "columns": ["names of the result's columns, when the query returns a table"]}
//   {"op": "keywords"} -> {"keywords": ["every identifier-shaped keyword text"]}
//
// One process serves a whole test session: loading the service takes about a second,
// analysing a query takes milliseconds.
"use strict";

const path = require("path");
const readline = require("readline");

const pkgDir = path.dirname(require.resolve("@kusto/language-service-next/package.json"));
require(path.join(pkgDir, "bridge.js"));
require(path.join(pkgDir, "Kusto.Language.Bridge.js"));
const version = require(path.join(pkgDir, "package.json")).version;

/* global Kusto, Bridge */
const Sym = Kusto.Language.Symbols;
const Syntax = Kusto.Language.Syntax;

// The Azure-Sentinel validator files spell types in mixed case and with SQL-ish aliases.
const TYPE_ALIASES = {
  bigint: "long",
  int64: "long",
  float: "real",
  double: "real",
  boolean: "bool",
  date: "datetime",
  time: "timespan",
};

function scalarType(name) {
  const lower = String(name).toLowerCase();
  const symbol = Sym.ScalarTypes.GetSymbol(TYPE_ALIASES[lower] || lower);
  if (!symbol) {
    throw new Error(`unknown column type ${name}`);
  }
  return symbol;
}

function buildGlobals(spec) {
  const tables = (spec.tables || []).map((table) => {
    const columns = table.columns.map(
      (c) => new Sym.ColumnSymbol(c.name, scalarType(c.type), null, null, null, null),
    );
    return new Sym.TableSymbol.$ctor4(table.name, columns);
  });
  const database = new Sym.DatabaseSymbol.$ctor1(spec.database || "workspace", tables, false);
  return { globals: Kusto.Language.GlobalState.Default.WithDatabase(database), count: tables.length };
}

const LITERAL_TOKENS = new Set([Syntax.SyntaxKind.StringLiteralToken]);

function analyse(globals, text) {
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, globals);
  const diagnostics = Bridge.toArray(code.GetDiagnostics()).map((d) => ({
    severity: d.Severity,
    code: d.Code,
    message: d.Message,
    start: d.Start,
    end: d.End,
  }));
  const literals = [];
  const shape = [];
  Syntax.SyntaxElement.WalkElements(code.Syntax, (element) => {
    if (element.Kind === Syntax.SyntaxKind.StringLiteralExpression) {
      literals.push(element.LiteralValue);
    }
    const kindName = Syntax.SyntaxKind[element.Kind] || String(element.Kind);
    if (element.IsToken) {
      // Literal text is the one thing allowed to differ between two queries of one shape.
      shape.push(LITERAL_TOKENS.has(element.Kind) ? kindName : `${kindName}:${element.Text}`);
    } else {
      shape.push(kindName);
    }
  });
  let columns = null;
  const resultType = code.ResultType;
  if (resultType && resultType.Columns) {
    columns = Bridge.toArray(resultType.Columns).map((c) => c.Name);
  }
  return { diagnostics, literals, shape: shape.join(" "), columns };
}

function keywords() {
  const out = new Set();
  const kinds = Syntax.SyntaxKind;
  for (const name of Object.keys(kinds)) {
    const kind = kinds[name];
    if (typeof kind !== "number") continue;
    let text = null;
    try {
      text = Syntax.SyntaxFacts.GetText(kind);
    } catch (e) {
      text = null;
    }
    if (text && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) {
      out.add(text);
    }
  }
  return Array.from(out).sort();
}

function main() {
  let globals = Kusto.Language.GlobalState.Default;
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on("line", (line) => {
    if (!line.trim()) return;
    let answer;
    try {
      const request = JSON.parse(line);
      if (request.op === "schema") {
        const built = buildGlobals(request);
        globals = built.globals;
        answer = { ok: true, version, tables: built.count };
      } else if (request.op === "analyse") {
        answer = { id: request.id, ...analyse(globals, request.text) };
      } else if (request.op === "keywords") {
        answer = { keywords: keywords() };
      } else {
        answer = { error: `unknown op ${request.op}` };
      }
    } catch (err) {
      answer = { error: String((err && err.stack) || err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
}

main();
