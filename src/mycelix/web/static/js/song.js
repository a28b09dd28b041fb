// The song page: the player, the song's live terms and the action its strategy offers (pay per
// play, tip, become a patron, buy an auction slot), the split preview, and the listener's CGC.
// What the economy means comes from economy.js; the wallet sends what /api/tx prepares.
import { formatFlow, parseFlow } from "./api.js";
import { track } from "./analytics.js";
import { examplePayment, loadEconomy, prepare, previewSplits } from "./economy.js";
import { notify, notifyError } from "./notice.js";
import { Player } from "./player.js";
import { payWithVoucher } from "./vouchers.js";
import { wallet } from "./wallet.js";

const ACCESS_POLLS = 80; // × 250 ms: the indexer sees a payment within a few blocks
const AUCTION_REFRESH_MS = 10_000;

const song = document.getElementById("song");
const songId = song.dataset.songId;
const panel = document.getElementById("economy");
const player = new Player(document.getElementById("player"), { beforeListen });
let view = null;
let chainOffset = 0; // chain clock minus this clock, in ms (dev chains travel in time)
let countdownTimer = null;
let busy = 0; // wallet actions in flight: no re-render under the listener's click

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter((c) => c != null));
  return node;
};
const flow = (wei) => `${formatFlow(wei)} FLOW`;

async function refresh() {
  try {
    view = await loadEconomy(songId);
  } catch (err) {
    panel.replaceChildren(el("p", { class: "error", role: "alert", text: `The song's terms could not be read: ${err.message}` }));
    return;
  }
  render();
  showSplits().catch(() => {});
  showCgc().catch(() => {});
}

// ------------------------------------------------------------------ the listen itself

async function beforeListen() {
  if (!view) await refresh();
  if (!view) return false;
  if (view.refusal && wallet.address && !view.viewer) {
    // A patron or slot holder is only known once signed in.
    await wallet.ensureSignedIn();
    await refresh();
  }
  if (view.refusal) {
    player.say(view.unlock);
    return false;
  }
  if (view.streamPrice > 0n) {
    const price = view.streamPrice;
    player.say(`Paying ${flow(price)} for this play…`);
    await wallet.ensureSignedIn();
    // A listening balance that covers the play pays it by signature: no transaction to wait for.
    if (await payWithVoucher(songId, price)) {
      track("payment", { songId, amount: price.toString(), type: "stream", method: "voucher" });
      player.say("");
      refresh();
      return true;
    }
    const tx = await prepare.stream(songId, price);
    await wallet.sendPrepared(tx);
    track("payment", { songId, amount: price.toString(), type: "stream" });
    player.say("Paid. Waiting for the payment to be seen…");
    await waitForAccess();
    player.say("");
    refresh();
    return true;
  }
  if (wallet.signedIn && wallet.address) recordFreePlay();
  return true;
}

// A free play is still a play: recorded on chain (and rewarded where the strategy rewards it).
async function recordFreePlay() {
  try {
    const tx = await prepare.stream(songId, 0n);
    await wallet.sendPrepared(tx);
    if (view && view.earnsCgc) notify("Your listen was recorded: CGC credited to your wallet.", "success");
    refresh();
  } catch (err) {
    notify(`Playing without recording the play: ${err.message}`, "error");
  }
}

