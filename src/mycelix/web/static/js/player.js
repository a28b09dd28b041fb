// The song player: a real <audio> over GET /api/songs/{id}/audio (HTTP ranges), the waveform
// from the stored peaks as a focusable seek slider, play/pause/seek by mouse and keyboard
// (space or k: play/pause; arrows: ±5 s; Page Up/Down: ±30 s; Home/End).
//
// A *listen* runs from the first play until the song ends (or the page is left): pausing and
// seeking stay within it. `beforeListen()` runs once before each listen — the song page pays
// for the play or records it there — and may refuse it (false). `play_start` and `play_end`
// are tracked once per listen.
import { track } from "./analytics.js";

const STEP = 5;
const BIG_STEP = 30;

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class Player {
  constructor(root, { beforeListen = async () => true } = {}) {
    this.root = root;
    this.audio = root.querySelector("audio");
    this.button = root.querySelector("#play");
    this.label = root.querySelector("#play-label");
    this.wave = root.querySelector("#waveform");
    this.played = root.querySelector(".wave-played");
    this.current = root.querySelector("#time-current");
    this.status = root.querySelector("#player-status");
    this.src = root.dataset.src;
    this.songId = root.dataset.songId;
    this.knownDuration = Number(root.dataset.duration) || 0;
    this.beforeListen = beforeListen;
    this.listening = false;
    this.starting = false;
    this.position = 0; // where to start when the audio is not loaded yet
    this.playLabel = "Play";
    this.bind();
    this.render();
  }

  get duration() {
    const d = this.audio.duration;
    return Number.isFinite(d) && d > 0 ? d : this.knownDuration;
  }

  get time() { return this.audio.src ? this.audio.currentTime : this.position; }

  setPlayLabel(text) {
    this.playLabel = text;
    this.render();
  }

  say(message) { this.status.textContent = message || ""; }

  bind() {
    const a = this.audio;
    this.button.addEventListener("click", () => this.toggle());
    ["timeupdate", "durationchange", "loadedmetadata", "seeked"].forEach((e) => a.addEventListener(e, () => this.render()));
    a.addEventListener("play", () => this.render());
    a.addEventListener("pause", () => {
      this.render();
      if (this.listening && !a.ended) track("play_pause", { songId: this.songId, position: Math.round(a.currentTime) });
    });
    a.addEventListener("ended", () => this.endListen(true));
    a.addEventListener("waiting", () => this.say("Loading…"));
    a.addEventListener("playing", () => this.say(""));
    a.addEventListener("error", () => {
      if (!a.src) return;
      this.say("The audio could not be loaded. Try again in a moment.");
      this.render();
    });
    window.addEventListener("pagehide", () => { if (this.listening) this.endListen(false); });

    this.wave.addEventListener("click", (event) => {
      const box = this.wave.getBoundingClientRect();
      this.seek(((event.clientX - box.left) / box.width) * this.duration);
    });
    this.wave.addEventListener("keydown", (event) => this.sliderKey(event));
    document.addEventListener("keydown", (event) => this.globalKey(event));
  }

  sliderKey(event) {
    const moves = { ArrowLeft: -STEP, ArrowDown: -STEP, ArrowRight: STEP, ArrowUp: STEP, PageDown: -BIG_STEP, PageUp: BIG_STEP };
    if (event.key in moves) this.seek(this.time + moves[event.key]);
    else if (event.key === "Home") this.seek(0);
    else if (event.key === "End") this.seek(this.duration);
    else return;
    event.preventDefault();
  }

  // Space/k anywhere on the page (not while typing or on another control); arrows seek too.
  globalKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.closest && target.closest("input, textarea, select, button, a, [contenteditable], [role=slider]");
    if (event.key === " " || event.key === "k" || event.key === "K") {
      if (typing && target !== this.wave) return;
      event.preventDefault();
      this.toggle();
    } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && !typing) {
      event.preventDefault();
      this.seek(this.time + (event.key === "ArrowLeft" ? -STEP : STEP));
    }
  }

  seek(seconds) {
    const to = Math.min(Math.max(0, seconds), this.duration || 0);
    if (this.audio.src && this.audio.readyState > 0) this.audio.currentTime = to;
    else this.position = to;
    track("seek", { songId: this.songId, position: Math.round(to) });
    this.render();
  }

  async toggle() {
    if (!this.audio.paused) {
      this.audio.pause();
      return;
    }
    await this.start();
  }

  async start() {
    if (this.starting || !this.src) return;
    this.starting = true;
    this.render();
    try {
      if (!this.listening) {
        let allowed = false;
        try {
          allowed = await this.beforeListen();
        } catch (err) {
          this.say(err && err.message ? err.message : String(err));
          return;
        }
        if (!allowed) return;
        this.listening = true;
        track("play_start", { songId: this.songId, position: Math.round(this.position) });
      }
      await this.load();
      await this.audio.play();
    } catch (err) {
      if (err && err.name !== "AbortError") this.say(`The audio did not start: ${err.message}`);
    } finally {
      this.starting = false;
      this.render();
    }
  }

  // Point the element at the song once access is settled, and start where the slider is.
  async load() {
    if (this.audio.src) return;
    const at = this.position;
    this.audio.src = this.src;
    if (at > 0) {
      await new Promise((resolve) => this.audio.addEventListener("loadedmetadata", resolve, { once: true }));
      this.audio.currentTime = at;
    }
  }

  endListen(completed) {
    if (!this.listening) return;
    this.listening = false;
    track("play_end", { songId: this.songId, completed, position: Math.round(this.time) });
    this.render();
  }

  render() {
    const playing = !this.audio.paused && !this.audio.ended;
    const d = this.duration;
    const t = Math.min(this.time, d || this.time);
    this.root.dataset.state = this.starting ? "starting" : playing ? "playing" : "paused";
    this.label.textContent = this.starting ? "Starting…" : playing ? "Pause" : this.listening ? "Resume" : this.playLabel;
    this.current.textContent = clock(t);
    this.wave.setAttribute("aria-valuemax", String(Math.floor(d)));
    this.wave.setAttribute("aria-valuenow", String(Math.floor(t)));
    this.wave.setAttribute("aria-valuetext", `${clock(t)} of ${clock(d)}`);
    if (this.played) this.played.style.clipPath = `inset(0 ${d ? 100 - (100 * t) / d : 100}% 0 0)`;
  }
}
