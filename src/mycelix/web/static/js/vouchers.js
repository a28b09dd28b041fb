// The listener's balance in the router and the play vouchers paid from it (docs/api.md,
// "Listener balances and vouchers"): top up once with a transaction, then pay each
// pay-per-stream play with a signature, so playback starts without waiting for a block.
//   await listenerAccount(address)      {balance, unsettled, available, nextNonce, withdrawing}
//   await payWithVoucher(songId, price) true: paid by a voucher; false: the balance is short
//   await topUp(amount)                 deposit `amount` wei (approving the router first)
// Pages that show the balance listen for BALANCE_EVENT on window.
import { api, ApiError } from "./api.js";
import { wallet } from "./wallet.js";

export const BALANCE_EVENT = "mycelix:balance";
// The API takes a voucher valid 10 minutes to 24 hours of chain time; an hour leaves the
// settlement worker ample time and keeps an unused voucher short-lived.
const LIFETIME = 3_600;

export async function listenerAccount(address) {
  const a = await api(`/api/vouchers/account/${address}`);
  return {
    balance: BigInt(a.balance),
    unsettled: BigInt(a.unsettled),
    available: BigInt(a.available),
    nextNonce: a.next_nonce,
    withdrawing: a.withdrawal_unlocks_at > 0,
  };
}

export function balanceChanged() {
  window.dispatchEvent(new Event(BALANCE_EVENT));
}

// The chain's clock, not this one: dev chains travel in time.
async function chainNow() {
  const block = await wallet.provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] });
  return parseInt(block.timestamp, 16);
}

export async function payWithVoucher(songId, price) {
  await wallet.ensureSignedIn();
  let account = await listenerAccount(wallet.address);
  if (account.withdrawing || account.available < price) return false;
  const expiry = (await chainNow()) + LIFETIME;
  // A nonce taken meanwhile (another tab's play) is answered 409 nonce_used: take the next.
  for (let attempt = 0; ; attempt++) {
    const voucher = { listener: wallet.address, song_id: songId, amount: price.toString(), nonce: account.nextNonce, expiry };
    const typed = await api(`/api/vouchers/typed-data?${new URLSearchParams(voucher)}`);
    let signature;
    try {
      signature = await wallet.provider.request({ method: "eth_signTypedData_v4", params: [wallet.address, JSON.stringify(typed)] });
    } catch (err) {
      if (err.code === 4001) throw new Error("You declined to sign the play voucher: nothing was paid.");
      throw new Error(`The wallet could not sign the play voucher: ${err.message}`);
    }
    try {
      await api("/api/vouchers", { method: "POST", body: { ...voucher, signature } });
      balanceChanged();
      return true;
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "nonce_used" || attempt > 0) throw err;
      account = await listenerAccount(wallet.address);
    }
  }
}

export async function topUp(amount) {
  await wallet.ensureSignedIn(); // /api/tx prepares for the signed-in address
  const tx = await api("/api/tx/deposit", { method: "POST", body: { amount: amount.toString() } });
  await wallet.sendPrepared(tx);
  balanceChanged();
}
