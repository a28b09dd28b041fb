// The one wallet every page uses: a browser wallet (window.ethereum, EIP-1193) when there is
// one, else the built-in dev wallet on a dev chain. Pages call:
//   await wallet.ready                      network and provider known
//   await wallet.connect()                  ask for an account (and the right chain)
//   await wallet.ensureSignedIn()           Sign-In with Ethereum session for the API
//   await wallet.sendPrepared(tx)           a transaction from /api/tx/*, approvals first
//   wallet.on("change", fn)                 account or session changed
import { api, ApiError, formatFlow } from "./api.js";
import { DevWalletProvider } from "./devwallet.js";

const RECEIPT_POLLS = 240; // × 250 ms: a minute for a block

class Wallet {
  constructor() {
    this.provider = null;
    this.network = null;
    this.address = null;
    this.signedIn = null; // the address the API session belongs to
    this.devAccounts = [];
    this.listeners = [];
    this.ready = this.init();
  }

  on(event, fn) { if (event === "change") this.listeners.push(fn); }
  changed() { this.listeners.forEach((fn) => fn(this)); }
  get isDev() { return Boolean(this.provider && this.provider.isMycelixDevWallet); }

  async init() {
    this.network = await api("/api/network");
    if (window.ethereum) {
      this.provider = window.ethereum;
    } else {
      const dev = await api("/api/dev-wallet").catch(() => null);
      if (dev && dev.enabled && dev.accounts.length) {
        this.devAccounts = dev.accounts;
        this.provider = new DevWalletProvider(dev.accounts, this.network.rpc_url, this.network.chain_id_hex);
      }
    }
    if (!this.provider) return;
    this.provider.on("accountsChanged", (accounts) => this.accountChanged(accounts[0] || null));
    const accounts = await this.provider.request({ method: "eth_accounts" }).catch(() => []);
    this.address = accounts[0] || null;
    const me = await api("/api/auth/me").catch(() => null);
    this.signedIn = me && this.address && me.address.toLowerCase() === this.address.toLowerCase() ? me.address : null;
    this.changed();
  }

  async accountChanged(address) {
    if (address && this.address && address.toLowerCase() === this.address.toLowerCase()) return;
    this.address = address;
    if (this.signedIn) {
      await api("/api/auth/logout", { method: "POST" }).catch(() => null);
      this.signedIn = null;
    }
    this.changed();
  }

  requireProvider() {
    if (!this.provider) {
      throw new Error("No wallet found. Install a browser wallet (MetaMask, Rabby…) and add this network, or run the server on a dev chain for the built-in dev wallet.");
    }
  }

  async connect() {
    await this.ready;
    this.requireProvider();
    let accounts;
    try {
      accounts = await this.provider.request({ method: "eth_requestAccounts" });
    } catch (err) {
      throw new Error(err.code === 4001 ? "You declined to connect your wallet." : `The wallet did not connect: ${err.message}`);
    }
    await this.ensureChain();
    await this.accountChanged(accounts[0] || null);
    return this.address;
  }

  async ensureChain() {
    const current = await this.provider.request({ method: "eth_chainId" });
    if (current && parseInt(current, 16) === this.network.chain_id) return;
    try {
      await this.provider.request({ method: "wallet_switchEthereumChain", params: [this.network.wallet_switch_ethereum_chain] });
    } catch (err) {
      if (err.code !== 4902) throw new Error(`Switch your wallet to ${this.network.chain_name}: ${err.message}`);
      await this.provider.request({ method: "wallet_addEthereumChain", params: [this.network.wallet_add_ethereum_chain] });
    }
  }

  // Sign-In with Ethereum (EIP-4361): the server checks domain, URI, chain and nonce.
  async signIn() {
    if (!this.address) await this.connect();
    const { nonce, address } = await api(`/api/auth/nonce?address=${this.address}`);
    const message = [
      `${location.host} wants you to sign in with your Ethereum account:`,
      address,
      "",
      "Sign in to Mycelix Music.",
      "",
      `URI: ${location.origin}`,
      "Version: 1",
      `Chain ID: ${this.network.chain_id}`,
      `Nonce: ${nonce}`,
      `Issued At: ${new Date().toISOString()}`,
    ].join("\n");
    let signature;
    try {
      signature = await this.provider.request({ method: "personal_sign", params: [toHex(message), address] });
    } catch (err) {
      throw new Error(err.code === 4001 ? "You declined to sign in: nothing was changed." : `Signing in failed: ${err.message}`);
    }
    const session = await api("/api/auth/verify", { method: "POST", body: { message, signature } });
    this.signedIn = session.address;
    this.changed();
    return session.address;
  }

  async ensureSignedIn() {
    await this.ready;
    if (!this.address) await this.connect();
    if (this.signedIn && this.signedIn.toLowerCase() === this.address.toLowerCase()) return this.signedIn;
    return this.signIn();
  }

  // Send one prepared transaction ({to, data, value, from}) and wait for its receipt.
  async send(tx) {
    await this.ensureSignedIn();
    const request = { from: this.address, to: tx.to, data: tx.data, value: toQuantity(tx.value || "0") };
    let hash;
    try {
      hash = await this.provider.request({ method: "eth_sendTransaction", params: [request] });
    } catch (err) {
      if (err.code === 4001) throw new Error("You rejected the transaction: nothing was sent.");
      throw err;
    }
    for (let i = 0; i < RECEIPT_POLLS; i++) {
      const receipt = await this.provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
      if (receipt) {
        if (parseInt(receipt.status, 16) !== 1) throw new Error(`The transaction ${hash} failed on chain.`);
        this.changed();
        return receipt;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`The transaction ${hash} was not mined within a minute.`);
  }

  // A transaction from /api/tx/*: if it pulls FLOW (`amount`), approve the router first when
  // the allowance is short, and refuse early when the balance is.
  async sendPrepared(tx) {
    await this.ensureSignedIn();
    if (tx.amount && BigInt(tx.amount) > 0n) {
      const check = await api(`/api/tx/approval?amount=${tx.amount}`);
      if (!check.sufficient_balance) {
        throw new Error(`Not enough FLOW: this needs ${formatFlow(tx.amount)} FLOW and the wallet holds ${formatFlow(check.balance)}.`);
      }
      if (check.needs_approval) await this.send(check.approve_tx);
    }
    return this.send(tx);
  }

  // FLOW held by the connected account (wei, BigInt), read from the token contract.
  async flowBalance(address = this.address) {
    if (!address || !this.provider) return null;
    const data = "0x70a08231" + address.toLowerCase().replace(/^0x/, "").padStart(64, "0");
    const result = await this.provider.request({ method: "eth_call", params: [{ to: this.network.token.address, data }, "latest"] });
    return BigInt(result);
  }
}

function toHex(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

function toQuantity(value) {
  const s = String(value);
  return s.startsWith("0x") ? s : "0x" + BigInt(s).toString(16);
}

export const wallet = new Wallet();
export { ApiError };
