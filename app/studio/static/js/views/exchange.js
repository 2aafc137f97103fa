// Import and export of one table: JSON or CSV both ways, a preview of the first rows and the
// inferred types before a CSV import, upload progress, and the server's error by line.
import { h, field, toast, download } from "../dom.js";
import { call, upload, v3, enc } from "../api.js";
import { typeSelect, typeName, KEY_TYPES } from "../types.js";
import { parseCsv, inferType } from "../csv.js";

export function exchangePanel(name, def) {
  const section = h("section", { class: "stack" }, def ? exportCard(name) : null);
  // A file that created the table makes it exportable at once, without leaving the page.
  section.append(importCard(name, def, () => { if (!def) { def = true; section.prepend(exportCard(name)); } }));
  return section;
}

function exportCard(name) {
  const where = h("input", { type: "text", class: "mono", placeholder: "optional Where", spellcheck: "false" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const run = async (format) => {
    const params = new URLSearchParams();
    if (format === "csv") params.set("Format", "csv");
    if (where.value.trim()) params.set("Where", where.value.trim());
    try {
      const response = await call("GET", v3(`/custom-tables/${enc(name)}/export?${params}`));
      download(await response.blob(), `${name}.${format}`);
      problem.hidden = true;
      toast(`Exported ${name}.${format}`);
    } catch (error) { problem.hidden = false; problem.textContent = error.message; }
  };
  return h("div", { class: "card stack" }, h("h2", {}, "Export"), field("Rows to export (Where)", where),
    h("div", { class: "row-actions" },
      h("button", { type: "button", onclick: () => run("json") }, "Export JSON"),
      h("button", { type: "button", onclick: () => run("csv") }, "Export CSV")), problem);
}

function importCard(name, def, imported) {
  const file = h("input", { type: "file", accept: ".json,.csv,application/json,text/csv" });
  const mode = h("select", {}, h("option", { value: "upsert" }, "Add and update rows"), h("option", { value: "replace" }, "Replace all rows"));
  const preview = h("div", { class: "stack preview", "aria-live": "polite" });
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
  const result = h("div", { role: "status" });
  const go = h("button", { type: "submit", disabled: true }, "Import");
  let plan = null;

  file.addEventListener("change", async () => {
    preview.replaceChildren();
    result.replaceChildren();
    plan = null;
    const chosen = file.files[0];
    if (!chosen) return;
    const csv = /\.csv$/i.test(chosen.name) || chosen.type === "text/csv";
    if (!csv) { plan = { csv: false }; go.disabled = false; preview.append(h("p", {}, `JSON file ${chosen.name} (${chosen.size} bytes)`)); return; }
    const records = parseCsv(await chosen.slice(0, 256 * 1024).text());
    if (!records.length) { preview.append(h("p", { class: "error" }, "The file is empty.")); return; }
    const [header, ...rows] = records;
    const known = new Map([[def?.KeyColumnName?.toLowerCase(), def?.KeyDataTypeId], ...(def?.Columns || []).map((c) => [c.ColumnName.toLowerCase(), c.ColumnDataTypeId])]);
    const selects = header.map((column, i) => {
      const existing = known.get(String(column).toLowerCase());
      if (existing !== undefined) return h("span", { class: "type" }, typeName(existing));
      const select = typeSelect(inferType(rows.map((r) => r[i])));
      select.setAttribute("aria-label", `Type of ${column}`);
      return select;
    });
    const keySelect = def ? null : h("select", {}, header.map((c) => h("option", { value: c }, c)));
    plan = { csv: true, header, selects, keySelect };
    preview.append(
      h("p", {}, `First ${rows.length} row(s) of ${chosen.name}; the types below are inferred where the table has no such column.`),
      keySelect ? field("Key column", keySelect, `Key types: ${KEY_TYPES.map(typeName).join(", ")}`) : null,
      h("div", { class: "scroll" }, h("table", { class: "rows preview-table" },
        h("thead", {}, h("tr", {}, header.map((c) => h("th", { scope: "col" }, c))), h("tr", {}, selects.map((s) => h("th", {}, s)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, header.map((_c, i) => h("td", { class: r[i] === null ? "null" : "" }, r[i] ?? ""))))))));
    go.disabled = false;
  });

  const form = h("form", { class: "card stack", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, def ? "Import" : `Import a file as the new table ${name}`),
    field("File (JSON export or CSV with a header row)", file), field("Mode", mode),
    preview, h("div", { class: "row-actions" }, go), progress, result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!plan) return;
    const params = new URLSearchParams({ Mode: mode.value });
    if (plan.csv) {
      const types = plan.header.map((c, i) => (plan.selects[i].tagName === "SELECT" ? `${c}:${plan.selects[i].value}` : null)).filter(Boolean);
      if (types.length) params.set("Types", types.join(","));
      if (plan.keySelect) params.set("KeyColumnName", plan.keySelect.value);
    }
    progress.hidden = false;
    progress.value = 0;
    go.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "Uploading…"));
    try {
      const answer = await upload("PUT", v3(`/custom-tables/${enc(name)}/import?${params}`), file.files[0], {
        contentType: plan.csv ? "text/csv" : "application/json", onProgress: (f) => { progress.value = f; } });
      progress.value = 1;
      result.replaceChildren(h("p", { class: "ok" }, `Imported: ${answer.Inserted} inserted, ${answer.Updated} updated${answer.Created ? ", table created" : ""}${answer.ColumnsAdded?.length ? `, columns added: ${answer.ColumnsAdded.join(", ")}` : ""}.`));
      toast("Import finished");
      imported();
    } catch (error) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, `Nothing was imported. ${error.message}`));
    } finally { go.disabled = false; }
  });
  return form;
}
