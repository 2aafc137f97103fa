// The audit log (Admin): schema-level changes of the tenant, newest first, with filters.
import { h, field } from "../dom.js";
import { request, v3 } from "../api.js";

const PAGE = 50;

export async function auditView() {
  const table = h("input", { type: "text" });
  const action = h("input", { type: "text", placeholder: "e.g. table.created" });
  const since = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const body = h("tbody");
  const status = h("p", { class: "muted", "aria-live": "polite" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  let skip = 0;
  const prev = h("button", { type: "button", class: "ghost", onclick: () => { skip = Math.max(0, skip - PAGE); load(); } }, "← Newer");
  const next = h("button", { type: "button", class: "ghost", onclick: () => { skip += PAGE; load(); } }, "Older →");
  async function load() {
    const params = new URLSearchParams({ Top: String(PAGE), Skip: String(skip) });
    if (table.value.trim()) params.set("TableName", table.value.trim());
    if (action.value.trim()) params.set("Action", action.value.trim());
    if (since.value) params.set("Since", `${since.value}T00:00:00Z`);
    if (until.value) params.set("Until", `${until.value}T00:00:00Z`);
    try {
      const { data } = await request("GET", v3(`/audit-logs?${params}`));
      problem.hidden = true;
      body.replaceChildren(...data.map((e) => h("tr", {},
        h("td", {}, e.CreatedAt), h("td", {}, e.User), h("td", {}, e.Action),
        h("td", {}, `${e.ResourceType}${e.ResourceName ? ` ${e.ResourceName}` : ""}`),
        h("td", { class: "mono" }, e.Details ? JSON.stringify(e.Details) : ""))));
      if (!data.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No events.")));
      status.textContent = `Events ${data.length ? skip + 1 : 0}–${skip + data.length}`;
      prev.disabled = skip === 0;
      next.disabled = data.length < PAGE;
    } catch (error) { problem.hidden = false; problem.textContent = error.message; }
  }
  const form = h("form", { class: "card filter-grid", role: "search" },
    field("Table", table), field("Action", action), field("Since", since), field("Until", until),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Filter")));
  form.addEventListener("submit", (e) => { e.preventDefault(); skip = 0; load(); });
  await load();
  return h("section", { class: "stack" }, h("h1", {}, "Audit log"), form, problem,
    h("div", { class: "bar" }, status, h("div", { class: "row-actions" }, prev, next)),
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ["When", "User", "Action", "Resource", "Details"].map((t) => h("th", { scope: "col" }, t)))), body)));
}
