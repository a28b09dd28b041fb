// The upload page: audio and cover uploads with progress (XMLHttpRequest's upload events, to
// POST /api/uploads/{kind}), metadata, then the strategy wizard (wizard.js), the splits with
// their live preview, the earnings calculator (calculator.js), and the on-chain registration
// and configuration through the wallet. Every step checks its input before moving on, shows
// what is wrong next to the field and in the step's alert, and changes nothing until it is right.
import { track } from "./analytics.js";
import { api, ApiError, parseFlow } from "./api.js";
import { calculatorBody, compare, renderComparison } from "./calculator.js";
import { percentText, SplitsEditor } from "./splits.js";
import { notify, notifyError } from "./notice.js";
import { wallet } from "./wallet.js";
import {
  currentArtistSettings, describeTerms, FieldError, loadCatalogue, PRESETS, readTerms, renderTerms, resolvePreset,
  termActions,
} from "./wizard.js";

const STEPS = ["files", "strategy", "terms", "splits", "earnings", "register", "done"];
const $ = (id) => document.getElementById(id);

const state = {
  step: "files",
  audio: null, cover: null, audioUpload: null, coverUpload: null,
  catalogue: null, strategy: null, preset: null, terms: {}, splits: [],
  song: null, registered: false, done: new Set(),
};
const roles = $("wizard").dataset.roles.split(",");

// ---------------------------------------------------------------------------- steps

function show(step) {
  state.step = step;
  for (const section of document.querySelectorAll(".wizard-step")) section.hidden = section.dataset.step !== step;
  for (const li of document.querySelectorAll("#wizard-steps li")) {
    if (li.dataset.step === step) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    li.classList.toggle("complete", STEPS.indexOf(li.dataset.step) < STEPS.indexOf(step));
  }
  const heading = document.querySelector(`#step-${step} h2`);
  heading.tabIndex = -1;
  heading.focus();
  track("wizard_step", { step, strategy: state.strategy ? state.strategy.name : null, songId: state.song ? state.song.song_id : null });
}

function fail(step, message, control = null) {
  const box = $(`${step}-error`);
  box.textContent = message;
  box.hidden = false;
  if (control) {
    control.setAttribute("aria-invalid", "true");
    const own = control.closest(".field, .upload-field, td");
    const slot = own && own.querySelector(".field-error");
    if (slot) { slot.textContent = message; slot.hidden = false; }
    control.focus();
  }
}

function clear(step) {
  const section = $(`step-${step}`);
  $(`${step}-error`).hidden = true;
  section.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  section.querySelectorAll(".field-error").forEach((e) => { e.hidden = true; e.textContent = ""; });
}

document.querySelectorAll("[data-back]").forEach((button) => button.addEventListener("click", () => {
  show(STEPS[STEPS.indexOf(state.step) - 1]);
}));

// -------------------------------------------------------------------------- uploads

function asciiName(name) {
  return name.replace(/[^\x20-\x7e]/g, "_").slice(-200);
}

// POST the file as the request body; `onProgress` gets 0..1 as bytes leave the browser.
function uploadFile(kind, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/uploads/${kind}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("X-Filename", asciiName(file.name));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(data); return; }
      const error = data && data.error ? data.error : { code: "error", message: xhr.statusText || `HTTP ${xhr.status}` };
      reject(new ApiError(xhr.status, error.code, error.message));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "The upload was interrupted: check your connection and try again.")));
    xhr.send(file);
  });
}

