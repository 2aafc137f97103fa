// The column types of SPEC §3, as the Studio shows and edits them.
import { h } from "./dom.js";
import { ExactNumber } from "./api.js";

export const TYPES = [
  { id: 0, name: "Boolean" }, { id: 1, name: "Date" }, { id: 2, name: "Float" },
  { id: 3, name: "Integer" }, { id: 4, name: "Money" }, { id: 5, name: "Varchar(50)", max: 50 },
  { id: 6, name: "Varchar(100)", max: 100 }, { id: 7, name: "Varchar(max)" }, { id: 8, name: "Text" },
  { id: 9, name: "UniqueIdentifier" }, { id: 10, name: "Varchar(200)", max: 200 },
  { id: 11, name: "Varchar(n)", length: true }, { id: 12, name: "VarBinary" },
];
export const KEY_TYPES = [3, 5, 6, 9, 10, 11];
export const typeName = (id) => TYPES.find((t) => t.id === Number(id))?.name ?? `Type ${id}`;

export function typeSelect(selected, ids = TYPES.map((t) => t.id)) {
  return h("select", {}, ids.map((id) =>
    h("option", { value: String(id), selected: Number(selected) === id }, `${id} · ${typeName(id)}`)));
}

/** The text a cell shows for a value. */
export function display(value, typeId) {
  if (value === null || value === undefined) return "";
  if (value instanceof ExactNumber) return value.text;
  if (typeId === 0) return value ? "✓ true" : "✗ false";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const pad = (n) => String(n).padStart(2, "0");
function toLocalInput(iso) { // "2024-01-15T10:30:00Z" → "2024-01-15T10:30:00" (shown in UTC)
  return iso ? String(iso).replace(/Z$/, "").slice(0, 19) : "";
}

/** An input for one value of a type; `read()` gives the JSON value to send (null for empty). */
export function editor(typeId, value, { length, label } = {}) {
  const type = Number(typeId);
  let input;
  let read;
  if (type === 0) {
    input = h("input", { type: "checkbox", checked: Boolean(value) });
    read = () => input.checked;
  } else if (type === 1) {
    input = h("input", { type: "datetime-local", step: "1", value: toLocalInput(value) });
    read = () => (input.value ? `${input.value.length === 16 ? `${input.value}:00` : input.value}Z` : null);
  } else if (type === 2 || type === 3 || type === 4) {
    input = h("input", { type: "text", inputmode: "decimal", value: value === null || value === undefined ? "" : String(value) });
    read = () => {
      const text = input.value.trim();
      if (text === "") return null;
      if (type === 4) return text; // Money accepts numeric text, kept exact
      const number = Number(text);
      return Number.isFinite(number) && String(number) === text.replace(/^\+/, "") ? number : new ExactNumber(text);
    };
  } else if (type === 12) {
    const text = h("input", { type: "text", value: value ?? "", "aria-label": `${label || "value"} (base64)` });
    const file = h("input", { type: "file", "aria-label": `Upload a file for ${label || "value"}` });
    file.addEventListener("change", async () => {
      const bytes = new Uint8Array(await file.files[0].arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      text.value = btoa(binary);
    });
    input = h("span", { class: "binary" }, text, file);
    input.focus = () => text.focus();
    read = () => (text.value.trim() === "" ? null : text.value.trim());
    return { input, read, focusable: text };
  } else {
    const max = TYPES.find((t) => t.id === type)?.max ?? (type === 11 ? length : undefined);
    const big = type === 7 || type === 8;
    input = big
      ? h("textarea", { rows: 2 }, value ?? "")
      : h("input", { type: "text", value: value ?? "", maxlength: max });
    if (type === 9) input.setAttribute("pattern", "[{]?[0-9a-fA-F-]{32,36}[}]?");
    read = () => (input.value === "" ? null : input.value);
  }
  if (label) input.setAttribute("aria-label", label);
  return { input, read, focusable: input };
}

/** A cell value as a Where literal (for the resolve flow's filter). */
export function literal(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return String(value);
  return `'${String(value).replaceAll("'", "''")}'`;
}
