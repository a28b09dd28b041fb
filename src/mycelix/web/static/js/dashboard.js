// The artist dashboard. The page is rendered on the server for the signed-in address; this
// script only (1) offers "Connect and sign in" when signed out, (2) reloads the page when the
// header's session changes, so the figures are always the viewer's, and (3) withdraws.
import { api, formatFlow } from "./api.js";
import { track } from "./analytics.js";
import { notify, notifyError } from "./notice.js";
import { wallet } from "./wallet.js";

// Shared with the library: the page's viewer (server-rendered) follows the wallet's session.
export function followSession() {
  const holder = document.querySelector("[data-viewer]");
  const viewer = holder ? holder.dataset.viewer.toLowerCase() : "";
  for (const button of document.querySelectorAll("[data-account-signin]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await wallet.ensureSignedIn();
        location.reload();
      } catch (err) {
        notifyError(err);
        button.disabled = false;
      }
    });
  }
  // After the wallet has settled, a sign-in, sign-out or account switch re-renders the page
  // for the new viewer (never on the first report: that is the state the page was made for).
  wallet.ready.then(() => {
    wallet.on("change", () => {
      const now = (wallet.signedIn || "").toLowerCase();
      if (now !== viewer) location.reload();
    });
  }).catch(notifyError);
}

function mountWithdraw() {
  const button = document.getElementById("withdraw");
  if (!button) return;
  const viewer = document.querySelector("[data-viewer]").dataset.viewer.toLowerCase();
  button.addEventListener("click", async () => {
    button.disabled = true;
    notify("Preparing the withdrawal…");
    try {
      const signedIn = await wallet.ensureSignedIn();
      if (signedIn.toLowerCase() !== viewer) {
        location.reload(); // another account in the wallet: show its own dashboard
        return;
      }
      const tx = await api("/api/tx/withdraw", { method: "POST", body: {} });
      notify("Confirm the withdrawal in your wallet…");
      await wallet.sendPrepared(tx);
      const amount = button.dataset.wei;
      track("withdraw", { amount });
      const claimable = document.getElementById("claimable");
      claimable.textContent = "0 FLOW";
      claimable.dataset.wei = "0";
      button.hidden = true;
      notify(`Withdrew ${formatFlow(amount)} FLOW to your wallet.`, "success");
    } catch (err) {
      notifyError(err);
      button.disabled = false;
    }
  });
}

if (document.body.dataset.page === "/dashboard") {
  followSession();
  mountWithdraw();
}
