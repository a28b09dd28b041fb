// The header's wallet controls: connect, the dev-account switcher, sign in, FLOW balance and
// the listening balance in the router (what signed play vouchers may still spend).
import { formatFlow } from "./api.js";
import { notify, notifyError } from "./notice.js";
import { BALANCE_EVENT, listenerAccount } from "./vouchers.js";
import { wallet } from "./wallet.js";

export function mountHeader() {
  const connect = document.getElementById("wallet-connect");
  const signin = document.getElementById("wallet-signin");
  const who = document.getElementById("wallet-who");
  const balance = document.getElementById("wallet-balance");
  const available = document.getElementById("wallet-available");
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
    await renderAvailable();
  }

  async function renderAvailable() {
    if (!available) return;
    const address = wallet.address;
    let account = null;
    if (address) account = await listenerAccount(address).catch(() => null);
    if (address !== wallet.address) return; // the account changed meanwhile: its render shows it
    available.hidden = !account;
    available.textContent = account ? `${formatFlow(account.available)} FLOW to play` : "";
    available.dataset.wei = account ? account.available.toString() : "";
  }
  wallet.on("change", render);
  window.addEventListener(BALANCE_EVENT, () => renderAvailable());
  wallet.ready.then(render).catch(notifyError);
}
