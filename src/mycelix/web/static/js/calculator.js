// The earnings calculator: one set of monthly expectations, sent to every enabled strategy's
// `POST /api/strategies/{name}/calculator` (each uses the inputs that concern it and ignores
// the rest), so the artist compares what the same audience would pay under each. The figures
// are the API's exact wei amounts, shown in FLOW.
import { api, formatFlow, parseFlow } from "./api.js";

const FALLBACK_TIER_FEE = parseFlow("5");
const FALLBACK_SLOT_PRICE = parseFlow("0.5");

// The calculator body from the page's inputs, the chosen terms and the splits.
export function calculatorBody(inputs, terms, splits) {
  const plays = wholeNumber(inputs.plays, "Expected plays a month");
  const perListener = Math.max(1, wholeNumber(inputs.listens, "Plays per listener"));
  const tipCount = wholeNumber(inputs.tips, "Tips a month");
  const patrons = wholeNumber(inputs.patrons, "Patrons");
  const slots = wholeNumber(inputs.slots, "Auction slots sold");
  let tip;
  try { tip = parseFlow(inputs.tip); } catch { throw new Error(`Average tip: “${inputs.tip}” is not an amount of FLOW (like 1.5).`); }
  const body = {
    monthly_plays: plays,
    monthly_listeners: Math.ceil(plays / perListener),
    listens_per_listener: perListener,
    splits: splits.map((s, i) => ({ label: `${s.role} ${i + 1}`, bps: s.bps, role: s.role })),
  };
  if (tipCount > 0 && BigInt(tip) > 0n) body.tips = { count: tipCount, amount: tip };
  if (terms.price) body.price = terms.price;
  const fees = Array.isArray(terms.tiers) && terms.tiers.length ? terms.tiers.map((t) => t.fee) : [FALLBACK_TIER_FEE];
  // Patrons spread over the tiers, the remainder on the first: whole people only.
  body.tiers = fees.map((fee, i) => ({ fee, patrons: Math.floor(patrons / fees.length) + (i === 0 ? patrons % fees.length : 0) }));
  body.slots = slots;
  body.clearing_price = terms.start_price && terms.floor_price !== undefined
    ? ((BigInt(terms.start_price) + BigInt(terms.floor_price)) / 2n).toString()
    : FALLBACK_SLOT_PRICE;
  return body;
}

function wholeNumber(text, label) {
  const s = String(text).trim();
  if (!/^\d+$/.test(s)) throw new Error(`${label}: “${text}” is not a whole number.`);
  const n = Number(s);
  if (n > 1e9) throw new Error(`${label} must be at most 1,000,000,000.`);
  return n;
}

// Every enabled strategy's projection, in catalogue order: [{strategy, result | error}].
export async function compare(strategies, body) {
  return Promise.all(strategies.filter((s) => s.enabled).map(async (strategy) => {
    try {
      return { strategy, result: await api(`/api/strategies/${encodeURIComponent(strategy.name)}/calculator`, { method: "POST", body }) };
    } catch (error) {
      return { strategy, error };
    }
  }));
}

export function renderComparison(container, rows, chosenName) {
  const table = document.createElement("table");
  table.className = "calc-table";
  table.innerHTML = `<caption>A month under each strategy (FLOW)</caption>
    <thead><tr><th scope="col">Strategy</th><th scope="col">Listeners pay</th><th scope="col">Protocol fee</th><th scope="col">Shared by the splits</th><th scope="col">First recipient</th></tr></thead>`;
  const body = table.createTBody();
  for (const { strategy, result, error } of rows) {
    const tr = body.insertRow();
    if (strategy.name === chosenName) tr.className = "chosen";
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = strategy.title + (strategy.name === chosenName ? " (your choice)" : "");
    tr.append(th);
    if (error) {
      const td = tr.insertCell();
      td.colSpan = 4;
      td.textContent = error.message;
      continue;
    }
    for (const amount of [result.gross, result.fee, result.net, result.shares[0] ? result.shares[0].amount : { wei: "0" }]) {
      tr.insertCell().textContent = formatFlow(amount.wei);
    }
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.append(table);
  container.replaceChildren(wrap);
  const chosen = rows.find((r) => r.strategy.name === chosenName && r.result);
  if (chosen) {
    const details = document.createElement("details");
    details.innerHTML = "<summary>How these figures are worked out</summary>";
    const list = document.createElement("ul");
    for (const text of chosen.result.assumptions) {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    }
    details.append(list);
    container.append(details);
  }
}
