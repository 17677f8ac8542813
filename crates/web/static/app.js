// huiqi: pages work without JavaScript. This file only adds conveniences and must stay
// optional (CSP: script-src 'self', no inline scripts).
"use strict";

// Suggestions while a problem is typed (the raise-a-problem page): after a pause in typing,
// ask /api/v1/search/suggest for FAQs, guides, policy items and closed problems that may
// answer it; each is a link, with a "this solved it" button recording a self-service answer.
// Plain links and buttons: reachable with Tab, activated with Enter or Space.
(function () {
  const panel = document.getElementById("suggestions");
  const list = document.getElementById("suggestion-list");
  const title = document.getElementById("title");
  const description = document.getElementById("description");
  if (!panel || !list || !title) return;
  const csrfInput = document.querySelector("input[name=csrf]");
  const csrf = csrfInput ? csrfInput.value : "";
  const href = (h) =>
    h.kind === "policy" ? "/policies/" + encodeURIComponent(h.id)
    : h.kind === "item" ? "/items/" + encodeURIComponent(h.id)
    : h.kind === "problem" ? "/problems/" + encodeURIComponent(h.id)
    : "/content/" + encodeURIComponent(h.id);
  const text = () => (title.value + " " + (description ? description.value : "")).trim();
  let timer = null;
  let last = "";
  let seq = 0;
  async function ask() {
    const q = text();
    if (q === last) return;
    last = q;
    const mine = ++seq;
    if (q.length < 2) { panel.hidden = true; list.textContent = ""; return; }
    let hits = [];
    try {
      const r = await fetch("/api/v1/search/suggest?q=" + encodeURIComponent(q.slice(0, 200)), { credentials: "same-origin" });
      if (!r.ok) return;
      hits = await r.json();
    } catch (e) { return; }
    if (mine !== seq) return;
    list.textContent = "";
    for (const h of hits) {
      const li = document.createElement("li");
      li.className = "suggestion";
      const a = document.createElement("a");
      a.href = href(h);
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = h.title;
      const snip = document.createElement("p");
      snip.className = "snippet";
      snip.innerHTML = h.snippet; // escaped by the server, matches in <b>
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = panel.dataset.solved;
      b.addEventListener("click", async () => {
        const r = await fetch("/api/v1/search/solved", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ q: text(), kind: h.kind, id: h.id }),
        });
        if (r.ok) {
          const done = document.createElement("p");
          done.className = "notice";
          done.setAttribute("role", "status");
          done.textContent = panel.dataset.thanks;
          li.replaceChildren(a, done);
        }
      });
      li.append(a, snip, b);
      list.append(li);
    }
    panel.hidden = hits.length === 0;
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(ask, 300); };
  title.addEventListener("input", later);
  if (description) description.addEventListener("input", later);
})();
