// v1 tables (JSON-document tables): list, and a grid over each row's `data` with a form made
// from the table's declared `columns` (required, type); maxRows and the row count shown.
import { h, clear, field, toast, confirmDialog } from "../dom.js";
import { request, v1, enc } from "../api.js";

const PAGE = 50;

export async function v1ListView() {
  const { data: tables } = await request("GET", v1("/tables"), { v1: true });
  return h("section", { class: "stack" }, h("h1", {}, "v1 tables"),
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ["Name", "Rows", "Max rows", "SQL name"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tables.length ? tables.map((t) => h("tr", {},
        h("td", {}, h("a", { href: `#/v1/${enc(t.id)}` }, t.name)), h("td", { class: "num" }, String(t.rowCount)),
        h("td", { class: "num" }, String(t.maxRows)), h("td", { class: "mono" }, t.sqlName || "")))
        : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No v1 tables."))))));
}

function inputFor(column, value) {
  const type = column.type || "text";
  let input;
  if (type === "boolean") input = h("input", { type: "checkbox", checked: Boolean(value) });
  else if (type === "number") input = h("input", { type: "text", inputmode: "decimal", value: value ?? "" });
  else if (type === "date") input = h("input", { type: "text", placeholder: "YYYY-MM-DD or ISO date-time", value: value ?? "" });
  else if (type === "select") input = h("select", {}, h("option", { value: "" }, "—"), (column.options || []).map((o) => h("option", { value: o, selected: o === value }, o)));
  else if (type === "json") input = h("textarea", { rows: 2, class: "mono" }, value === undefined ? "" : JSON.stringify(value));
  else input = h("input", { type: type === "email" ? "email" : type === "url" ? "url" : "text", value: value ?? "" });
  // Marked, not enforced by the browser: the server's own message names the missing field.
  if (column.required) input.setAttribute("aria-required", "true");
  const read = () => {
    if (type === "boolean") return input.checked;
    const text = input.value;
    if (text === "") return undefined;
    if (type === "number") return Number.isFinite(Number(text)) ? Number(text) : text;
    if (type === "json") { try { return JSON.parse(text); } catch { return text; } }
    return text;
  };
  return { input, read };
}

function rowForm(table, row, done) {
  const declared = table.columns || [];
  const editors = declared.map((c) => ({ c, ...inputFor(c, row?.data?.[c.name]) }));
  const extra = Object.fromEntries(Object.entries(row?.data || {}).filter(([k]) => !declared.some((c) => c.name === k)));
  const extraText = h("textarea", { rows: 2, class: "mono" }, Object.keys(extra).length ? JSON.stringify(extra) : "");
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "stack" },
    h("div", { class: "grid2" }, editors.map(({ c, input }) => field(`${c.name}${c.required ? " *" : ""}`, input, c.type))),
    field("Other fields (JSON object)", extraText, "Keys beyond the declared columns are kept"),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, row ? "Save row" : "Add row")), problem);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let data = {};
    try { data = extraText.value.trim() ? JSON.parse(extraText.value) : {}; }
    catch { problem.hidden = false; problem.textContent = "Other fields must be a JSON object"; return; }
    for (const { c, read } of editors) { const v = read(); if (v !== undefined) data[c.name] = v; }
    try {
      if (row) await request("PATCH", v1(`/tables/${enc(table.id)}/rows/${enc(row.id)}`), { v1: true, json: { data } });
      else await request("POST", v1(`/tables/${enc(table.id)}/rows`), { v1: true, json: { data } });
      toast(row ? "Row saved" : "Row added");
      done();
    } catch (error) { problem.hidden = false; problem.textContent = error.message; }
  });
  return form;
}

export async function v1TableView(id) {
  const { data: table } = await request("GET", v1(`/tables/${enc(id)}`), { v1: true });
  const declared = table.columns || [];
  const status = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("tbody");
  const editorArea = h("div");
  let offset = 0;
  let rows = [];
  const load = async () => {
    const { data } = await request("GET", v1(`/tables/${enc(id)}/rows?limit=${PAGE}&offset=${offset}`), { v1: true });
    rows = data;
    const { data: fresh } = await request("GET", v1(`/tables/${enc(id)}`), { v1: true });
    status.textContent = `Rows ${rows.length ? offset + 1 : 0}–${offset + rows.length} of ${fresh.rowCount} · max ${fresh.maxRows}`;
    prev.disabled = offset === 0;
    next.disabled = offset + rows.length >= fresh.rowCount;
    body.replaceChildren(...rows.map((r) => h("tr", {},
      declared.map((c) => h("td", {}, r.data?.[c.name] === undefined ? "" : typeof r.data[c.name] === "object" ? JSON.stringify(r.data[c.name]) : String(r.data[c.name]))),
      h("td", { class: "mono" }, JSON.stringify(Object.fromEntries(Object.entries(r.data || {}).filter(([k]) => !declared.some((c) => c.name === k))))),
      h("td", {}, h("div", { class: "row-actions" },
        h("button", { type: "button", class: "small ghost", "aria-label": `Edit row ${r.id}`, onclick: () => edit(r) }, "Edit"),
        h("button", { type: "button", class: "small danger", "aria-label": `Delete row ${r.id}`, onclick: () => remove(r) }, "Delete"))))));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: declared.length + 2, class: "muted" }, "No rows.")));
  };
  const edit = (row) => {
    clear(editorArea).append(h("div", { class: "card stack" }, h("h2", {}, row ? `Edit row ${row.id}` : "Add a row"), rowForm(table, row, () => { clear(editorArea); load(); })));
    editorArea.querySelector("input, textarea, select")?.focus();
  };
  const remove = async (row) => {
    if (!(await confirmDialog(`Delete row ${row.id}?`, { ok: "Delete" }))) return;
    try { await request("DELETE", v1(`/tables/${enc(id)}/rows/${enc(row.id)}`), { v1: true }); toast("Row deleted"); load(); }
    catch (error) { toast(error.message, "error"); }
  };
  const prev = h("button", { type: "button", class: "ghost", onclick: () => { offset = Math.max(0, offset - PAGE); load(); } }, "← Previous");
  const next = h("button", { type: "button", class: "ghost", onclick: () => { offset += PAGE; load(); } }, "Next →");
  await load();
  return h("section", { class: "stack" },
    h("div", { class: "bar" }, h("h1", {}, table.name), h("span", { class: "muted" }, table.description || "")),
    h("div", { class: "bar" }, status, h("div", { class: "row-actions" }, prev, next,
      h("button", { type: "button", onclick: () => edit(null) }, "Add row"))),
    h("div", { class: "scroll" }, h("table", { class: "rows", "aria-label": `Rows of ${table.name}` },
      h("thead", {}, h("tr", {}, declared.map((c) => h("th", { scope: "col" }, `${c.name}${c.required ? " *" : ""}`, h("small", { class: "type" }, c.type))),
        h("th", { scope: "col" }, "Other fields"), h("th", { scope: "col" }, "Actions"))), body)),
    editorArea);
}
