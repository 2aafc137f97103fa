// Reading the start of a CSV file for the import preview (RFC 4180: quotes, doubled quotes,
// line breaks inside quotes, a BOM), and guessing column types by the server's own rules
// (docs/decisions.md, "CSV"): the server infers again on import, this only shows it first.

export function parseCsv(text, limit = 21) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records = [];
  let record = [];
  let value = "";
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const endValue = () => { record.push(value === "" && !wasQuoted ? null : value); value = ""; wasQuoted = false; };
  while (i < text.length && records.length < limit) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { value += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      value += c; i += 1; continue;
    }
    if (c === '"') { quoted = true; wasQuoted = true; i += 1; continue; }
    if (c === ",") { endValue(); i += 1; continue; }
    if (c === "\r" || c === "\n") {
      endValue(); records.push(record); record = [];
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1; continue;
    }
    value += c; i += 1;
  }
  if ((value !== "" || record.length) && records.length < limit) { endValue(); records.push(record); }
  return records;
}

const INTEGER = /^[+-]?(?:0|[1-9]\d{0,18})$/;
const MONEY = /^[+-]?(?:0|[1-9]\d{0,14})(?:\.\d{1,4})?$/;
const NUMBER = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const UUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;

export function inferType(values) {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (!present.length) return 7;
  const all = (test) => present.every(test);
  if (all((v) => /^(true|false)$/i.test(v))) return 0;
  if (all((v) => INTEGER.test(v))) return 3;
  if (all((v) => MONEY.test(v))) return 4;
  if (all((v) => NUMBER.test(v))) return 2;
  if (all((v) => DATE.test(v) && !Number.isNaN(Date.parse(v)))) return 1;
  if (all((v) => UUID.test(v))) return 9;
  const longest = Math.max(...present.map((v) => v.length));
  return longest <= 50 ? 5 : longest <= 100 ? 6 : longest <= 200 ? 10 : 7;
}
