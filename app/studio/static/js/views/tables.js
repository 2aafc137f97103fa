// Tables: the tenant's custom tables with row counts, a search box, and the create form.
import { h, field, toast } from "../dom.js";
import { request, v3, enc } from "../api.js";
import { KEY_TYPES, typeSelect } from "../types.js";

export async function tablesView(state) {
  const { data: tables } = await request("GET", v3("/custom-tables"));
  const search = h("input", { type: "search", placeholder: "Search tables", "aria-label": "Search tables" });
  const body = h("tbody");
  const render = () => {
    const needle = search.value.trim().toLowerCase();
    body.replaceChildren(...tables
      .filter((t) => t.TableName.toLowerCase().includes(needle))
      .map((t) => h("tr", {},
        h("td", {}, h("a", { href: `#/tables/${enc(t.TableName)}` }, t.TableName)),
        h("td", { class: "num" }, String(t.RowCount)),
        h("td", {}, `${t.Columns.length + 1}`),
        h("td", {}, t.UpdatedAt))));
    if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No tables.")));
  };
  search.addEventListener("input", render);
  render();
  return h("section", { class: "stack" },
    h("div", { class: "bar" }, h("h1", {}, "Tables"), search),
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col", class: "num" }, "Rows"),
        h("th", { scope: "col" }, "Columns"), h("th", { scope: "col" }, "Updated"))),
      body)),
    state.me?.IsAdmin ? createForm() : null);
}

/** One column line of a definition form: name, type, and a length for Varchar(n). */
export function columnLine(onRemove) {
  const name = h("input", { type: "text", required: true, pattern: "[A-Za-z][A-Za-z0-9_]{0,62}", "aria-label": "Column name" });
  const type = typeSelect(6);
  type.setAttribute("aria-label", "Column type");
  const length = h("input", { type: "number", min: 1, max: 4000, value: 100, "aria-label": "Column length", hidden: true });
  type.addEventListener("change", () => { length.hidden = type.value !== "11"; });
  const remove = h("button", { type: "button", class: "ghost", "aria-label": "Remove column", onclick: () => { line.remove(); onRemove?.(); } }, "✕");
  const line = h("div", { class: "column-line" }, name, type, length, remove);
  line.read = () => ({
    ColumnName: name.value.trim(),
    ColumnDataTypeId: Number(type.value),
    ...(type.value === "11" ? { ColumnLength: Number(length.value) } : {}),
  });
  return line;
}

function createForm() {
  const name = h("input", { type: "text", required: true, pattern: "[A-Za-z][A-Za-z0-9_]{0,62}" });
  const key = h("input", { type: "text", required: true, value: "Oid", pattern: "[A-Za-z][A-Za-z0-9_]{0,62}" });
  const keyType = typeSelect(9, KEY_TYPES);
  const keyLength = h("input", { type: "number", min: 1, max: 450, value: 50 });
  const keyLengthField = field("Key length", keyLength, "Varchar(n) keys only (1–450)");
  keyLengthField.hidden = true;
  keyType.addEventListener("change", () => { keyLengthField.hidden = keyType.value !== "11"; });
  const columns = h("div", { class: "stack", id: "new-columns" });
  const addColumn = () => { const line = columnLine(); columns.append(line); line.querySelector("input").focus(); };
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "card stack", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create a table"),
    h("div", { class: "grid2" }, field("Table name", name), field("Key column", key),
      field("Key type", keyType), keyLengthField),
    h("h3", {}, "Columns"), columns,
    h("div", { class: "row-actions" },
      h("button", { type: "button", class: "ghost", onclick: addColumn }, "Add column"),
      h("button", { type: "submit" }, "Create table")),
    problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      KeyColumnName: key.value.trim(),
      KeyDataTypeId: Number(keyType.value),
      ...(keyType.value === "11" ? { KeyColumnLength: Number(keyLength.value) } : {}),
      Columns: [...columns.children].map((line) => line.read()),
    };
    try {
      await request("POST", v3(`/custom-tables/${enc(name.value.trim())}`), { json: body });
      toast(`Table ${name.value.trim()} created`);
      location.hash = `#/tables/${enc(name.value.trim())}`;
    } catch (error) {
      problem.hidden = false;
      problem.textContent = error.message;
    }
  });
  return form;
}
