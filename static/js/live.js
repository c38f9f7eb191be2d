// Live updates of the dashboard, the incident list and the map (incidents.live; README, "Live
// updates"). The page polls with the ETag of its last answer: while nothing it may see has
// changed the portal answers 304 Not Modified, otherwise it sends the incidents that changed,
// read through the gate at that moment, and the ids of those to take off the page. Each page
// works the same without this script; it only spares the reload.
//
// "New" marks what changed after the reader last looked. A mark counts as seen once the reader
// uses the page (pointer, key, wheel or touch) while it is on screen; the portal keeps how far
// each person has seen, so the marks are gone on their other devices too.
"use strict";

(() => {
  const root = document.getElementById("live");
  if (!root || !window.fetch) return;
  const data = root.dataset;
  const intervalMs = Math.max(1, Number(data.liveInterval) || 3) * 1000;
  const hiddenMs = Math.max(intervalMs, 30000); // a page in a background tab asks less often
  const maxBackoffMs = 60000;
  const status = document.getElementById("live-status");
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]");
  const title = document.title;
  let cursor = data.liveCursor;
  let etag = data.liveEtag;
  let seen = Number(data.liveSeen) || 0;
  let failures = 0;
  let timer = null;
  let stopped = false;
  let inFlight = false;
  let seenPosting = false;

  const say = (text) => { if (status) status.textContent = text || ""; };
  const span = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  };

  // Marks an element (a list row, a dashboard line, a map marker) as new until seen.
  function mark(element, item) {
    element.dataset.incident = item.id;
    if (!item.new || item.seq <= seen) return false;
    element.classList.add("live-new");
    element.dataset.liveSeq = item.seq;
    return true;
  }

  function clearSeen() {
    for (const element of document.querySelectorAll(".live-new[data-live-seq]")) {
      if (Number(element.dataset.liveSeq) > seen) continue;
      element.classList.remove("live-new");
      delete element.dataset.liveSeq;
      for (const badge of element.querySelectorAll(".badge-new")) badge.remove();
    }
    const unseen = new Set([...document.querySelectorAll(".live-new[data-live-seq]")].map((e) => e.dataset.incident));
    document.title = unseen.size ? `(${unseen.size}) ${title}` : title;
  }

  // --- Seen ------------------------------------------------------------------------------------
  function interacted() {
    if (document.visibilityState !== "visible" || seenPosting || stopped) return;
    let top = 0;
    for (const element of document.querySelectorAll(".live-new[data-live-seq]")) {
      top = Math.max(top, Number(element.dataset.liveSeq));
    }
    if (top <= seen) return;
    seenPosting = true;
    const body = new FormData();
    body.append("seq", String(top));
    fetch(data.liveSeenUrl, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
      keepalive: true,
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => {
        if (answer) {
          seen = Math.max(seen, answer.seen);
          clearSeen();
        }
      })
      .catch(() => {})
      .finally(() => { seenPosting = false; });
  }
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
    document.addEventListener(type, interacted, { capture: true, passive: true });
  }

  // --- The dashboard's recent changes ------------------------------------------------------------
  const latest = document.getElementById("live-latest");
  if (latest) {
    const empty = document.getElementById("live-latest-empty");
    const limit = Number(latest.dataset.limit) || 10;
    document.addEventListener("portal:live", (event) => {
      const answer = event.detail;
      for (const id of [...answer.gone, ...answer.items.map((item) => item.id)]) {
        const old = latest.querySelector(`li[data-incident="${id}"]`);
        if (old) old.remove();
      }
      // Newest change first: prepend from the oldest of this answer.
      for (const item of [...answer.items].reverse()) {
        const line = document.createElement("li");
        const link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.reference;
        line.append(link);
        if (item.exercise) line.append(" ", span("badge-exercise", data.exerciseText));
        if (mark(line, item)) line.append(" ", span("badge-new", data.newText));
        const from = item.own ? data.ownText : item.country_name;
        line.append(" ", span("hint", [item.category_label, item.severity_label, item.status_label,
          item.occurred_label, from].join(" · ")));
        latest.prepend(line);
      }
      while (latest.children.length > limit) latest.lastElementChild.remove();
      if (empty) empty.hidden = latest.children.length > 0;
    });
  }

  // --- The incident list -------------------------------------------------------------------------
  const rows = document.getElementById("incident-rows");
  if (rows) {
    const table = document.getElementById("incident-table");
    const empty = document.getElementById("incident-empty");
    const firstPage = rows.dataset.liveFirstPage === "true";
    const morePages = rows.dataset.liveMore === "true";
    // List order: newest first by time, then by id.
    const before = (item, row) => {
      const a = Date.parse(item.occurred_at);
      const b = Date.parse(row.dataset.occurred);
      return a > b || (a === b && item.id > Number(row.dataset.incident));
    };
    const cell = (...content) => {
      const td = document.createElement("td");
      td.append(...content);
      return td;
    };
    const rowOf = (item) => {
      const tr = document.createElement("tr");
      tr.dataset.occurred = item.occurred_at;
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.reference;
      const first = cell(link);
      if (item.exercise) first.append(" ", span("badge-exercise", data.exerciseText));
      if (mark(tr, item)) first.append(" ", span("badge-new", data.newText));
      const marking = span(`tlp tlp-${item.marking.toLowerCase().replace(/[^a-z0-9_-]/g, "")}`, item.marking_label);
      let from;
      if (item.own) {
        from = cell(data.ownText);
      } else {
        const country = document.createElement("strong");
        country.textContent = item.country_name;
        from = cell(country);
        if (item.shared_under) from.append(document.createElement("br"), span("hint", item.shared_under));
      }
      tr.append(first, cell(item.occurred_label), cell(item.category_label), cell(item.where),
        cell(item.severity_label), cell(marking), cell(item.status_label), from);
      return tr;
    };
    document.addEventListener("portal:live", (event) => {
      const answer = event.detail;
      for (const id of [...answer.gone, ...answer.items.map((item) => item.id)]) {
        const old = rows.querySelector(`tr[data-incident="${id}"]`);
        if (old) old.remove();
      }
      for (const item of answer.items) {
        const next = [...rows.rows].find((row) => before(item, row));
        if (next) {
          // Newer than the first row of a later page: it belongs to an earlier page.
          if (!firstPage && next === rows.rows[0]) continue;
          rows.insertBefore(rowOf(item), next);
        } else if (!morePages || rows.rows.length === 0) {
          rows.append(rowOf(item));
        } // else: older than this page's last row, it belongs to a later page
      }
      if (table) table.hidden = rows.rows.length === 0;
      if (empty) empty.hidden = rows.rows.length > 0;
    });
  }

  // --- Polling -------------------------------------------------------------------------------------
  function apply(answer) {
    cursor = answer.cursor;
    seen = Math.max(seen, answer.seen || 0);
    const count = document.getElementById("notification-count");
    if (count) {
      count.textContent = String(answer.unread_notifications);
      count.hidden = !answer.unread_notifications;
    }
    document.dispatchEvent(new CustomEvent("portal:live", { detail: answer }));
    clearSeen();
    say(answer.more ? data.moreText : "");
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    let delay = document.visibilityState === "visible" ? intervalMs : hiddenMs;
    if (failures) delay = Math.min(intervalMs * 2 ** failures, maxBackoffMs);
    // Spread the polls of many open pages rather than have them ask all at once.
    timer = setTimeout(poll, delay * (0.9 + Math.random() * 0.2));
  }

  async function poll() {
    if (stopped || inFlight) return;
    inFlight = true;
    const url = new URL(data.livePoll, window.location.href);
    url.search = data.liveQuery || "";
    url.searchParams.set("cursor", cursor);
    try {
      const response = await fetch(url, {
        headers: { "If-None-Match": etag, Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        stopped = true;
        say(data.endedText);
        return;
      }
      if (response.status !== 304) {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const answer = await response.json();
        etag = response.headers.get("ETag") || etag;
        apply(answer);
      } else if (failures) {
        say("");
      }
      failures = 0;
    } catch (error) {
      failures += 1;
      say(data.retryText);
    } finally {
      inFlight = false;
      schedule();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !stopped && !inFlight) {
      clearTimeout(timer);
      poll();
    }
  });
  window.PortalLive = { mark };
  clearSeen();
  schedule();
})();
