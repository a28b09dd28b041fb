// The strategy wizard's data side: the catalogue from /api/strategies, presets resolved
// against it, and the terms form generated from each strategy's `config` fields (bounds,
// defaults, units). Nothing here names a strategy: presets describe what they want (a payment
// type, a config field) and find the strategy that offers it, so a renamed or added strategy
// needs no change. Amounts are exact: FLOW text <-> wei strings through BigInt, never floats.
import { api, formatFlow, parseFlow } from "./api.js";

// ------------------------------------------------------------------ catalogue + presets

export async function loadCatalogue() {
  const catalogue = await api("/api/strategies");
  return { feeBps: catalogue.protocol_fee_bps, strategies: catalogue.strategies };
}

const DAY = 86400;

// Each preset: what it wants of a strategy (`wants`), its terms (API form: wei strings,
// seconds, integers) and its split roles (shares in bps; the first row is the artist).
export const PRESETS = [
  {
    id: "simple",
    title: "Simple pay per stream",
    summary: "Listeners pay a small price for every play; it all goes to you.",
    wants: { payment: "stream", field: "price" },
    terms: { price: parseFlow("0.01") },
    splits: [{ role: "artist", bps: 10000 }],
  },
  {
    id: "band",
    title: "Band of three",
    summary: "Pay per stream, split evenly-ish among three band members.",
    wants: { payment: "stream", field: "price" },
    terms: { price: parseFlow("0.02") },
    splits: [{ role: "artist", bps: 3400 }, { role: "featured", bps: 3300 }, { role: "producer", bps: 3300 }],
  },
  {
    id: "patron",
    title: "Patron community",
    summary: "Fans support you monthly in tiers; the top tier opens patron-only songs.",
    wants: { payment: "patronage" },
    terms: {
      tiers: [
        { name: "Supporter", fee: parseFlow("2"), exclusive: false },
        { name: "Inner circle", fee: parseFlow("10"), exclusive: true },
      ],
    },
    splits: [{ role: "artist", bps: 10000 }],
  },
  {
    id: "launch",
    title: "Launch auction",
    summary: "A limited release: 100 access slots, price falling from 1 to 0.1 FLOW over a week.",
    wants: { payment: "access" },
    terms: { start_price: parseFlow("1"), floor_price: parseFlow("0.1"), duration: 7 * DAY, slots: 100 },
    splits: [{ role: "artist", bps: 10000 }],
  },
];

// The first enabled strategy offering what the preset wants; null when none does (the preset
// is then shown as unavailable, never guessed).
export function resolvePreset(preset, strategies) {
  return strategies.find((s) => s.enabled
    && (!preset.wants.payment || s.payment_types.some((t) => t.type === preset.wants.payment))
    && (!preset.wants.field || s.config.some((f) => f.name === preset.wants.field))) || null;
}

// The artist's settings a strategy keeps per artist rather than per song, as the chain holds
// them now, in the terms' own shape; null when there are none. Only a strategy with patron
// `tiers` has such settings today, read from the artist's public tiers endpoint.
export async function currentArtistSettings(strategy, artist) {
  if (!artist || !strategy.config.some((f) => f.name === "tiers" && f.scope === "artist")) return null;
  const found = await api(`/api/artists/${artist}/tiers`).catch(() => null);
  if (!found || !found.tiers.length) return null;
  return {
    tiers: found.tiers.map((t) => ({ name: t.name, fee: t.fee.wei, exclusive: t.exclusive })),
    discounts_bps: found.discounts_bps,
    min_commitment: found.min_commitment,
  };
}

// ------------------------------------------------------------------------- field forms

const SECONDS_UNITS = [["days", DAY], ["hours", 3600], ["minutes", 60], ["seconds", 1]];

export function tokenOf(field) {
  const unit = (field.unit || "wei").trim();
  return unit === "wei" ? "FLOW" : unit.replace(/\s*wei$/i, "") || "FLOW";
}

