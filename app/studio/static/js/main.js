// The Studio's shell: sign in and out, the navigation, and a router over the URL fragment.
import { h, clear, field, errorBox } from "./dom.js";
import { session, request, v3 } from "./api.js";
import { tablesView } from "./views/tables.js";
import { tableView } from "./views/table.js";
import { queriesView } from "./views/queries.js";
import { v1ListView, v1TableView } from "./views/v1.js";
import { auditView } from "./views/audit.js";

const main = document.getElementById("main");
const state = { me: null };

const ROUTES = [
  [/^#\/tables\/([^/]+)(?:\/(\w+))?$/, (m) => tableView(decodeURIComponent(m[1]), m[2] || "rows", state)],
  [/^#\/tables\/?$/, () => tablesView(state)],
  [/^#\/queries(?:\/([^/]+))?$/, (m) => queriesView(m[1] ? decodeURIComponent(m[1]) : null, state)],
  [/^#\/v1\/([^/]+)$/, (m) => v1TableView(decodeURIComponent(m[1]), state)],
  [/^#\/v1\/?$/, () => v1ListView(state)],
  [/^#\/audit$/, () => auditView(state)],
];

function signInView(message) {
  const token = h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const problem = h("p", { class: "error", role: "alert", hidden: !message }, message || "");
  const form = h("form", { class: "card stack narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", { class: "muted" }, "Paste an access token. It is kept for this browser tab only."),
    field("Access token", token),
    problem,
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    session.set(token.value.trim());
    try {
      await loadMe();
      if (location.hash === "#/tables") await route();
      else location.hash = "#/tables";
    } catch (error) {
      session.clear();
      problem.hidden = false;
      problem.textContent = error.status === 401 ? "That token is not valid (unknown, revoked or expired)." : error.message;
      token.focus();
    }
  });
  clear(main).append(form);
  token.focus();
}

async function loadMe() {
  const { data } = await request("GET", v3("/me"));
  state.me = data;
  document.getElementById("who").textContent = `${data.User} @ ${data.Tenant}${data.IsAdmin ? " (Admin)" : ""}`;
  document.getElementById("nav").hidden = false;
  document.getElementById("signout").hidden = false;
}

function signOut(message) {
  session.clear();
  state.me = null;
  document.getElementById("who").textContent = "";
  document.getElementById("nav").hidden = true;
  document.getElementById("signout").hidden = true;
  history.replaceState(null, "", "#/");
  signInView(message);
}

let rendering = 0;

async function route() {
  const turn = ++rendering; // a newer navigation wins over one still loading
  if (!session.token) return signInView();
  if (!state.me) {
    try { await loadMe(); } catch (error) { return signOut(error.status === 401 ? "Your session ended: sign in again." : error.message); }
  }
  const hash = location.hash || "#/tables";
  for (const link of document.querySelectorAll("#nav a")) {
    link.toggleAttribute("aria-current", hash.startsWith(`#/${link.dataset.section}`));
  }
  for (const [pattern, view] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      let content;
      try { content = await view(match); } catch (error) { content = errorBox(error); }
      if (turn === rendering) clear(main).append(content);
      return undefined;
    }
  }
  location.hash = "#/tables";
  return undefined;
}

document.getElementById("signout").addEventListener("click", () => signOut());
window.addEventListener("studio:unauthorised", () => { if (state.me) signOut("Your session ended: sign in again."); });
window.addEventListener("hashchange", route);
route();
