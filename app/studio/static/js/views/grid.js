// The rows grid of a custom table: keyset paging, sort by header (shift adds a column), a Where
// filter with the server's error at its position, inline edit per type, add, delete, resolve.
import { h, clear, field, toast, confirmDialog } from "../dom.js";
import { request, v3, enc, nextLink } from "../api.js";
import { display, editor, typeName } from "../types.js";

const PAGE = 100;

export function firstPageParams() {
  return new URLSearchParams({ Format: "flat", Top: String(PAGE) });
}

/** `firstPage`: the first page's answer, already asked for while the definition was loading. */
export function rowsGrid(def, state, firstPage = null) {
  const table = def.TableName;
  const key = def.KeyColumnName;
  const columns = [{ ColumnName: key, ColumnDataTypeId: def.KeyDataTypeId, ColumnLength: def.KeyColumnLength, key: true },
    ...def.Columns];
  const view = { order: [], where: "", cursors: [null], page: 0, rows: [], next: null, total: null, selected: new Set() };

  const status = h("p", { class: "muted", "aria-live": "polite" });
  const whereInput = h("input", { type: "text", class: "mono", placeholder: "e.g. Price > 10 AND Name LIKE 'A%'", spellcheck: "false" });
  const whereError = h("div", { class: "error where-error", role: "alert", hidden: true });
  const head = h("thead");
  const allRows = h("input", { type: "checkbox", "aria-label": "Select all rows on this page" });
  const headerCells = new Map();
  let headerRow = null;
  const body = h("tbody");
  const prev = h("button", { type: "button", class: "ghost", onclick: () => go(view.page - 1) }, "← Previous");
  const next = h("button", { type: "button", class: "ghost", onclick: () => go(view.page + 1) }, "Next →");
  const deleteSelected = h("button", { type: "button", class: "danger", disabled: true, onclick: removeSelected }, "Delete selected");

  const filterForm = h("form", { class: "filter", role: "search" },
    field("Filter (Where)", whereInput, "A T-SQL condition over this table's columns; Enter applies it"),
    h("div", { class: "row-actions" },
      h("button", { type: "submit" }, "Apply"),
      h("button", { type: "button", class: "ghost", onclick: () => { whereInput.value = ""; applyWhere(); } }, "Clear")),
    whereError);
  filterForm.addEventListener("submit", (e) => { e.preventDefault(); applyWhere(); });

  function applyWhere() {
    view.where = whereInput.value.trim();
    reset();
  }
  function reset() { view.cursors = [null]; view.page = 0; view.selected.clear(); load(); }

  function params(cursor, count) {
    const p = firstPageParams();
    if (view.order.length) p.set("OrderBy", view.order.map((o) => `${o.column}${o.desc ? " desc" : ""}`).join(", "));
    if (view.where) p.set("Where", view.where);
    if (cursor && cursor.after) p.set("After", cursor.after);
    if (cursor && cursor.skip) p.set("Skip", String(cursor.skip));
    if (count) p.set("Count", "true");
    return p;
  }

  async function load() {
    const cursor = view.cursors[view.page];
    const started = performance.now();
    const turn = (view.turn = (view.turn || 0) + 1);
    status.textContent = "Loading…";
    try {
      const pending = firstPage && view.page === 0 && !view.where && !view.order.length ? firstPage : null;
      firstPage = null;
      const { data, headers } = await (pending || request("GET", v3(`/custom-tables/${enc(table)}/rows/values?${params(cursor, false)}`)));
      if (turn !== view.turn) return;
      whereError.hidden = true;
      whereInput.removeAttribute("aria-invalid");
      view.rows = data;
      const link = nextLink(headers);
      if (link) view.next = { after: new URL(link, location.origin).searchParams.get("After") };
      else if (!headers.has("Link") && data.length === PAGE && cursor?.skip !== undefined) {
        view.next = { skip: (cursor?.skip || 0) + PAGE }; // a server without keyset paging
      } else view.next = null;
      render();
      view.elapsed = Math.round(performance.now() - started);
      showStatus();
      if (view.page === 0) countRows(turn); // the total comes after the rows: a count is a scan
    } catch (error) {
      if (turn !== view.turn) return; // a newer load is under way: this answer is stale
      if (error.status === 429) { // the tenant's share of heavy reads is busy: try again soon
        status.textContent = "Busy, retrying…";
        setTimeout(() => { if (turn === view.turn) load(); }, 1000);
        return;
      }
      status.textContent = "";
      if (error.status === 400 && view.where) showWhereError(error.message);
      else { whereError.hidden = false; whereError.textContent = error.message; }
    }
  }

  function showStatus() {
    const first = view.page * PAGE + (view.rows.length ? 1 : 0);
    const total = view.total === null || view.total === undefined ? "" : ` of ${view.total}`;
    status.textContent = `Rows ${first}–${view.page * PAGE + view.rows.length}${total} · ${view.elapsed} ms`;
  }

  async function countRows(turn) {
    view.total = null;
    try {
      const p = params(null, true);
      p.set("Top", "0");
      const { headers } = await request("GET", v3(`/custom-tables/${enc(table)}/rows/values?${p}`));
      const total = headers.get("X-Total-Count");
      if (turn !== view.turn || total === null) return;
      view.total = Number(total);
      showStatus();
    } catch { /* the rows are shown; only the total is missing */ }
  }

  function showWhereError(message) {
    whereError.hidden = false;
    whereInput.setAttribute("aria-invalid", "true");
    const at = message.match(/character (\d+)/i) || message.match(/(?:position|column|offset)\s+(\d+)/i);
    clear(whereError).append(h("span", {}, message));
    if (at) {
      const index = Math.max(0, Math.min(Number(at[1]) - 1, view.where.length));
      whereError.append(h("pre", { class: "caret", "aria-hidden": "true" }, `${view.where}\n${" ".repeat(index)}^`));
      whereInput.focus();
      whereInput.setSelectionRange(index, Math.min(index + 1, view.where.length));
    }
  }

  function go(page) {
    if (page < 0) return;
    if (page > view.page) {
      if (!view.next) return;
      view.cursors[page] = view.next;
    }
    view.page = page;
    load();
  }

  function sortBy(column, add) {
    const existing = view.order.find((o) => o.column === column);
    if (!add) {
      view.order = existing && !existing.desc ? [{ column, desc: true }] : existing ? [] : [{ column, desc: false }];
    } else if (!existing) view.order.push({ column, desc: false });
    else if (!existing.desc) existing.desc = true;
    else view.order = view.order.filter((o) => o !== existing);
    render(); // the headers show the new order at once; the rows follow when they arrive
    reset();
  }

  function render() {
    const sortState = (name) => {
      const index = view.order.findIndex((o) => o.column === name);
      if (index < 0) return { aria: "none", mark: "" };
      const o = view.order[index];
      return { aria: o.desc ? "descending" : "ascending", mark: `${o.desc ? "▼" : "▲"}${view.order.length > 1 ? index + 1 : ""}` };
    };
    // the header row is built once and updated in place: rebuilt when rows arrived, it lost a
    // click whose press landed on the old button and whose release on the new one
    if (!headerRow) headerRow = buildHeader();
    allRows.checked = view.rows.length > 0 && view.rows.every((r) => view.selected.has(String(r[key])));
    for (const c of columns) {
      const s = sortState(c.ColumnName);
      const cell = headerCells.get(c.ColumnName);
      cell.setAttribute("aria-sort", s.aria);
      cell.querySelector(".mark").textContent = s.mark;
    }
    body.replaceChildren(...view.rows.map(rowElement));
    if (!view.rows.length) body.append(h("tr", {}, h("td", { colspan: columns.length + 1, class: "muted" }, "No rows.")));
    prev.disabled = view.page === 0;
    next.disabled = !view.next;
    deleteSelected.disabled = view.selected.size === 0;
    deleteSelected.textContent = view.selected.size ? `Delete selected (${view.selected.size})` : "Delete selected";
  }

  function buildHeader() {
    allRows.addEventListener("change", () => { for (const r of view.rows) toggle(String(r[key]), allRows.checked); render(); });
    const row = h("tr", {}, h("th", { scope: "col", class: "pick" }, allRows), columns.map((c) => {
      const cell = h("th", { scope: "col", "aria-sort": "none" },
        h("button", { type: "button", class: "sort", title: "Sort (Shift+click adds a column)",
          onclick: (e) => sortBy(c.ColumnName, e.shiftKey) },
        c.ColumnName, h("small", { class: "type" }, typeName(c.ColumnDataTypeId)), h("span", { class: "mark" }, "")));
      headerCells.set(c.ColumnName, cell);
      return cell;
    }));
    head.replaceChildren(row);
    return row;
  }

  function toggle(k, on) { if (on) view.selected.add(k); else view.selected.delete(k); }

  function rowElement(row) {
    const k = String(row[key]);
    const pick = h("input", { type: "checkbox", "aria-label": `Select row ${k}`, checked: view.selected.has(k) });
    pick.addEventListener("change", () => { toggle(k, pick.checked); render(); });
    return h("tr", { dataset: { key: k } }, h("td", { class: "pick" }, pick),
      columns.map((c) => cellElement(row, c)));
  }

  function cellElement(row, column) {
    const value = row[column.ColumnName];
    const cell = h("td", { class: `cell t${column.ColumnDataTypeId}` });
    const shown = h("span", { class: "value", tabindex: column.key ? -1 : 0, role: column.key ? null : "button",
      "aria-label": column.key ? null : `Edit ${column.ColumnName} of row ${row[key]}` }, display(value, column.ColumnDataTypeId));
    cell.append(shown);
    if (value === null || value === undefined) shown.classList.add("null");
    if (column.key) return cell;
    const start = () => startEdit(cell, row, column);
    shown.addEventListener("dblclick", start);
    shown.addEventListener("click", start);
    shown.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === "F2") { e.preventDefault(); start(); } });
    return cell;
  }

  function startEdit(cell, row, column) {
    if (cell.querySelector(".editor")) return;
    const ed = editor(column.ColumnDataTypeId, row[column.ColumnName], { length: column.ColumnLength, label: `${column.ColumnName} of row ${row[key]}` });
    const message = h("span", { class: "cell-error", role: "alert" });
    const save = h("button", { type: "button", class: "small" }, "Save");
    const cancel = h("button", { type: "button", class: "small ghost" }, "Cancel");
    const box = h("div", { class: "editor" }, ed.input, save, cancel, message);
    const restore = () => { cell.replaceWith(cellElement(row, column)); };
    const commit = async () => {
      const value = ed.read();
      try {
        await request("PUT", v3(`/custom-tables/${enc(table)}/rows`), { json: {
          OperationType: "Update",
          UpdateModel: { KeyColumnName: key, KeyValue: row[key], Columns: [{ ColumnName: column.ColumnName, Value: value }] },
        } });
        const { data } = await request("GET", v3(`/custom-tables/${enc(table)}/rows/values?${new URLSearchParams({ Format: "flat", Top: "1", Where: whereKey(row[key]) })}`)).catch(() => ({ data: null }));
        row[column.ColumnName] = data && data[0] ? data[0][column.ColumnName] : value;
        const fresh = cellElement(row, column);
        cell.replaceWith(fresh);
        fresh.querySelector(".value")?.focus();
        toast(`Saved ${column.ColumnName}`);
      } catch (error) {
        message.textContent = error.message; // what the user typed stays in the editor
        ed.focusable.setAttribute("aria-invalid", "true");
        ed.focusable.focus();
      }
    };
    save.addEventListener("click", commit);
    cancel.addEventListener("click", restore);
    box.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); restore(); }
      if (e.key === "Enter" && (e.target.tagName !== "TEXTAREA" || e.ctrlKey)) { e.preventDefault(); commit(); }
    });
    clear(cell).append(box);
    ed.focusable.focus();
  }

  function whereKey(value) {
    const text = typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
    return `[${key}] = ${text}`;
  }

  async function removeSelected() {
    const keys = [...view.selected];
    if (!keys.length) return;
    if (!(await confirmDialog(`Delete ${keys.length} row(s) from ${table}? This cannot be undone.`, { ok: "Delete" }))) return;
    const typed = keys.map((k) => (def.KeyDataTypeId === 3 ? Number(k) : k));
    try {
      const { data } = await request("DELETE", v3(`/custom-tables/${enc(table)}/rows`), { json: {
        OperationType: "DeleteMany", DeleteManyModel: { KeyColumnName: key, KeyValues: typed } } });
      toast(`Deleted ${data.Deleted} row(s)`);
      view.selected.clear();
      load();
    } catch (error) { toast(error.message, "error"); }
  }

  const adder = addRowForm(def, columns, () => reset());
  const resolver = resolvePanel(def, columns, () => load());
  load();
  return h("section", { class: "stack grid-view" },
    filterForm,
    h("div", { class: "bar" }, status, h("div", { class: "row-actions" }, prev, next, deleteSelected)),
    h("div", { class: "scroll" }, h("table", { class: "rows", "aria-label": `Rows of ${table}` }, head, body)),
    adder, resolver);
}