async function waitForAccess() {
  for (let i = 0; i < ACCESS_POLLS; i++) {
    const response = await fetch(player.src, { headers: { Range: "bytes=0-0" }, credentials: "same-origin" });
    if (response.ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("The payment went through, but the server has not seen it yet: press play again in a moment (you will not pay twice within 30 minutes).");
}

// ------------------------------------------------------------------ rendering

// The panel keeps one slot per action, so a refresh (the wallet changed, the auction price
// moved) never rebuilds a form under the listener's typing: the tip form is built once.
const SLOTS = ["gate", "stream", "cgc", "patron", "auction", "tip"];
let slots = null;

function fill(name, node) {
  if (node) slots[name].replaceChildren(node);
  else slots[name].replaceChildren();
}

function render() {
  if (!slots) {
    slots = Object.fromEntries(SLOTS.map((name) => [name, el("div", { class: "slot", "data-slot": name })]));
    panel.replaceChildren(...Object.values(slots));
  }
  fill("gate", view.unlock ? el("p", { class: "gate", id: "gate", text: view.unlock }) : null);
  fill("stream", view.types.has("stream") ? streamPart() : null);
  if (!view.earnsCgc) fill("cgc", null);
  else if (!slots.cgc.firstChild) fill("cgc", cgcPart()); // kept: showCgc() updates it in place
  fill("patron", view.types.has("patronage") && view.tiers.length ? patronPart() : null);
  fill("auction", view.types.has("access") ? auctionPart() : null);
  if (view.types.has("tip") && !slots.tip.firstChild) fill("tip", tipPart());
  if (!view.types.has("tip")) fill("tip", null);
  player.setPlayLabel(view.refusal ? "Play (locked)" : view.streamPrice > 0n ? `Pay ${flow(view.streamPrice)} and play` : "Play");
  startCountdown();
}

function streamPart() {
  let text;
  if (view.streamPrice == null) text = "Plays are not open to you yet (see above).";
  else if (view.streamPrice > 0n) text = `One play costs ${flow(view.streamPrice)}, paid when you press play, once per listen: by a signature from your listening balance when it covers the play, else from your wallet.`;
  else if (view.earnsCgc) text = `Free to play. Signed in, each listen is recorded on chain and earns you CGC gift credits${view.reward && view.reward.next != null ? ` (next listen: ${formatFlow(view.reward.next)} CGC)` : ""}.`;
  else text = view.patron && view.patron.active ? "Free to play for you as a patron." : view.holdsSlot ? "Free to play: you hold a slot." : "Free to play.";
  return el("div", { class: "action", id: "action-stream" },
    el("h3", { text: "Play" }),
    el("p", { id: "stream-terms", text }));
}

function cgcPart() {
  return el("p", { class: "cgc" }, "Your CGC: ", el("strong", { id: "cgc-balance", text: wallet.address ? "…" : "connect your wallet to see it" }));
}

function tipPart() {
  const input = el("input", { id: "tip-amount", name: "amount", inputmode: "decimal", autocomplete: "off", value: "1", "aria-describedby": "tip-error" });
  const error = el("p", { class: "error field-error", id: "tip-error", role: "alert" });
  const button = el("button", { type: "submit", class: "button", text: "Send tip" });
  const form = el("form", { class: "action tip-form", id: "tip-form", novalidate: true },
    el("h3", { text: "Tip" }),
    el("p", { class: "muted", text: `The whole tip is split among the song's collaborators${view.earnsCgc ? " and earns you CGC" : ""}.` }),
    el("div", { class: "inline-field" }, el("label", { for: "tip-amount", text: "Tip amount (FLOW)" }), input),
    button, error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.textContent = "";
    let amount;
    try {
      amount = BigInt(parseFlow(input.value));
      if (amount <= 0n) throw new Error("A tip must be more than 0 FLOW.");
    } catch (err) {
      error.textContent = err.message.includes("FLOW") ? err.message : `“${input.value}” is not an amount of FLOW.`;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    track("tip_click", { songId });
    act(button, error, async () => {
      await wallet.sendPrepared(await prepare.tip(songId, amount));
      track("tip", { songId, amount: amount.toString() });
      notify(`Thank you: your ${flow(amount)} tip was split among the song's collaborators.`, "success");
    });
  });
  return form;
}

function patronPart() {
  const error = el("p", { class: "error field-error", id: "patron-error", role: "alert" });
  const p = view.patron;
  const standing = p && p.active
    ? el("p", { class: "success", id: "patron-standing", text: `You are a patron (${(view.tiers.find((t) => t.index === p.tier) || {}).name || "tier " + p.tier}) until ${p.paidUntil ? p.paidUntil.toISOString().slice(0, 10) : "—"}.` })
    : null;
  const list = el("ul", { class: "tiers", id: "patron-tiers" }, ...view.tiers.map((tier) => {
    const button = el("button", { type: "button", class: "button secondary", text: `Become a patron: ${tier.name}` });
    button.addEventListener("click", () => {
      track("patron_click", { songId, tier: tier.index });
      act(button, error, async () => {
        await wallet.sendPrepared(await prepare.patron(songId, tier));
        track("subscribe", { songId, tier: tier.index, amount: tier.fee.toString() });
        notify(`You are now a ${tier.name} patron for 30 days.`, "success");
      });
    });
    return el("li", { class: "tier" },
      el("span", { class: "tier-name", text: tier.name }),
      el("span", { class: "price", text: `${flow(tier.fee)} / 30 days` }),
      tier.exclusive ? el("span", { class: "badge badge-lock", text: "Opens patron-only songs" }) : null,
      button);
  }));
  return el("div", { class: "action", id: "action-patron" }, el("h3", { text: "Become a patron" }), standing, list, error);
}

function auctionPart() {
  const a = view.auction;
  const box = el("div", { class: "action", id: "action-auction" }, el("h3", { text: "Auction" }));
  if (view.holdsSlot) box.append(el("p", { class: "success", text: "You hold a slot: the song is yours to play." }));
  if (!a) {
    box.append(el("p", { class: "muted", text: "No auction yet." }));
    return box;
  }
  const open = a.live && a.left > 0;
  box.append(el("dl", { class: "terms" },
    el("dt", { text: open ? "Price now" : "Last price" }), el("dd", { id: "auction-price", class: "price", text: flow(a.currentPrice) }),
    el("dt", { text: "Slots left" }), el("dd", { id: "auction-left", text: `${a.left} of ${a.slots}` }),
    el("dt", { text: open ? "Ends in" : "Ended" }), el("dd", { id: "auction-countdown", "data-end": a.end ? a.end.getTime() : "" , text: open ? "…" : (a.end ? a.end.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—") })));
  if (open) {
    const error = el("p", { class: "error field-error", id: "auction-error", role: "alert" });
    const button = el("button", { type: "button", class: "button", id: "buy-slot", text: `Buy a slot for ${flow(a.currentPrice)}` });
    button.addEventListener("click", () => {
      const price = view.auction.currentPrice;
      track("bid_click", { songId });
      act(button, error, async () => {
        await wallet.sendPrepared(await prepare.slot(songId, view.auction, price));
        track("purchase", { songId, amount: price.toString() });
        notify(`You bought a slot for at most ${flow(price)}: the song is yours to play.`, "success");
      });
    });
    box.append(el("p", { class: "muted", text: "The price falls until the auction ends; you pay the price when your purchase is mined, never more than shown." }), button, error);
  }
  return box;
}

// Run a wallet action from `button`; any refusal is shown next to it and in the status line.
async function act(button, error, work) {
  busy += 1;
  button.disabled = true;
  error.textContent = "";
  try {
    await wallet.ensureSignedIn(); // /api/tx prepares for the signed-in address
    await work();
    await refresh();
  } catch (err) {
    error.textContent = err.message;
    notifyError(err);
  } finally {
    busy -= 1;
    button.disabled = false;
  }
}

function startCountdown() {
  clearInterval(countdownTimer);
  const a = view.auction;
  if (!a || !a.live || !a.end) return;
  const tick = () => {
    const node = document.getElementById("auction-countdown");
    if (!node) return;
    const left = Math.max(0, Math.floor((a.end.getTime() - (Date.now() + chainOffset)) / 1000));
    const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    node.textContent = `${d ? d + "d " : ""}${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

// ------------------------------------------------------------------ splits and CGC

async function showSplits() {
  if (!view) return;
  const example = examplePayment(view);
  const preview = await previewSplits(songId, example.amount);
  document.getElementById("split-caption").textContent =
    `Of ${example.label} (${flow(preview.amount.wei)}): ${flow(preview.fee.wei)} protocol fee, then ${flow(preview.net.wei)} split on chain:`;
  const body = document.querySelector("#splits tbody");
  body.replaceChildren(...preview.shares.map((s) => el("tr", { "data-recipient": s.recipient },
    el("td", { class: "mono", title: s.recipient, text: `${s.recipient.slice(0, 6)}…${s.recipient.slice(-4)}` }),
    el("td", { text: s.role }),
    el("td", { text: `${s.bps / 100} %` }),
    el("td", { class: "split-amount", "data-wei": s.amount.wei, text: flow(s.amount.wei) }))));
}

async function showCgc() {
  const node = document.getElementById("cgc-balance");
  if (!node) return;
  if (!wallet.address || !wallet.provider || !wallet.network.cgc) {
    node.textContent = "connect your wallet to see it";
    delete node.dataset.wei;
    return;
  }
  const data = "0x70a08231" + wallet.address.toLowerCase().replace(/^0x/, "").padStart(64, "0");
  const result = await wallet.provider.request({ method: "eth_call", params: [{ to: wallet.network.cgc.address, data }, "latest"] });
  node.textContent = `${formatFlow(BigInt(result))} CGC`;
  node.dataset.wei = BigInt(result).toString();
}

async function syncChainClock() {
  await wallet.ready;
  if (!wallet.network || !wallet.network.rpc_url) return;
  const response = await fetch(wallet.network.rpc_url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["latest", false] }),
  });
  const block = (await response.json()).result;
  if (block) chainOffset = Math.max(0, parseInt(block.timestamp, 16) * 1000 - Date.now());
}

if (panel.querySelector("#economy-loading")) {
  refresh();
  wallet.on("change", () => { if (!busy) refresh(); });
  syncChainClock().catch(() => {});
  setInterval(() => { if (!busy && view && view.auction && view.auction.live && !document.hidden) refresh(); }, AUCTION_REFRESH_MS);
}
