// Product events to POST /api/analytics/events (page views, plays, payments, wizard steps):
// names from the API's allow-list, the page's path as a property. Fire and forget: analytics
// never breaks a page.
const SESSION_KEY = "mycelix.session";

function sessionId() {
  let id = sessionStorage.getItem(SESSION_KEY);
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(SESSION_KEY, id);
  }
  return id;
}

export function track(name, { songId = null, ...properties } = {}) {
  const event = { name, properties: { path: location.pathname, ...properties }, session_id: sessionId() };
  if (songId) event.song_id = songId;
  try {
    fetch("/api/analytics/events", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: [event] }),
      keepalive: true,
      credentials: "same-origin",
    }).catch(() => {});
  } catch { /* analytics never breaks a page */ }
}