function addRowForm(def, columns, done) {
  const editors = columns.map((c) => ({ column: c, ed: editor(c.ColumnDataTypeId, null, { length: c.ColumnLength }) }));
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "stack" },
    h("div", { class: "grid2" }, editors.map(({ column, ed }) => field(
      `${column.ColumnName}${column.key ? " (key)" : ""}`, ed.input,
      column.key && def.KeyDataTypeId === 9 ? "Leave empty for a new UUID" : typeName(column.ColumnDataTypeId)))),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Add row")), problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const keyValue = editors[0].ed.read();
    const model = { KeyColumnName: def.KeyColumnName, Columns: editors.slice(1)
      .map(({ column, ed }) => ({ ColumnName: column.ColumnName, Value: ed.read() }))
      .filter((c) => c.Value !== null) };
    if (keyValue !== null) model.KeyValue = keyValue;
    try {
      const { data } = await request("PUT", v3(`/custom-tables/${enc(def.TableName)}/rows`), {
        json: { OperationType: "UpsertMany", UpsertManyModel: [model] } });
      problem.hidden = true;
      toast(data.Inserted ? `Row ${data.KeyValues[0]} added` : `Row ${data.KeyValues[0]} existed: updated`);
      form.reset();
      done();
    } catch (error) { problem.hidden = false; problem.textContent = error.message; }
  });
  return h("details", { class: "card" }, h("summary", {}, "Add a row"), form);
}

