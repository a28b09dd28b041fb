// The page's one status line (role=status): what just happened, or what went wrong.
export function notify(message, kind = "info") {
  const box = document.getElementById("notice");
  if (!box) return;
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = !message;
}

export function notifyError(err) {
  notify(err && err.message ? err.message : String(err), "error");
}
