// The one reader of a song's economy (GET /api/songs/{id}/economy), the strategy catalogue
// (GET /api/strategies) and the strategy-specific reads behind them (patron tiers, auctions).
// Everything else in the web app sees the neutral shape `describe()` returns, chosen by the
// catalogue's payment types (stream, tip, patronage, access), never by a strategy's name: when
// the economy's sections change, this file is the one to change.
import { api } from "./api.js";

let catalogue = null;

export function strategyCatalogue() {
  catalogue ||= api("/api/strategies").catch((err) => { catalogue = null; throw err; });
  return catalogue;
}

export async function loadEconomy(songId) {
  const [economy, strategies] = await Promise.all([api(`/api/songs/${songId}/economy`), strategyCatalogue()]);
  return describe(economy, strategies);
}

const wei = (amount) => (amount == null ? null : BigInt(amount.wei ?? amount));
const date = (text) => (text ? new Date(text) : null);

function tiersOf(list) {
  return (list || []).map((t) => ({ index: t.index, name: t.name, fee: wei(t.fee), exclusive: Boolean(t.exclusive) }));
}

function auctionOf(a) {
  if (!a) return null;
  return {
    number: a.number,
    startPrice: wei(a.start_price),
    floorPrice: wei(a.floor_price),
    currentPrice: wei(a.current_price),
    clearingPrice: wei(a.clearing_price),
    start: date(a.start_time),
    end: date(a.end_time),
    slots: a.slots,
    sold: a.sold,
    left: Math.max(0, a.slots - a.sold),
    live: Boolean(a.live),
  };
}

// A song's economy as pages use it.
export function describe(e, strategies) {
  const info = (strategies.strategies || []).find((s) => s.name === e.strategy) || null;
  const types = new Set((info ? info.payment_types : []).map((t) => t.type));
  const patronage = e.patronage || null;
  const gift = e.gift || null;
  const auctionSection = e.auction || null;
  const view = {
    songId: e.song_id,
    artist: e.artist,
    strategyTitle: info ? info.title : "No strategy",
    types,
    feeBps: e.fee_bps,
    viewer: e.viewer,
    authorized: e.authorized,
    streamPrice: wei(e.stream_quote), // null: the strategy refuses this viewer's plays
    refusal: e.stream_refusal || null,
    tiers: patronage ? tiersOf(patronage.tiers) : [],
    patronOnly: Boolean(patronage && patronage.patron_only),
    patron: patronage && patronage.patron ? {
      tier: patronage.patron.tier,
      exclusive: patronage.patron.exclusive,
      active: patronage.patron.active,
      paidUntil: date(patronage.patron.paid_until),
    } : null,
    auction: auctionSection ? auctionOf(auctionSection.auction) : null,
    holdsSlot: Boolean(auctionSection && auctionSection.holds_slot),
    earnsCgc: Boolean(gift),
    reward: gift ? {
      perListen: wei(gift.config.cgc_per_listen),
      next: gift.listener ? wei(gift.listener.next_reward) : null,
      listens: gift.listener ? gift.listener.listens : null,
      earned: gift.listener ? wei(gift.listener.total_earned) : null,
    } : null,
  };
  view.unlock = unlockText(view);
  return view;
}

// Why a song will not play for this viewer, and what would open it (null when it plays).
function unlockText(v) {
  if (!v.refusal) return null;
  const exclusive = v.tiers.filter((t) => t.exclusive).map((t) => t.name);
  if (v.types.has("patronage") && exclusive.length) {
    const names = exclusive.length === 1 ? `the ${exclusive[0]} tier` : `one of the tiers ${exclusive.join(", ")}`;
    return `Only patrons of ${names} can play this song. Become a patron below to open it${v.viewer ? "" : " (or sign in if you already are one)"}.`;
  }
  if (v.types.has("access")) {
    const open = v.auction && v.auction.live && v.auction.left > 0;
    return `Only holders of a slot in this song's auction can play it. ${open ? "Buy a slot below" : "No slots are on sale right now"}${v.viewer ? "" : " (or sign in if you hold one)"}.`;
  }
  return `This song cannot be played now: ${v.refusal}.`;
}

// The payment to show as an example of how a song's splits divide money.
export function examplePayment(v) {
  if (v.streamPrice && v.streamPrice > 0n) return { amount: v.streamPrice, label: "a play" };
  if (v.auction && v.auction.currentPrice) return { amount: v.auction.currentPrice, label: "a slot" };
  if (v.tiers.length) return { amount: v.tiers[0].fee, label: `a ${v.tiers[0].name} month` };
  return { amount: 10n ** 18n, label: "a 1 FLOW tip" };
}

export async function previewSplits(songId, amount) {
  return api("/api/strategies/preview-splits", { method: "POST", body: { song_id: songId, amount: amount.toString() } });
}

// An artist's patron tiers (empty when they offer none).
export async function artistTiers(address) {
  const out = await api(`/api/artists/${address}/tiers`);
  return { tiers: tiersOf(out.tiers), activePatrons: out.active_patrons, minCommitment: out.min_commitment };
}

// A song's latest auction as the chain has it now, with the slots sold in it.
export async function songAuction(songId) {
  const out = await api(`/api/songs/${songId}/auction`);
  return {
    auction: auctionOf(out.chain.auction),
    holdsSlot: Boolean(out.chain.holds_slot),
    slots: out.latest_slots.map((s) => ({ slot: s.slot, buyer: s.buyer, price: wei(s.price), at: date(s.purchased_at) })),
  };
}

// Names of the strategies that sell access (auction slots): which songs to ask about auctions.
export async function accessStrategies() {
  const { strategies } = await strategyCatalogue();
  return new Set(strategies.filter((s) => s.payment_types.some((t) => t.type === "access")).map((s) => s.name));
}

// The prepared transactions of each action, with the amount the listener was shown as the offer.
export const prepare = {
  stream: (songId, price) => api("/api/tx/stream", { method: "POST", body: { song_id: songId, max_price: price.toString() } }),
  tip: (songId, amount) => api("/api/tx/tip", { method: "POST", body: { song_id: songId, amount: amount.toString() } }),
  patron: (songId, tier) => api("/api/tx/become_patron", { method: "POST", body: { song_id: songId, tier: tier.index, max_amount: tier.fee.toString() } }),
  slot: (songId, auction, price) => api("/api/tx/buy_slot", { method: "POST", body: { song_id: songId, max_price: price.toString(), auction_number: auction.number } }),
};
