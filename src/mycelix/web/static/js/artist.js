// The artist page's live parts: the artist's patron tiers and the auctions of their songs,
// read from the chain through economy.js (the catalogue itself is server-rendered).
import { formatFlow } from "./api.js";
import { accessStrategies, artistTiers, songAuction } from "./economy.js";

const root = document.getElementById("artist");
const address = root.dataset.address;
const tiersBox = document.getElementById("tiers");
const auctionsBox = document.getElementById("auctions");

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c != null));
  return node;
};
const flow = (wei) => `${formatFlow(wei)} FLOW`;
const failed = (box, what, err) => box.replaceChildren(el("p", { class: "error", role: "alert", text: `The ${what} could not be read: ${err.message}` }));

async function showTiers() {
  const { tiers, activePatrons } = await artistTiers(address);
  if (!tiers.length) {
    tiersBox.replaceChildren(el("p", { class: "empty", text: "This artist offers no patronage yet." }));
    return;
  }
  tiersBox.replaceChildren(
    el("ul", { class: "tiers", id: "artist-tiers" }, ...tiers.map((t) => el("li", { class: "tier" },
      el("span", { class: "tier-name", text: t.name }),
      el("span", { class: "price", text: `${flow(t.fee)} / 30 days` }),
      t.exclusive ? el("span", { class: "badge badge-lock", text: "Opens patron-only songs" }) : null))),
    el("p", { class: "muted", text: `${activePatrons} active patron${activePatrons === 1 ? "" : "s"}. Become one from any of the artist's songs.` }));
}

async function showAuctions() {
  const selling = await accessStrategies();
  const cards = [...document.querySelectorAll("#catalogue .card")]
    .map((card) => ({ card, strategy: card.querySelector(".badge[data-strategy]").dataset.strategy, link: card.querySelector(".card-link") }))
    .filter((c) => selling.has(c.strategy));
  const rows = [];
  for (const { link } of cards) {
    const songId = link.getAttribute("href").split("/").pop();
    const { auction } = await songAuction(songId);
    if (!auction) continue;
    const title = link.querySelector(".card-title").textContent;
    rows.push(el("tr", {},
      el("th", { scope: "row" }, el("a", { href: `/songs/${songId}`, text: title })),
      el("td", { text: auction.live ? "Live" : "Ended" }),
      el("td", { text: `${auction.sold} of ${auction.slots}` }),
      el("td", { text: flow(auction.live ? auction.currentPrice : auction.clearingPrice) }),
      el("td", { text: auction.end ? auction.end.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—" })));
  }
  if (!rows.length) {
    auctionsBox.replaceChildren(el("p", { class: "empty", text: "No auctions." }));
    return;
  }
  auctionsBox.replaceChildren(el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "auctions-heading" }, el("table", { id: "artist-auctions" },
    el("thead", {}, el("tr", {}, ...["Song", "Status", "Sold", "Price (now or clearing)", "Ends"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows))));
}

showTiers().catch((err) => failed(tiersBox, "patron tiers", err));
showAuctions().catch((err) => failed(auctionsBox, "auctions", err));
