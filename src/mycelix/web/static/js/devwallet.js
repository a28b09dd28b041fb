// An EIP-1193 provider over the server's dev accounts (the public "test … junk" mnemonic),
// offered only on a dev chain served on loopback. Signing happens on the server
// (/api/dev-wallet/send, /sign and /sign-typed): the keys never reach the page. Reads go to the chain's
// JSON-RPC URL, exactly as a browser wallet would send them.
import { api } from "./api.js";

const STORAGE_KEY = "mycelix.devAccount";

export class DevWalletProvider {
  constructor(accounts, rpcUrl, chainIdHex) {
    this.isMycelixDevWallet = true;
    this.accounts = accounts;
    this.rpcUrl = rpcUrl;
    this.chainIdHex = chainIdHex;
    this.listeners = {};
    const saved = localStorage.getItem(STORAGE_KEY);
    this.selected = accounts.some((a) => a.address === saved) ? saved : accounts[0].address;
    this.connected = localStorage.getItem(STORAGE_KEY) !== null;
  }

  on(event, fn) { (this.listeners[event] ||= []).push(fn); }
  removeListener(event, fn) { this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== fn); }
  emit(event, value) { (this.listeners[event] || []).forEach((fn) => fn(value)); }

  select(address) {
    this.selected = address;
    this.connected = true;
    localStorage.setItem(STORAGE_KEY, address);
    this.emit("accountsChanged", [address]);
  }

  disconnect() {
    this.connected = false;
    localStorage.removeItem(STORAGE_KEY);
    this.emit("accountsChanged", []);
  }

  async request({ method, params = [] }) {
    switch (method) {
      case "eth_requestAccounts":
        this.select(this.selected);
        return [this.selected];
      case "eth_accounts":
        return this.connected ? [this.selected] : [];
      case "eth_chainId":
        return this.chainIdHex;
      case "wallet_switchEthereumChain":
      case "wallet_addEthereumChain":
        return null;
      case "eth_sendTransaction": {
        const tx = params[0] || {};
        const body = { from: tx.from || this.selected, to: tx.to, data: tx.data || "0x", value: tx.value || "0x0" };
        if (tx.gas) body.gas = tx.gas;
        return (await api("/api/dev-wallet/send", { method: "POST", body })).hash;
      }
      case "personal_sign": {
        const [message, address] = params;
        return (await api("/api/dev-wallet/sign", { method: "POST", body: { address, message } })).signature;
      }
      case "eth_signTypedData_v4": {
        const [address, typed] = params;
        const typedData = typeof typed === "string" ? JSON.parse(typed) : typed;
        return (await api("/api/dev-wallet/sign-typed", { method: "POST", body: { address, typed_data: typedData } })).signature;
      }
      default:
        return this.rpc(method, params);
    }
  }

  async rpc(method, params) {
    const response = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: Date.now(), method, params }),
    });
    const answer = await response.json();
    if (answer.error) {
      const err = new Error(answer.error.message);
      err.code = answer.error.code;
      throw err;
    }
    return answer.result;
  }
}
