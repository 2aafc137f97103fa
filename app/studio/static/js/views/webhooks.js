// A table's webhooks (Admin): the ones that receive its events, their recent deliveries, and a
// form to subscribe a URL to this table (SPEC §14). The secret is shown once, after creation.
import { h, field, toast, confirmDialog } from "../dom.js";
import { request, v3, enc } from "../api.js";

const EVENTS = ["rows.created", "rows.updated", "rows.deleted", "table.created", "table.updated", "table.deleted"];
const RECENT = 10;

function appliesTo(hook, table) {
  return !hook.Tables.length || hook.Tables.some((t) => t.toLowerCase() === table.toLowerCase());
}

async function deliveriesTable(hook) {
  const { data } = await request("GET", v3(`/webhooks/${enc(hook.Id)}/deliveries?Top=${RECENT}`));
  const body = h("tbody", {}, data.map((d) => h("tr", { class: `outcome-${d.Outcome}` },
    h("td", {}, d.Time), h("td", { class: "mono" }, d.EventId), h("td", {}, String(d.Attempt)),
    h("td", {}, d.Status === null ? "—" : String(d.Status)), h("td", {}, d.Outcome), h("td", {}, d.Error || ""))));
  if (!data.length) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No deliveries yet.")));
  return h("div", { class: "scroll" }, h("table", { class: "list", "aria-label": `Recent deliveries to ${hook.Url}` },
    h("thead", {}, h("tr", {}, ["When", "Event", "Attempt", "Status", "Outcome", "Error"].map((t) => h("th", { scope: "col" }, t)))), body));
}

async function hookCard(hook, reload) {
  const remove = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!(await confirmDialog(`Delete the webhook to ${hook.Url}?`, { ok: "Delete webhook" }))) return;
    try {
      await request("DELETE", v3(`/webhooks/${enc(hook.Id)}`));
      toast("Webhook deleted");
      reload();
    } catch (error) { toast(error.message, "error"); }
  } }, "Delete");
  return h("article", { class: "card stack webhook", dataset: { id: hook.Id } },
    h("div", { class: "bar" }, h("h3", { class: "mono" }, hook.Url), remove),
    h("p", { class: "muted" }, `${hook.Tables.length ? hook.Tables.join(", ") : "All tables"} · ${hook.Events.join(", ")}`),
    await deliveriesTable(hook));
}

function createForm(table, reload) {
  const url = h("input", { type: "url", required: true, placeholder: "https://hooks.example.com/ct" });
  const boxes = EVENTS.map((e) => h("input", { type: "checkbox", value: e, checked: e.startsWith("rows.") }));
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const secret = h("p", { class: "secret", role: "status", hidden: true });
  const form = h("form", { class: "card stack", "aria-labelledby": "new-webhook-title" },
    h("h2", { id: "new-webhook-title" }, "Add a webhook"), field("URL", url),
    h("fieldset", { class: "checks" }, h("legend", {}, "Events"),
      boxes.map((box) => h("label", {}, box, ` ${box.value}`))),
    h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Add webhook")), problem, secret);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { data } = await request("POST", v3("/webhooks"), { json: {
        Url: url.value.trim(), Tables: [table], Events: boxes.filter((b) => b.checked).map((b) => b.value) } });
      problem.hidden = true;
      secret.hidden = false;
      secret.textContent = `Signing secret (shown once): ${data.Secret}`;
      toast("Webhook added");
      reload();
    } catch (error) { problem.hidden = false; problem.textContent = error.message; }
  });
  return form;
}

export function webhooksPanel(def, state) {
  if (!state.me?.IsAdmin) return h("p", { class: "muted" }, "Only an Admin may see and manage webhooks.");
  const list = h("div", { class: "stack", "aria-live": "polite" });
  async function reload() {
    try {
      const { data } = await request("GET", v3("/webhooks"));
      const mine = data.filter((hook) => appliesTo(hook, def.TableName));
      list.replaceChildren(...(mine.length
        ? await Promise.all(mine.map((hook) => hookCard(hook, reload)))
        : [h("p", { class: "muted" }, "No webhook receives this table's events.")]));
    } catch (error) { list.replaceChildren(h("p", { class: "error", role: "alert" }, error.message)); }
  }
  reload();
  const refresh = h("button", { type: "button", class: "ghost", onclick: reload }, "Refresh deliveries");
  return h("section", { class: "stack" }, h("div", { class: "bar" }, h("h2", {}, "Webhooks"), refresh),
    list, createForm(def.TableName, reload));
}
