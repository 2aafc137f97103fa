// One custom table: its rows, import and export, and its definition (columns, roles, drop).
import { h, field, toast, confirmDialog } from "../dom.js";
import { request, v3, enc, ApiError } from "../api.js";
import { typeName } from "../types.js";
import { rowsGrid, firstPageParams } from "./grid.js";
import { columnLine } from "./tables.js";
import { exchangePanel } from "./exchange.js";
import { webhooksPanel } from "./webhooks.js";

const TABS = [["rows", "Rows"], ["exchange", "Import & export"], ["definition", "Definition"], ["webhooks", "Webhooks"]];

export async function tableView(name, tab, state) {
  let def = null;
  // The first page is asked for at once, beside the definition: the first screen of a large
  // table then waits for the slower of the two, not for both in turn.
  const firstPage = tab === "rows"
    ? request("GET", v3(`/custom-tables/${enc(name)}/rows/values?${firstPageParams()}`))
    : null;
  firstPage?.catch(() => {}); // its error, if any, is shown by the grid's own load
  try {
    ({ data: def } = await request("GET", v3(`/custom-tables/${enc(name)}`)));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404 && tab === "exchange")) throw error;
  }
  const title = def ? def.TableName : name;
  const nav = h("nav", { class: "tabs", "aria-label": "Table sections" }, TABS.map(([id, label]) =>
    h("a", { href: `#/tables/${enc(title)}/${id}`, "aria-current": id === tab ? "page" : null }, label)));
  let content;
  if (tab === "exchange") content = exchangePanel(title, def);
  else if (tab === "definition") content = definitionPanel(def, state);
  else if (tab === "webhooks") content = webhooksPanel(def, state);
  else content = rowsGrid(def, state, firstPage);
  return h("section", { class: "stack" },
    h("div", { class: "bar" }, h("h1", {}, title),
      def ? h("span", { class: "muted" }, `${def.RowCount} rows · key ${def.KeyColumnName} (${typeName(def.KeyDataTypeId)})`) : h("span", { class: "muted" }, "New table")),
    nav, content);
}

function rolesText(list) { return list.join(", "); }
function parseRoles(text) { return text.split(",").map((r) => r.trim()).filter(Boolean); }

function definitionPanel(def, state) {
  const admin = state.me?.IsAdmin;
  const columns = h("table", { class: "list" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Column"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Length"))),
    h("tbody", {},
      h("tr", {}, h("td", {}, `${def.KeyColumnName} (key)`), h("td", {}, typeName(def.KeyDataTypeId)), h("td", {}, def.KeyColumnLength ?? "")),
      def.Columns.map((c) => h("tr", {}, h("td", {}, c.ColumnName), h("td", {}, typeName(c.ColumnDataTypeId)), h("td", {}, c.ColumnLength ?? "")))));
  if (!admin) return h("section", { class: "stack" }, columns, h("p", { class: "muted" }, "Only an Admin may change the definition."));

  const newColumns = h("div", { class: "stack" });
  const addProblem = h("p", { class: "error", role: "alert", hidden: true });
  const addForm = h("form", { class: "card stack", "aria-labelledby": "add-columns-title" },
    h("h2", { id: "add-columns-title" }, "Add columns"), newColumns,
    h("div", { class: "row-actions" },
      h("button", { type: "button", class: "ghost", onclick: () => newColumns.append(columnLine()) }, "Add column"),
      h("button", { type: "submit" }, "Save columns")), addProblem);
  newColumns.append(columnLine());
  addForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await request("POST", v3(`/custom-tables/${enc(def.TableName)}`), { json: {
        KeyColumnName: def.KeyColumnName, KeyDataTypeId: def.KeyDataTypeId,
        ...(def.KeyColumnLength ? { KeyColumnLength: def.KeyColumnLength } : {}),
        Columns: [...newColumns.children].map((l) => l.read()) } });
      toast("Columns added");
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) { addProblem.hidden = false; addProblem.textContent = error.message; }
  });

  const read = h("input", { type: "text", value: rolesText(def.ReadRoles) });
  const save = h("input", { type: "text", value: rolesText(def.SaveRoles) });
  const rolesProblem = h("p", { class: "error", role: "alert", hidden: true });
  const rolesForm = h("form", { class: "card stack", "aria-labelledby": "roles-title" },
    h("h2", { id: "roles-title" }, "Permissions"),
    field("Read roles", read, "Comma-separated; empty means any user of the tenant"),
    field("Save roles", save, "Comma-separated; empty means any user of the tenant"),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Save permissions")), rolesProblem);
  rolesForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await request("PUT", v3(`/custom-table-definitions/${enc(def.Id)}`), { json: { ReadRoles: parseRoles(read.value), SaveRoles: parseRoles(save.value) } });
      rolesProblem.hidden = true;
      toast("Permissions saved");
    } catch (error) { rolesProblem.hidden = false; rolesProblem.textContent = error.message; }
  });

  const drop = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!(await confirmDialog(`Drop table ${def.TableName} and all its ${def.RowCount} rows?`, { typed: def.TableName, ok: "Drop table" }))) return;
    try {
      await request("DELETE", v3(`/custom-tables/${enc(def.TableName)}`));
      toast(`Table ${def.TableName} dropped`);
      location.hash = "#/tables";
    } catch (error) { toast(error.message, "error"); }
  } }, "Drop table…");
  return h("section", { class: "stack" }, columns, addForm, rolesForm,
    h("div", { class: "card stack" }, h("h2", {}, "Danger zone"), drop));
}