export function labelOf(field) {
  const words = field.name.replace(/_bps$/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function unitText(field) {
  if (field.type === "wei") return tokenOf(field);
  if (field.type === "bps") return "basis points, 10000 = ×1";
  if (field.type === "seconds") return null;
  return field.unit && field.type !== "string" ? field.unit : null;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "className") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function displayValue(field, value) {
  if (value === undefined || value === null) return "";
  if (field.type === "wei") return formatFlow(value, 18);
  return String(value);
}

function secondsParts(value) {
  if (value === undefined || value === null || value === "") return ["", "days"];
  const s = Number(value);
  for (const [name, size] of SECONDS_UNITS) if (s && s % size === 0) return [s / size, name];
  return [s, "seconds"];
}

let uid = 0;

function listText(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

// One control for a scalar field; `path` names it in the form (e.g. "tiers.0.fee").
function scalarControl(field, value, path) {
  const id = `f-${path.replace(/\./g, "-")}-${++uid}`;
  const help = `${id}-help`;
  const error = `${id}-error`;
  const unit = unitText(field);
  const label = el("label", { for: id, text: labelOf(field) + (unit ? ` (${unit})` : "") });
  let control;
  if (field.type === "boolean") {
    control = el("input", { type: "checkbox", id, "data-path": path, "data-type": field.type, "aria-describedby": `${help} ${error}` });
    control.checked = Boolean(value);
    const row = el("div", { className: "field field-check" }, control, label);
    row.append(el("p", { className: "help muted", id: help, text: field.description }), el("p", { className: "field-error", id: error, role: "alert", hidden: true }));
    return row;
  }
  if (field.type === "seconds") {
    const [amount, unitName] = secondsParts(value ?? field.default);
    control = el("input", { type: "number", id, min: "0", step: "any", inputmode: "decimal", value: String(amount), "data-path": path, "data-type": field.type, "aria-describedby": `${help} ${error}` });
    const select = el("select", { "aria-label": `${labelOf(field)} unit`, "data-unit-for": path });
    for (const [name] of SECONDS_UNITS) select.add(new Option(name, name, false, name === unitName));
    const row = el("div", { className: "field" }, label, el("span", { className: "with-unit" }, control, select));
    row.append(el("p", { className: "help muted", id: help, text: field.description }), el("p", { className: "field-error", id: error, role: "alert", hidden: true }));
    return row;
  }
  const numeric = field.type === "integer" || field.type === "bps";
  control = el("input", {
    type: "text", id, "data-path": path, "data-type": field.type,
    inputmode: field.type === "wei" ? "decimal" : numeric ? "numeric" : null,
    maxlength: field.type === "string" && field.maximum ? String(field.maximum) : null,
    autocomplete: "off",
    "aria-describedby": `${help} ${error}`,
  });
  control.value = displayValue(field, value ?? field.default);
  const row = el("div", { className: "field" }, label, control);
  row.append(el("p", { className: "help muted", id: help, text: describeBounds(field) }), el("p", { className: "field-error", id: error, role: "alert", hidden: true }));
  return row;
}

// A wei bound as a person reads it: 1 wei is "above 0", not 0.000000000000000001.
function showBound(field, v) {
  return field.type === "wei" ? `${formatFlow(v, 18)} ${tokenOf(field)}` : String(v);
}

function describeBounds(field) {
  const parts = [field.description];
  const show = (v) => showBound(field, v);
  const huge = (v) => v !== null && v !== undefined && BigInt(v) >= 2n ** 53n;
  if (field.type === "wei" && String(field.minimum) === "1") parts.push(`Above 0 ${tokenOf(field)}.`);
  else if (field.type !== "string" && field.minimum !== null && field.minimum !== undefined && !huge(field.minimum)) parts.push(`At least ${show(field.minimum)}.`);
  if (field.type !== "string" && field.maximum !== null && field.maximum !== undefined && !huge(field.maximum)) parts.push(`At most ${show(field.maximum)}.`);
  return parts.join(" ");
}

// The terms form of `strategy`, filled with `values` (API form) or the catalogue's defaults.
// `current`: the artist's own settings already on chain (see currentArtistSettings), if any.
export function renderTerms(container, strategy, values = {}, current = null) {
  container.replaceChildren();
  if (!strategy.config.length) container.append(el("p", { className: "muted", text: "This strategy has nothing to set: go on to the splits." }));
  const artistWide = strategy.config.filter((f) => f.scope === "artist").map((f) => labelOf(f).toLowerCase());
  if (artistWide.length) {
    const same = current && strategy.config.every((f) => f.scope !== "artist" || !(f.name in current)
      || JSON.stringify(normal(values[f.name])) === JSON.stringify(normal(current[f.name])));
    const now = same
      ? "These are the ones you set before: unless you change them here, they stay as they are and no transaction is sent for them."
      : current ? "The values here replace the ones you set before." : "Whatever you set here applies from now on.";
    container.append(el("p", { className: "note", text: `The ${listText(artistWide)} belong to you as an artist, not to this song: they apply to all your songs under ${strategy.title}. ${now}` }));
  }
  for (const field of strategy.config) {
    const value = field.name in values ? values[field.name] : field.default;
    if (field.type === "array" && field.items) container.append(objectList(field, value || []));
    else if (field.type === "array") container.append(scalarList(field, value || field.default || []));
    else container.append(scalarControl(field, value, field.name));
  }
}

function scalarList(field, values) {
  const count = Math.max(field.min_items || 1, values.length);
  const box = el("fieldset", { className: "field-group", "data-array": field.name });
  box.append(el("legend", { text: `${labelOf(field)}${unitText(field) ? ` (${unitText(field)})` : ""}` }));
  box.append(el("p", { className: "help muted", text: describeBounds(field) }));
  const inner = { ...field, type: field.unit === "bps" ? "bps" : "integer", description: "" };
  const row = el("div", { className: "form-row" });
  for (let i = 0; i < count; i++) {
    const control = scalarControl({ ...inner, name: `${field.name}_${i + 1}` }, values[i], `${field.name}.${i}`);
    control.querySelector("label").textContent = `${count === 4 ? "Level" : "Item"} ${i + 1}`;
    control.querySelector(".help").remove();
    row.append(control);
  }
  box.append(row);
  return box;
}

function objectList(field, values) {
  const box = el("fieldset", { className: "field-group", "data-array": field.name });
  box.append(el("legend", { text: labelOf(field) }), el("p", { className: "help muted", text: `${field.description} ${field.min_items || 0} to ${field.max_items || "any number of"} items.` }));
  const list = el("div", { className: "item-list" });
  const singular = labelOf(field).replace(/s$/, "");
  const add = el("button", { type: "button", className: "button secondary", text: `Add ${singular.toLowerCase()}` });
  const renumber = () => {
    [...list.children].forEach((item, i) => {
      item.querySelector("legend").textContent = `${singular} ${i + 1}`;
      item.querySelectorAll("[data-path]").forEach((c) => { c.dataset.path = c.dataset.path.replace(/^[^.]+\.\d+\./, `${field.name}.${i}.`); });
      item.querySelectorAll("[data-unit-for]").forEach((c) => { c.dataset.unitFor = c.dataset.unitFor.replace(/^[^.]+\.\d+\./, `${field.name}.${i}.`); });
    });
    add.disabled = field.max_items && list.children.length >= field.max_items;
    list.querySelectorAll("[data-remove]").forEach((b) => { b.disabled = list.children.length <= (field.min_items || 0); });
  };
  const addItem = (value = {}) => {
    const i = list.children.length;
    const item = el("fieldset", { className: "item" }, el("legend", { text: `${singular} ${i + 1}` }));
    const row = el("div", { className: "form-row" });
    for (const sub of field.items) row.append(scalarControl(sub, value[sub.name] ?? sub.default, `${field.name}.${i}.${sub.name}`));
    const remove = el("button", { type: "button", className: "button secondary", "data-remove": true, text: `Remove ${singular.toLowerCase()}` });
    remove.addEventListener("click", () => { item.remove(); renumber(); });
    item.append(row, remove);
    list.append(item);
    renumber();
  };
  add.addEventListener("click", () => addItem());
  for (const value of values) addItem(value);
  while (list.children.length < (field.min_items || 0)) addItem();
  box.append(list, add);
  return box;
}

// ------------------------------------------------------------------------ reading back

export class FieldError extends Error {
  constructor(control, message) { super(message); this.control = control; }
}

function checkBounds(field, big, control, label) {
  if (field.minimum !== null && field.minimum !== undefined && big < BigInt(field.minimum)) {
    if (field.type === "wei" && String(field.minimum) === "1") throw new FieldError(control, `${label} must be above 0 ${tokenOf(field)}.`);
    throw new FieldError(control, `${label} must be at least ${showBound(field, field.minimum)}.`);
  }
  if (field.maximum !== null && field.maximum !== undefined && big > BigInt(field.maximum)) {
    throw new FieldError(control, `${label} must be at most ${showBound(field, field.maximum)}.`);
  }
}

function readScalar(field, control, label) {
  const text = control.type === "checkbox" ? null : control.value.trim();
  if (field.type === "boolean") return control.checked;
  if (field.type === "string") {
    const bytes = new TextEncoder().encode(text).length;
    if (bytes < (field.minimum ?? 0) || !text) throw new FieldError(control, `${label} is required.`);
    if (field.maximum && bytes > field.maximum) throw new FieldError(control, `${label} is too long (at most ${field.maximum} bytes).`);
    return text;
  }
  if (text === "") throw new FieldError(control, `${label} is required.`);
  if (field.type === "wei") {
    let wei;
    try { wei = parseFlow(text); } catch { throw new FieldError(control, `${label}: “${text}” is not an amount of ${tokenOf(field)} (like 1.5).`); }
    checkBounds(field, BigInt(wei), control, label);
    return wei;
  }
  if (field.type === "seconds") {
    const unit = control.closest(".field").querySelector("[data-unit-for]").value;
    const size = SECONDS_UNITS.find(([n]) => n === unit)[1];
    const amount = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(amount)) throw new FieldError(control, `${label}: “${text}” is not a length of time.`);
    const seconds = Math.round(amount * size);
    checkBounds(field, BigInt(seconds), control, label);
    return seconds;
  }
  if (!/^\d+$/.test(text)) throw new FieldError(control, `${label}: “${text}” is not a whole number.`);
  checkBounds(field, BigInt(text), control, label);
  if (BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER)) throw new FieldError(control, `${label} is too large.`);
  return Number(text);
}

// Cross-field rules the contracts enforce that no single field's bounds can say: written in
// terms of field names, so they apply to whichever strategy has such fields.
const RULES = [
  (v, find) => v.start_price !== undefined && v.floor_price !== undefined && BigInt(v.start_price) <= BigInt(v.floor_price)
    ? new FieldError(find("start_price"), "Start price must be above the floor price.") : null,
  (v, find) => Array.isArray(v.discounts_bps) && v.discounts_bps.some((d, i) => i && d < v.discounts_bps[i - 1])
    ? new FieldError(find("discounts_bps.0"), "Discounts must not decrease from one loyalty level to the next.") : null,
];

// The terms as the API takes them; throws FieldError (with the control) on the first problem.
export function readTerms(container, strategy) {
  const values = {};
  const find = (path) => container.querySelector(`[data-path="${path}"]`);
  for (const field of strategy.config) {
    if (field.type === "array" && field.items) {
      const items = container.querySelectorAll(`[data-array="${field.name}"] .item`);
      if (field.min_items && items.length < field.min_items) throw new FieldError(container.querySelector(`[data-array="${field.name}"] button`), `${labelOf(field)}: add at least ${field.min_items}.`);
      values[field.name] = [...items].map((item, i) => Object.fromEntries(field.items.map((sub) => {
        const control = item.querySelector(`[data-path="${field.name}.${i}.${sub.name}"]`);
        return [sub.name, readScalar(sub, control, `${labelOf(field).replace(/s$/, "")} ${i + 1}: ${labelOf(sub).toLowerCase()}`)];
      })));
    } else if (field.type === "array") {
      const controls = container.querySelectorAll(`[data-path^="${field.name}."]`);
      const inner = { ...field, type: "integer" };
      values[field.name] = [...controls].map((c, i) => readScalar(inner, c, `${labelOf(field)} ${i + 1}`));
    } else {
      values[field.name] = readScalar(field, find(field.name), labelOf(field));
    }
  }
  for (const rule of RULES) {
    const problem = rule(values, find);
    if (problem) throw problem;
  }
  return values;
}

// The transactions that apply `values`: one per `action`, in catalogue order, with the song
// id where a field is per song. A group whose every field has a default and is left at it is
// skipped: the contract already behaves that way, so it would be a transaction for nothing.
export function termActions(strategy, values, songId, current = null) {
  const groups = new Map();
  for (const field of strategy.config) {
    if (!groups.has(field.action)) groups.set(field.action, []);
    groups.get(field.action).push(field);
  }
  const actions = [];
  for (const [action, fields] of groups) {
    const atDefaults = fields.every((f) => f.default !== null && f.default !== undefined
      && JSON.stringify(normal(values[f.name])) === JSON.stringify(normal(f.default)));
    // The artist's own settings, unchanged from what the chain holds: nothing to send.
    const asBefore = current && fields.every((f) => f.scope === "artist" && f.name in current
      && JSON.stringify(normal(values[f.name])) === JSON.stringify(normal(current[f.name])));
    if (atDefaults || asBefore) continue;
    const body = Object.fromEntries(fields.map((f) => [f.name, values[f.name]]));
    if (fields.some((f) => f.scope === "song")) body.song_id = songId;
    actions.push({ action, body, fields: fields.map((f) => labelOf(f).toLowerCase()) });
  }
  return actions;
}

function normal(value) {
  if (Array.isArray(value)) return value.map(normal);
  if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, normal(value[k])]));
  if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) return String(value);
  return value;
}

// A one-line summary of the terms for the review.
export function describeTerms(strategy, values) {
  return strategy.config.map((field) => {
    const value = values[field.name];
    let text;
    if (field.type === "wei") text = `${formatFlow(value, 18)} ${tokenOf(field)}`;
    else if (field.type === "boolean") text = value ? "yes" : "no";
    else if (field.type === "seconds") { const [n, u] = secondsParts(value); text = `${n} ${u}`; }
    else if (field.items) text = value.map((item) => field.items.map((sub) => sub.type === "wei" ? `${formatFlow(item[sub.name], 18)} ${tokenOf(sub)}` : sub.type === "boolean" ? (item[sub.name] ? sub.name : "") : item[sub.name]).filter(Boolean).join(" · ")).join("; ");
    else if (Array.isArray(value)) text = value.join(", ");
    else text = String(value);
    return [labelOf(field), text];
  });
}
