// Talking to the server: the token lives in sessionStorage (this browser tab only, gone when
// the tab closes), is sent as a header, and never appears in a URL.

const KEY = "customtables.studio.token";

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A number JSON cannot carry exactly in a JS double (Money with many digits, big Integers):
 * kept as the server's text, shown as such, and written back as the same JSON number. */
export class ExactNumber {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

function revive(_key, value, context) {
  if (typeof value === "number" && context && typeof context.source === "string") {
    const source = context.source;
    if (String(value) !== source && Number(source) === value && !/^-?\d+\.0*$/.test(source)) {
      return new ExactNumber(source);
    }
    if (!Number.isSafeInteger(value) && /^-?\d+$/.test(source)) return new ExactNumber(source);
  }
  return value;
}

export function parseJson(text) { return JSON.parse(text, revive); }

/** JSON text of `value`, writing ExactNumber as the number it holds. */
export function stringify(value) {
  const exact = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof ExactNumber) { exact.push(v.text); return `\u0000exact${exact.length - 1}\u0000`; }
    return v;
  });
  return text.replace(/"\\u0000exact(\d+)\\u0000"/g, (_m, i) => exact[Number(i)]);
}

async function errorOf(response) {
  let code = "";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) { code = body.error.code; message = body.error.message; }
    else if (body && body.Code) { code = body.Code; message = body.Message; }
  } catch { /* not JSON: keep the status line */ }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("studio:unauthorised"));
  return new ApiError(response.status, code, message);
}

/** One request. `v1` sends the token as x-api-key (the v1 API's header). */
export async function call(method, path, { json, body, headers = {}, v1 = false, accept } = {}) {
  const token = session.token;
  const sent = { ...headers };
  if (token) sent[v1 ? "x-api-key" : "X-AccessToken"] = token;
  if (json !== undefined) { sent["Content-Type"] = "application/json"; body = stringify(json); }
  if (accept) sent.Accept = accept;
  let response;
  try {
    response = await fetch(path, { method, headers: sent, body, credentials: "omit", cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** A JSON request; answers {data, headers}. v1 answers are unwrapped from their envelope. */
export async function request(method, path, options = {}) {
  const response = await call(method, path, options);
  const text = await response.text();
  let data = text ? parseJson(text) : null;
  if (options.v1 && data && data.success === true) data = data.data;
  return { data, headers: response.headers, status: response.status };
}

export const v3 = (path) => `/api/v3${path}`;
export const v1 = (path) => `/api/v1${path}`;
export const enc = encodeURIComponent;

/** The `next` URL of a Link header (keyset paging, SPEC §10), or null on the last page. */
export function nextLink(headers) {
  const link = headers.get("Link");
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = part.match(/<([^>]+)>\s*;\s*rel="?next"?/);
    if (match) return match[1];
  }
  return null;
}

/** Upload with progress events (fetch has none for request bodies). */
export function upload(method, path, file, { contentType, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader("X-AccessToken", session.token || "");
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The upload failed: the server cannot be reached"));
    xhr.onload = () => {
      let body = null;
      try { body = parseJson(xhr.responseText); } catch { /* keep null */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body?.Code || "", body?.Message || `${xhr.status} ${xhr.statusText}`));
    };
    xhr.send(file);
  });
}
