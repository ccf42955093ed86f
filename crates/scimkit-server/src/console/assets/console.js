// scimkit console: copy buttons and live audit updates. Pages work without this file,
// except the live updates. No inline script anywhere (the Content-Security-Policy forbids it).
"use strict";

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

function setUpLiveAudit() {
  const status = document.getElementById("live-status");
  const list = document.getElementById("audit");
  if (!status || !list) return;
  let after = Number(status.dataset.after || "0");
  const url = status.dataset.live;
  let failures = 0;
  async function poll() {
    try {
      const response = await fetch(url + "?after=" + after, {
        credentials: "same-origin",
        headers: { "Accept": "text/html" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const html = await response.text();
      if (html.trim() !== "") {
        list.insertAdjacentHTML("afterbegin", html);
        const newest = list.querySelector("li[data-seq]");
        if (newest) after = Number(newest.dataset.seq);
        status.textContent = "Newest first. Updated " + new Date().toLocaleTimeString() + ".";
      }
      failures = 0;
    } catch (_) {
      failures += 1;
      status.textContent = "Live updates paused: the server did not answer. Reload the page.";
    }
    if (failures < 5) setTimeout(poll, 1000);
  }
  status.textContent = "Newest first. Live: new entries appear at the top.";
  setTimeout(poll, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  setUpLiveAudit();
});
