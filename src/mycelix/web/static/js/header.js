// The header's wallet controls: connect, the dev-account switcher, sign in, FLOW balance.
import { formatFlow } from "./api.js";
import { notify, notifyError } from "./notice.js";
import { wallet } from "./wallet.js";

export function mountHeader() {
  const connect = document.getElementById("wallet-connect");
  const signin = document.getElementById("wallet-signin");
  const who = document.getElementById("wallet-who");
  const balance = document.getElementById("wallet-balance");
  const devLabel = document.querySelector(".dev-accounts");
  const devSelect = document.getElementById("dev-account");
  if (!connect) return;

  connect.addEventListener("click", async () => {
    try {
      await wallet.connect();
      notify("Wallet connected.", "success");
    } catch (err) { notifyError(err); }
  });
  signin.addEventListener("click", async () => {
    try {
      await wallet.signIn();
      notify("Signed in.", "success");
    } catch (err) { notifyError(err); }
  });
  devSelect.addEventListener("change", () => wallet.provider.select(devSelect.value));

  async function render() {
    const root = document.getElementById("wallet");
    root.dataset.state = wallet.signedIn ? "signed-in" : wallet.address ? "connected" : "disconnected";
    if (wallet.isDev) {
      devLabel.hidden = false;
      if (!devSelect.options.length) {
        for (const account of wallet.devAccounts) {
          devSelect.add(new Option(`${account.label.replace("Dev account ", "Dev ")} · ${account.address.slice(0, 6)}…${account.address.slice(-4)}`, account.address));
        }
      }
      devSelect.value = wallet.provider.selected;
    }
    connect.hidden = Boolean(wallet.address);
    signin.hidden = !wallet.address || Boolean(wallet.signedIn);
    who.hidden = !wallet.address;
    who.textContent = wallet.address ? `${wallet.address.slice(0, 6)}…${wallet.address.slice(-4)}${wallet.signedIn ? " · signed in" : ""}` : "";
    balance.textContent = "";
    if (wallet.address) {
      try { balance.textContent = `${formatFlow(await wallet.flowBalance())} FLOW`; } catch { balance.textContent = ""; }
    }
  }
  wallet.on("change", render);
  wallet.ready.then(render).catch(notifyError);
}
