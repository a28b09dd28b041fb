// JSON calls to this server's API. Every failure becomes an ApiError carrying the API's own
// message ({"error": {"code", "message"}}), so pages can show it as it is.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: "error", message: text || response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

// 0.0125 FLOW from "12500000000000000" wei, without floating point.
export function formatFlow(wei, places = 4) {
  const value = BigInt(wei);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 10n ** 18n;
  let frac = (abs % 10n ** 18n).toString().padStart(18, "0").slice(0, places).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

// "1.5" FLOW -> wei as a decimal string; throws on anything that is not a plain amount.
export function parseFlow(text) {
  const s = String(text).trim();
  if (!/^\d+(\.\d{1,18})?$/.test(s)) throw new Error(`“${text}” is not an amount of FLOW (like 1.5)`);
  const [whole, frac = ""] = s.split(".");
  return (BigInt(whole) * 10n ** 18n + BigInt(frac.padEnd(18, "0"))).toString();
}
