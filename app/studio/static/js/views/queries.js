// Maintenance → Queries: the saved queries, an editor with SQL highlighting and the error
// position marked, a parameters form from the declared parameters, run, results, CSV.
import { h, clear, field, toast, confirmDialog, download } from "../dom.js";
import { request, call, v3, enc } from "../api.js";
import { typeSelect, display, editor } from "../types.js";

const KEYWORDS = new Set(("select from where and or not in is null as on join inner left right full outer cross apply " +
  "group by order having top with ties distinct union all except intersect case when then else end like between " +
  "exists asc desc offset fetch next rows only over partition pivot unpivot for cast convert try_cast percent").split(" "));

/** Highlighted copy of SQL text as spans (no markup from the text itself). */
function highlight(sql) {
  const out = [];
  const token = /(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*'?)|(\[[^\]]*\]?)|(@\w+)|(\b\d+(?:\.\d+)?\b)|(\b[A-Za-z_]\w*\b)|([\s\S])/g;
  let match;
  while ((match = token.exec(sql))) {
    const [text, comment, string, bracket, param, number, word] = match;
    let kind = null;
    if (comment) kind = "c"; else if (string) kind = "s"; else if (bracket) kind = "i";
    else if (param) kind = "p"; else if (number) kind = "n"; else if (word && KEYWORDS.has(word.toLowerCase())) kind = "k";
    out.push(kind ? h("span", { class: `sql-${kind}` }, text) : text);
  }
  return out;
}

function sqlEditor(initial) {
  const area = h("textarea", { class: "code", spellcheck: "false", rows: 10, "aria-label": "SQL" }, initial);
  const painted = h("pre", { class: "code painted", "aria-hidden": "true" });
  const marker = h("div", { class: "error-at", "aria-hidden": "true", hidden: true });
  const paint = () => { painted.replaceChildren(...highlight(`${area.value}\n`)); painted.scrollTop = area.scrollTop; painted.scrollLeft = area.scrollLeft; };
  area.addEventListener("input", () => { marker.hidden = true; area.removeAttribute("aria-invalid"); paint(); });
  area.addEventListener("scroll", paint);
  paint();
  const box = h("div", { class: "sql-box" }, painted, area, marker);
  /** Mark line/column of an error message ("at line 2, column 7") in the editor. */
  box.markError = (message) => {
    const at = message.match(/line (\d+), column (\d+)/i);
    if (!at) return;
    const lines = area.value.split("\n");
    const line = Math.min(Number(at[1]), lines.length);
    const column = Math.max(1, Number(at[2]));
    const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.min(column - 1, lines[line - 1].length);
    area.setAttribute("aria-invalid", "true");
    area.focus();
    area.setSelectionRange(Math.max(0, offset - 1), offset);
    marker.hidden = false;
    marker.textContent = `${lines[line - 1]}\n${" ".repeat(Math.max(0, column - 1))}^ line ${line}, column ${column}`;
  };
  box.area = area;
  return box;
}

function parameterLine(p = {}) {
  const name = h("input", { type: "text", value: p.Name || "", "aria-label": "Parameter name" });
  const type = typeSelect(p.DataTypeId ?? 6);
  type.setAttribute("aria-label", "Parameter type");
  const def = h("input", { type: "text", value: p.Default ?? "", "aria-label": "Default value" });
  const required = h("input", { type: "checkbox", checked: Boolean(p.Required), "aria-label": "Required" });
  const line = h("div", { class: "column-line" }, name, type, def, h("label", {}, required, " required"),
    h("button", { type: "button", class: "ghost", "aria-label": "Remove parameter", onclick: () => line.remove() }, "✕"));
  line.read = () => {
    const out = { Name: name.value.trim().replace(/^@/, ""), DataTypeId: Number(type.value) };
    if (def.value !== "") out.Default = def.value;
    if (required.checked) out.Required = true;
    return out;
  };
  return line;
}

export async function queriesView(selected, state) {
  const { data: queries } = await request("GET", v3("/queries"));
  const admin = state.me?.IsAdmin;
  const list = h("ul", { class: "query-list" },
    queries.map((q) => h("li", {}, h("a", { href: `#/queries/${enc(q.Name)}`, "aria-current": q.Name === selected ? "page" : null }, q.Name))),
    admin ? h("li", {}, h("a", { href: "#/queries/+new", "aria-current": selected === "+new" ? "page" : null }, "+ New query")) : null);
  const current = queries.find((q) => q.Name === selected) || (selected === "+new" ? { Name: "", Sql: "SELECT * FROM [customtables].[" + "TableName]", Parameters: [] } : null);
  return h("section", { class: "split" },
    h("nav", { class: "card", "aria-label": "Saved queries" }, h("h1", {}, "Queries"), list),
    current ? queryEditor(current, selected === "+new", admin) : h("p", { class: "muted" }, "Choose a query."));
}

function queryEditor(query, isNew, admin) {
  const name = h("input", { type: "text", value: query.Name, pattern: "[A-Za-z][A-Za-z0-9_]{0,62}", required: true });
  const sql = sqlEditor(query.Sql);
  const params = h("div", { class: "stack" }, (query.Parameters || []).map(parameterLine));
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const results = h("div", { class: "stack results", "aria-live": "polite" });
  const runForm = runPanel(query, results, sql);
  const body = () => ({ Name: name.value.trim(), Namespace: "CustomTable", Sql: sql.area.value, Dialect: "tsql", Parameters: [...params.children].map((l) => l.read()) });
  const save = async () => {
    try {
      if (isNew) await request("POST", v3("/queries"), { json: body() });
      else await request("PUT", v3(`/queries/${enc(query.Name)}`), { json: body() });
      problem.hidden = true;
      toast(`Query ${name.value.trim()} saved`);
      location.hash = `#/queries/${enc(name.value.trim())}`;
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) { problem.hidden = false; problem.textContent = error.message; sql.markError(error.message); }
  };
  const remove = async () => {
    if (!(await confirmDialog(`Delete the saved query ${query.Name}?`, { ok: "Delete" }))) return;
    try { await request("DELETE", v3(`/queries/${enc(query.Name)}`)); toast("Query deleted"); location.hash = "#/queries"; }
    catch (error) { problem.hidden = false; problem.textContent = error.message; }
  };
  const form = h("form", { class: "card stack", "aria-label": "Query definition" },
    field("Name", name), h("div", { class: "field" }, h("span", { class: "label" }, "SQL (T-SQL)"), sql),
    h("h3", {}, "Parameters"), params,
    admin ? h("div", { class: "row-actions" },
      h("button", { type: "button", class: "ghost", onclick: () => params.append(parameterLine()) }, "Add parameter"),
      h("button", { type: "submit" }, isNew ? "Create query" : "Save"),
      isNew ? null : h("button", { type: "button", class: "danger", onclick: remove }, "Delete")) : null,
    problem);
  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  if (!admin) for (const el of form.querySelectorAll("input, textarea, select")) el.readOnly = true;
  return h("div", { class: "stack" }, form, isNew ? null : runForm, results);
}

function runPanel(query, results, sql) {
  const editors = (query.Parameters || []).map((p) => ({ p, ed: editor(p.DataTypeId, p.Default ?? null, { label: `@${p.Name}` }) }));
  const values = () => Object.fromEntries(editors.map(({ p, ed }) => [p.Name, ed.read()]).filter(([, v]) => v !== null));
  const run = async () => {
    const started = performance.now();
    clear(results).append(h("p", { class: "muted" }, "Running…"));
    try {
      const { data } = await request("POST", v3(`/queries/${enc(query.Name)}/execute`), { json: values() });
      const ms = Math.round(performance.now() - started);
      clear(results).append(
        h("p", { class: "run-stats" }, `${data.Rows.length} row(s) · ${ms} ms`, data.Truncated ? h("strong", { class: "warn" }, " · Truncated") : ""),
        h("div", { class: "scroll" }, h("table", { class: "rows" },
          h("thead", {}, h("tr", {}, data.Columns.map((c) => h("th", { scope: "col" }, c.Name)))),
          h("tbody", {}, data.Rows.map((r) => h("tr", {}, data.Columns.map((c) => h("td", { class: r[c.Name] === null ? "null" : "" }, display(r[c.Name], c.DataTypeId)))))))));
    } catch (error) {
      clear(results).append(h("p", { class: "error", role: "alert" }, error.message));
      sql.markError(error.message);
    }
  };
  const csv = async () => {
    try {
      const response = await call("POST", v3(`/queries/${enc(query.Name)}/execute?Format=csv`), { json: values(), accept: "text/csv" });
      download(await response.blob(), `${query.Name}.csv`);
    } catch (error) { clear(results).append(h("p", { class: "error", role: "alert" }, error.message)); }
  };
  const form = h("form", { class: "card stack", "aria-label": "Run the query" }, h("h2", {}, "Run"),
    editors.length ? h("div", { class: "grid2" }, editors.map(({ p, ed }) => field(`@${p.Name}${p.Required ? " (required)" : ""}`, ed.input))) : h("p", { class: "muted" }, "No parameters."),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Run"), h("button", { type: "button", class: "ghost", onclick: csv }, "Download CSV")));
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  return form;
}