/** Work through a queue: rows whose Boolean flag column is not yet true, one at a time;
 * Ctrl+Enter saves the edits, sets the flag and opens the next; Ctrl+→ skips. */
function resolvePanel(def, columns, changed) {
  const flags = columns.filter((c) => c.ColumnDataTypeId === 0);
  if (!flags.length) return null;
  const flag = h("select", {}, flags.map((c) => h("option", { value: c.ColumnName }, c.ColumnName)));
  const area = h("div", { class: "stack resolve-area" });
  let skipped = [];
  const keyLiteral = (v) => (typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  async function nextItem() {
    const where = `([${flag.value}] = 0 OR [${flag.value}] IS NULL)${skipped.length ? ` AND [${def.KeyColumnName}] NOT IN (${skipped.map(keyLiteral).join(", ")})` : ""}`;
    const query = new URLSearchParams({ Format: "flat", Top: "1", Where: where, Count: "true" });
    try {
      const { data, headers } = await request("GET", v3(`/custom-tables/${enc(def.TableName)}/rows/values?${query}`));
      show(data[0] || null, headers.get("X-Total-Count"));
    } catch (error) { clear(area).append(h("p", { class: "error", role: "alert" }, error.message)); }
  }
  function show(row, remaining) {
    clear(area);
    if (!row) { area.append(h("p", { class: "ok" }, "Nothing left to resolve.")); return; }
    const editors = columns.filter((c) => !c.key).map((c) => ({ c, ed: editor(c.ColumnDataTypeId, row[c.ColumnName], { length: c.ColumnLength }) }));
    const problem = h("p", { class: "error", role: "alert", hidden: true });
    const save = async () => {
      const cols = editors.map(({ c, ed }) => ({ ColumnName: c.ColumnName, Value: c.ColumnName === flag.value ? true : ed.read() }));
      try {
        await request("PUT", v3(`/custom-tables/${enc(def.TableName)}/rows`), { json: {
          OperationType: "Update", UpdateModel: { KeyColumnName: def.KeyColumnName, KeyValue: row[def.KeyColumnName], Columns: cols } } });
        toast(`Resolved ${row[def.KeyColumnName]}`);
        changed();
        nextItem();
      } catch (error) { problem.hidden = false; problem.textContent = error.message; }
    };
    const skip = () => { skipped.push(row[def.KeyColumnName]); nextItem(); };
    const form = h("form", { class: "stack", "aria-label": `Resolve row ${row[def.KeyColumnName]}` },
      h("p", {}, h("strong", {}, `Row ${row[def.KeyColumnName]}`), remaining === null ? "" : ` · ${remaining} unresolved`),
      h("div", { class: "grid2" }, editors.filter(({ c }) => c.ColumnName !== flag.value).map(({ c, ed }) => field(c.ColumnName, ed.input))),
      h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Resolve and next (Ctrl+Enter)"),
        h("button", { type: "button", class: "ghost", onclick: skip }, "Skip (Ctrl+→)")), problem);
    form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
    form.addEventListener("keydown", (e) => {
      if (e.ctrlKey && e.key === "Enter") { e.preventDefault(); save(); }
      if (e.ctrlKey && e.key === "ArrowRight") { e.preventDefault(); skip(); }
    });
    area.append(form);
    editors.find(({ c }) => c.ColumnName !== flag.value)?.ed.focusable.focus();
  }
  const start = h("button", { type: "button", onclick: () => { skipped = []; nextItem(); } }, "Start resolving");
  return h("details", { class: "card" }, h("summary", {}, "Resolve a queue"),
    h("div", { class: "stack" }, h("p", { class: "muted" }, "Go through the rows whose flag is not yet set, one at a time."),
      h("div", { class: "bar" }, field("Resolved flag", flag), start), area));
}
