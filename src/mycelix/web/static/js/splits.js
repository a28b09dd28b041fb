// The splits editor of the upload wizard: rows of recipient, role and share (in percent, at
// most two decimals: a share is whole basis points), the running total, and a live preview of
// one payment's division from `POST /api/strategies/preview-splits`. The page owns the steps;
// this module owns the rows.
import { api, formatFlow, parseFlow } from "./api.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const MAX_RECIPIENTS = 64;

export function parsePercent(text) {
  const s = String(text).trim();
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(s)) return null;
  const [whole, frac = ""] = s.split(".");
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
}

export function percentText(bps) {
  return (bps / 100).toFixed(2).replace(/\.?0+$/, "");
}

export class SplitsEditor {
  // body: the <tbody>; total, preview: where the total and the preview go; roles: role names;
  // amount(): the payment (wei) the preview divides.
  constructor({ body, total, preview, roles, amount }) {
    Object.assign(this, { body, totalLine: total, previewBox: preview, roles, amount });
    this.splits = [];
    this.timer = null;
    this.seq = 0;
  }

  set(splits) {
    this.splits = splits.map((s) => ({ ...s }));
    this.render();
  }

  render() {
    this.body.replaceChildren(...this.splits.map((split, i) => this.row(split, i)));
    this.update();
  }

  // Adds an empty row; false when there is no room for one.
  add() {
    this.read();
    if (this.splits.length >= MAX_RECIPIENTS) return false;
    this.splits.push({ recipient: "", role: this.roles.includes("featured") ? "featured" : this.roles[0], bps: 0 });
    this.render();
    this.body.lastElementChild.querySelector("input").focus();
    return true;
  }

  row(split, i) {
    const tr = document.createElement("tr");
    const n = i + 1;
    const recipient = Object.assign(document.createElement("input"), { type: "text", value: split.recipient, placeholder: "0x…", autocomplete: "off", spellcheck: false });
    recipient.setAttribute("aria-label", `Recipient ${n} address`);
    recipient.dataset.split = "recipient";
    const role = document.createElement("select");
    role.setAttribute("aria-label", `Recipient ${n} role`);
    role.dataset.split = "role";
    for (const r of this.roles) role.add(new Option(r.charAt(0).toUpperCase() + r.slice(1), r, false, r === split.role));
    const share = Object.assign(document.createElement("input"), { type: "text", value: split.bps ? percentText(split.bps) : "", inputMode: "decimal", size: 6 });
    share.setAttribute("aria-label", `Recipient ${n} share (%)`);
    share.dataset.split = "share";
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "button secondary", textContent: "Remove" });
    remove.setAttribute("aria-label", `Remove recipient ${n}`);
    remove.addEventListener("click", () => { this.read(); this.splits.splice(i, 1); this.render(); });
    const shareWrap = Object.assign(document.createElement("span"), { className: "share-wrap" });
    shareWrap.append(share, Object.assign(document.createElement("span"), { textContent: "%", ariaHidden: "true" }));
    for (const [control, cell] of [[recipient, "cell-recipient"], [role, "cell-role"], [share, "cell-share"], [remove, "cell-remove"]]) {
      const td = tr.insertCell();
      td.className = cell;
      td.append(control === share ? shareWrap : control);
      if (control !== remove) td.append(Object.assign(document.createElement("p"), { className: "field-error", hidden: true }));
      control.addEventListener("input", () => this.update());
    }
    remove.disabled = this.splits.length <= 1;
    return tr;
  }

  // The rows as typed (bps 0 where the share is not a valid percentage).
  read() {
    this.splits = [...this.body.rows].map((tr) => ({
      recipient: tr.querySelector("[data-split=recipient]").value.trim(),
      role: tr.querySelector("[data-split=role]").value,
      bps: parsePercent(tr.querySelector("[data-split=share]").value) ?? 0,
      shareText: tr.querySelector("[data-split=share]").value,
    }));
    return this.splits;
  }

  // As the API takes them.
  forApi() {
    return this.splits.map((s) => ({ recipient: s.recipient, bps: s.bps, role: s.role }));
  }

  // The first problem with the rows as typed, as [message, control], or null.
  problem() {
    const rows = [...this.body.rows];
    const seen = new Set();
    for (const [i, split] of this.read().entries()) {
      const cell = (name) => rows[i].querySelector(`[data-split=${name}]`);
      if (!ADDRESS.test(split.recipient)) return [`Recipient ${i + 1}: enter a wallet address (0x and 40 hex digits).`, cell("recipient")];
      if (/^0x0{40}$/.test(split.recipient)) return [`Recipient ${i + 1}: the zero address belongs to nobody; income sent there is lost.`, cell("recipient")];
      if (seen.has(split.recipient.toLowerCase())) return [`Recipient ${i + 1} is listed twice: give each address one row.`, cell("recipient")];
      seen.add(split.recipient.toLowerCase());
      if (parsePercent(split.shareText) === null || split.bps <= 0) return [`Recipient ${i + 1}: the share must be a percentage above 0 with at most two decimals.`, cell("share")];
    }
    const total = this.splits.reduce((sum, s) => sum + s.bps, 0);
    if (total !== 10000) return [`The shares add up to ${percentText(total)} %: they must add up to exactly 100 %.`, rows[rows.length - 1].querySelector("[data-split=share]")];
    return null;
  }

  update() {
    this.read();
    const total = this.splits.reduce((sum, s) => sum + s.bps, 0);
    this.totalLine.textContent = `Total: ${percentText(total)} %${total === 10000 ? " ✓" : " (must be 100 %)"}`;
    this.totalLine.className = `split-total ${total === 10000 ? "success" : "error"}`;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.preview(), 250);
  }

  async preview() {
    const box = this.previewBox;
    if (this.problem()) { box.replaceChildren(); return; }
    const seq = ++this.seq;
    try {
      const result = await api("/api/strategies/preview-splits", { method: "POST", body: { amount: this.amount() || parseFlow("1"), splits: this.forApi() } });
      if (seq !== this.seq) return;
      const table = document.createElement("table");
      table.className = "preview-table";
      table.innerHTML = `<caption>Of a payment of ${formatFlow(result.amount.wei, 18)} FLOW (protocol fee ${formatFlow(result.fee.wei, 18)} FLOW)</caption><thead><tr><th scope="col">Recipient</th><th scope="col">Role</th><th scope="col">Gets (FLOW)</th></tr></thead>`;
      const body = table.createTBody();
      for (const share of result.shares) {
        const tr = body.insertRow();
        tr.insertCell().textContent = `${share.recipient.slice(0, 6)}…${share.recipient.slice(-4)}`;
        tr.insertCell().textContent = share.role;
        tr.insertCell().textContent = formatFlow(share.amount.wei, 18);
      }
      const wrap = document.createElement("div");
      wrap.className = "table-wrap";
      wrap.append(table);
      box.replaceChildren(wrap);
    } catch (err) {
      if (seq === this.seq) box.textContent = `No preview: ${err.message}`;
    }
  }
}
