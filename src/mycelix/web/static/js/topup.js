// The library's top-up form: move FLOW from the wallet into the listening balance that pays
// pay-per-stream plays by signature (vouchers.js).
import { formatFlow, parseFlow } from "./api.js";
import { notify, notifyError } from "./notice.js";
import { BALANCE_EVENT, listenerAccount, topUp } from "./vouchers.js";
import { wallet } from "./wallet.js";

export function mountTopUp() {
  const form = document.getElementById("topup-form");
  if (!form) return;
  const input = document.getElementById("topup-amount");
  const error = document.getElementById("topup-error");
  const button = form.querySelector("button[type=submit]");
  const shown = document.getElementById("balance-available");

  async function show() {
    if (!wallet.address) return;
    try {
      const account = await listenerAccount(wallet.address);
      shown.textContent = `${formatFlow(account.available)} FLOW`;
      shown.dataset.wei = account.available.toString();
    } catch (err) {
      shown.textContent = "unavailable";
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    let amount;
    try {
      amount = BigInt(parseFlow(input.value));
      if (amount <= 0n) throw new Error("A top-up must be more than 0 FLOW.");
    } catch (err) {
      error.textContent = err.message.includes("FLOW") ? err.message : `“${input.value}” is not an amount of FLOW.`;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      await topUp(amount);
      notify(`${formatFlow(amount)} FLOW added to your listening balance.`, "success");
    } catch (err) {
      error.textContent = err.message;
      notifyError(err);
    } finally {
      button.disabled = false;
      show();
    }
  });
  window.addEventListener(BALANCE_EVENT, show);
  wallet.ready.then(show).catch(() => {});
}