function watchUpload(kind, input, progress, status, accept) {
  let latest = 0; // a newer pick of the same input wins over a slower earlier upload
  input.addEventListener("change", async () => {
    const file = input.files[0];
    const mine = ++latest;
    state[kind] = null;
    input.removeAttribute("aria-invalid");
    status.className = "field-status";
    status.textContent = "";
    progress.hidden = true;
    if (kind === "cover") $("cover-preview").hidden = true;
    if (!file) { state[`${kind}Upload`] = null; return; }
    const limit = Number(input.dataset.limitMb) * 1024 * 1024;
    const job = (async () => {
      // The server would refuse it too (413), but only after the bytes crossed the network.
      if (file.size > limit) throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB: the limit is ${input.dataset.limitMb} MB.`);
      if (file.size === 0) throw new Error(`${file.name} is empty.`);
      await wallet.ensureSignedIn();
      progress.hidden = false;
      progress.value = 0;
      status.textContent = `Uploading ${file.name}…`;
      track("upload_start", { kind, bytes: file.size });
      const result = await uploadFile(kind, file, (f) => { if (mine === latest) progress.value = Math.round(f * 100); });
      if (mine !== latest) return null;
      state[kind] = result;
      status.textContent = accept(result, file);
      status.className = "field-status success";
      track("upload_done", { kind, bytes: result.size, format: result.format });
      return result;
    })();
    state[`${kind}Upload`] = job;
    try {
      await job;
    } catch (err) {
      if (mine !== latest) return;
      progress.hidden = true;
      status.className = "field-status error";
      status.textContent = kind === "audio" && err.status === 415
        ? `That file is not audio we can play: ${err.message}`
        : err.message;
      input.setAttribute("aria-invalid", "true");
    }
  });
}

watchUpload("audio", $("audio-file"), $("audio-progress"), $("audio-status"), (r, file) => {
  const seconds = r.duration ? ` · ${Math.floor(r.duration / 60)}:${String(Math.round(r.duration % 60)).padStart(2, "0")}` : "";
  return `Uploaded ${file.name}: ${r.format.toUpperCase()}${seconds}${r.deduplicated ? " (already stored)" : ""}.`;
});
watchUpload("cover", $("cover-file"), $("cover-progress"), $("cover-status"), (r, file) => {
  const preview = $("cover-preview");
  preview.src = r.url;
  preview.hidden = false;
  return `Uploaded ${file.name}: ${r.width}×${r.height} ${r.format.toUpperCase()}.`;
});

$("files-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clear("files");
  const title = $("song-title").value.trim();
  try {
    if (!$("audio-file").files[0]) return fail("files", "Choose an audio file to upload.", $("audio-file"));
    await (state.audioUpload || Promise.resolve()).catch(() => null);
    if (!state.audio) return fail("files", `The audio did not upload: ${$("audio-status").textContent || "choose the file again."}`, $("audio-file"));
    if ($("cover-file").files[0]) {
      await (state.coverUpload || Promise.resolve()).catch(() => null);
      if (!state.cover) return fail("files", `The cover did not upload: ${$("cover-status").textContent}`, $("cover-file"));
    }
    if (!title) return fail("files", "Give the song a title.", $("song-title"));
    if (!state.catalogue) state.catalogue = await loadCatalogue();
    renderChoices();
    show("strategy");
  } catch (err) {
    fail("files", err.message);
  }
});

// ------------------------------------------------------------------------- strategy

function choiceRow(value, title, text, disabled) {
  const id = `choice-${value.replace(/[^a-z0-9]+/gi, "-")}`;
  const row = document.createElement("div");
  row.className = "choice";
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "choice", id, value, disabled });
  const label = Object.assign(document.createElement("label"), { htmlFor: id });
  const strong = document.createElement("strong");
  strong.textContent = title;
  const span = document.createElement("span");
  span.className = "muted";
  span.id = `${id}-text`;
  span.textContent = text;
  label.append(strong, span);
  row.append(input, label);
  return row;
}

function renderChoices() {
  if ($("strategy-list").children.length) return;
  const strategies = state.catalogue.strategies;
  $("preset-list").replaceChildren(...PRESETS.map((preset) => {
    const target = resolvePreset(preset, strategies);
    return choiceRow(`preset:${preset.id}`, preset.title,
      target ? `${preset.summary} (${target.title})` : `${preset.summary} No strategy here offers it.`, !target);
  }));
  $("strategy-list").replaceChildren(...strategies.map((s) => choiceRow(`strategy:${s.name}`, s.title,
    s.enabled ? s.description : `${s.description} Not accepting new songs.`, !s.enabled)));
}

$("strategy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clear("strategy");
  const picked = document.querySelector("input[name=choice]:checked");
  if (!picked) return fail("strategy", "Choose a preset or a strategy.", document.querySelector("input[name=choice]:not([disabled])"));
  const [kind, key] = picked.value.split(/:(.*)/s);
  const previous = state.strategy;
  if (kind === "preset") {
    state.preset = PRESETS.find((p) => p.id === key);
    state.strategy = resolvePreset(state.preset, state.catalogue.strategies);
    state.terms = { ...state.preset.terms };
    state.splits = state.preset.splits.map((s, i) => ({ recipient: i === 0 ? wallet.address || "" : "", role: s.role, bps: s.bps }));
  } else {
    state.preset = null;
    state.strategy = state.catalogue.strategies.find((s) => s.name === key);
    if (state.strategy !== previous) state.terms = {};
    if (!state.splits.length) state.splits = [{ recipient: wallet.address || "", role: "artist", bps: 10000 }];
  }
  // Settings the artist keeps across songs start from what they hold now, unless a preset
  // says otherwise; left as they are, they cost no transaction.
  state.current = await currentArtistSettings(state.strategy, wallet.address);
  if (state.current && !state.preset) state.terms = { ...state.current, ...state.terms };
  state.splitsChosen = kind === "preset" || !splits.splits.length;
  $("terms-intro").textContent = `${state.strategy.title}: ${state.strategy.description}`;
  renderTerms($("terms-fields"), state.strategy, state.terms, state.current);
  show("terms");
});

// ---------------------------------------------------------------------------- terms

$("terms-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clear("terms");
  let terms;
  try {
    terms = readTerms($("terms-fields"), state.strategy);
  } catch (err) {
    if (err instanceof FieldError) return fail("terms", err.message, err.control);
    throw err;
  }
  // Settings that need no song (the artist's own) can be checked by the API now — it prepares
  // and dry-runs the transaction without sending it — so a refusal shows before registering.
  try {
    await wallet.ensureSignedIn();
    for (const action of termActions(state.strategy, terms, null, state.current)) {
      if (!("song_id" in action.body)) await api(`/api/tx/${encodeURIComponent(action.action)}`, { method: "POST", body: action.body });
    }
  } catch (err) {
    return fail("terms", `These terms would be refused: ${err.message}`);
  }
  state.terms = terms;
  renderSplits();
  show("splits");
});

// --------------------------------------------------------------------------- splits

const splits = new SplitsEditor({
  body: $("split-rows"), total: $("split-total"), preview: $("split-preview"), roles,
  amount: () => state.terms.price,
});

// The rows start from the strategy step's choice (a preset's roles, or the artist alone);
// after that, what the artist typed stays, also across Back and Next.
function renderSplits() {
  if (state.splitsChosen) splits.set(state.splits);
  else splits.update();
  state.splitsChosen = false;
}

function apiSplits() {
  return state.splits.map((s) => ({ recipient: s.recipient, bps: s.bps, role: s.role }));
}

$("add-split").addEventListener("click", () => {
  if (!splits.add()) fail("splits", "A song has at most 64 recipients.");
});

$("splits-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clear("splits");
  const problem = splits.problem();
  if (problem) return fail("splits", ...problem);
  // The server checks them by the router's rules too, before anything is registered: a split
  // refused after the registration would leave a song without its collaborators.
  try {
    await api("/api/strategies/preview-splits", { method: "POST", body: { amount: parseFlow("1"), splits: splits.forApi() } });
  } catch (err) {
    return fail("splits", `These splits would be refused: ${err.message}`);
  }
  state.splits = splits.forApi();
  show("earnings");
  calculate();
});

// ------------------------------------------------------------------------- earnings

const CALC_INPUTS = { plays: "calc-plays", listens: "calc-listens", tips: "calc-tips", tip: "calc-tip", patrons: "calc-patrons", slots: "calc-slots" };
let calcTimer = null;

async function calculate() {
  clear("earnings");
  let body;
  try {
    body = calculatorBody(Object.fromEntries(Object.entries(CALC_INPUTS).map(([k, id]) => [k, $(id).value])), state.terms, apiSplits());
  } catch (err) {
    fail("earnings", err.message);
    return false;
  }
  const rows = await compare(state.catalogue.strategies, body);
  renderComparison($("calc-results"), rows, state.strategy.name);
  return true;
}

for (const id of Object.values(CALC_INPUTS)) {
  $(id).addEventListener("input", () => { clearTimeout(calcTimer); calcTimer = setTimeout(calculate, 300); });
}

$("earnings-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!(await calculate())) return;
  renderReview();
  renderPlan(plan());
  show("register");
});

// ------------------------------------------------------------------------- register

function renderReview() {
  const rows = [
    ["Title", $("song-title").value.trim()],
    ["Genre", $("song-genre").value.trim() || "—"],
    ["Audio", state.audio ? `${state.audio.format.toUpperCase()}, ${state.audio.cid.slice(0, 14)}…` : "—"],
    ["Cover", state.cover ? "uploaded" : "none"],
    ["Strategy", state.strategy.title + (state.preset ? ` (preset: ${state.preset.title})` : "")],
    ...describeTerms(state.strategy, state.terms),
    ["Splits", state.splits.map((s) => `${s.role} ${s.recipient.slice(0, 6)}…${s.recipient.slice(-4)} ${percentText(s.bps)} %`).join("; ")],
  ];
  $("review").replaceChildren(...rows.flatMap(([k, v]) => [
    Object.assign(document.createElement("dt"), { textContent: k }),
    Object.assign(document.createElement("dd"), { textContent: v }),
  ]));
}

function plan() {
  const steps = [{ key: "register", text: `Register “${$("song-title").value.trim()}” under ${state.strategy.title}` }];
  steps.push({ key: "splits", text: `Split the income among ${state.splits.length} recipient(s)` });
  for (const action of termActions(state.strategy, state.terms, "", state.current)) {
    steps.push({ key: `terms:${action.action}`, action: action.action, text: `Set the ${action.fields.join(", ")}` });
  }
  return steps;
}

function renderPlan(steps, current = null, failed = false) {
  $("tx-list").replaceChildren(...steps.map((s) => {
    const li = document.createElement("li");
    const status = state.done.has(s.key) ? "done" : s.key === current ? (failed ? "failed" : "waiting for your wallet…") : "to do";
    li.textContent = `${s.text}: ${status}`;
    li.dataset.status = state.done.has(s.key) ? "done" : s.key === current && failed ? "failed" : "pending";
    return li;
  }));
}

// The song's description and its registration transaction. A description left unregistered
// by an earlier attempt (this page, or a reload: 409 for the same audio) is brought up to date
// with what the form says now and registered, rather than described twice.
async function describeAndPrepare() {
  const body = {
    title: $("song-title").value.trim(),
    genre: $("song-genre").value.trim(),
    audio_cid: state.audio.cid,
    strategy: state.strategy.name,
  };
  if (state.cover) body.cover_cid = state.cover.cid;
  if (state.song && state.song.audio_cid !== state.audio.cid) state.song = null;
  if (!state.song) {
    try {
      const created = await api("/api/songs", { method: "POST", body });
      state.song = { song_id: created.song.song_id, audio_cid: state.audio.cid };
      return created.register_tx;
    } catch (err) {
      const id = err.status === 409 && /0x[0-9a-f]{64}/i.exec(err.message);
      if (!id) throw err;
      state.song = { song_id: id[0], audio_cid: state.audio.cid };
    }
  }
  const edit = { title: body.title, genre: body.genre };
  if (body.cover_cid) edit.cover_cid = body.cover_cid;
  await api(`/api/songs/${state.song.song_id}`, { method: "PATCH", body: edit });
  return api("/api/tx/register_song", { method: "POST", body: { song_id: state.song.song_id, strategy: state.strategy.name } });
}

async function waitIndexed(songId) {
  for (let i = 0; i < 80; i++) {
    const song = await api(`/api/songs/${songId}`).catch(() => null);
    if (song && song.registered && song.splits.length === state.splits.length) return song;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

$("register-button").addEventListener("click", async () => {
  clear("register");
  const button = $("register-button");
  button.disabled = true;
  const steps = plan();
  let current = null;
  try {
    await wallet.ensureSignedIn();
    for (const step of steps) {
      if (state.done.has(step.key)) continue;
      current = step.key;
      renderPlan(steps, current);
      let tx;
      if (step.key === "register") tx = await describeAndPrepare();
      else if (step.key === "splits") tx = await api("/api/tx/configure_splits", { method: "POST", body: { song_id: state.song.song_id, splits: apiSplits() } });
      else {
        const action = termActions(state.strategy, state.terms, state.song.song_id, state.current).find((a) => a.action === step.action);
        tx = await api(`/api/tx/${encodeURIComponent(action.action)}`, { method: "POST", body: action.body });
      }
      await wallet.sendPrepared(tx);
      state.done.add(step.key);
      if (step.key === "register") {
        state.registered = true;
        // Registered: the song and its strategy are fixed now, so the way back is closed.
        document.querySelectorAll("#step-register [data-back]").forEach((b) => { b.hidden = true; });
      }
    }
    renderPlan(steps);
    const song = await waitIndexed(state.song.song_id);
    const title = $("song-title").value.trim();
    $("done-message").textContent = song
      ? `“${title}” is registered under ${state.strategy.title} with ${state.splits.length} recipient(s).`
      : `“${title}” is registered; the song page fills in as the indexer catches up.`;
    $("song-link").href = `/songs/${state.song.song_id}`;
    notify("Song registered and configured.", "success");
    show("done");
  } catch (err) {
    renderPlan(steps, current, true);
    // Declined before anything reached the chain: withdraw the description too, so the
    // catalogue is as it was (the next attempt describes the song afresh).
    if (!state.registered && state.song) {
      const draft = state.song.song_id;
      state.song = null;
      await api(`/api/songs/${draft}`, { method: "DELETE" }).catch(() => null);
    }
    const rest = state.registered
      ? " The song is registered; press the button to finish the remaining steps."
      : " The song is not registered: press Register on chain to try again.";
    fail("register", `${err.message}${rest}`);
    notifyError(err);
    button.textContent = state.registered ? "Finish the remaining steps" : "Register on chain";
  } finally {
    button.disabled = false;
  }
});

// -------------------------------------------------------------------------- start

wallet.on("change", () => { $("signin-needed").hidden = Boolean(wallet.signedIn); });
wallet.ready.then(() => { $("signin-needed").hidden = Boolean(wallet.signedIn); }).catch(notifyError);
track("wizard_step", { step: "files" });
