// The agent's console: one WebSocket for news, every action a POST with the CSRF token.
"use strict";
(function () {
  const T = JSON.parse(document.body.dataset.texts);
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const $ = (id) => document.getElementById(id);
  let selected = null; // the colleague chosen for a transfer

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
    data.httpStatus = response.status;
    return data;
  }

  async function get(url) {
    const response = await fetch(url, {credentials: "same-origin"});
    return response.json();
  }

  function showPosition(p) {
    if (!p) return;
    $("state").textContent = p.reason === "afgemeld" ? T.logged_out :
      p.paused ? T.paused + (p.reason ? " (" + p.reason + ")" : "") : T.available;
  }

  function row(list, label, value) {
    if (!value) return;
    const dt = el("dt", label); const dd = el("dd", value);
    list.append(dt, dd);
  }

  function screenPop(m) {
    const box = $("screenpop");
    box.replaceChildren();
    const heading = el("p", T.ringing + ": " + (m.name || "") + " " + (m.number || T.unknown), {"class": "pop-title"});
    const facts = el("dl");
    row(facts, T.caller, (m.name ? m.name + " · " : "") + (m.number || T.unknown));
    row(facts, T.municipality, m.municipality);
    row(facts, T.topic, m.topic ? m.topic + (m.choice ? " (" + m.choice + ")" : "") : "");
    row(facts, T.waited, m.waited_seconds + " " + T.seconds);
    row(facts, T.tried, m.tried ? m.tried + (m.tried_via ? " → " + m.tried_via : "") : "");
    row(facts, T.failed, m.failed);
    box.append(heading, facts);
    if (m.callbacks && m.callbacks.length) {
      box.append(el("p", T.open_callbacks + ":"));
      const list = el("ul");
      m.callbacks.forEach((c) => list.append(el("li", c.question + " (" + T.due + " " + c.due.slice(0, 16).replace("T", " ") + ")")));
      box.append(list);
    }
    $("history").replaceChildren();
    if (m.number) $("cb-number").value = m.number;
    if (m.name) $("cb-name").value = m.name;
    box.dataset.topic = m.topic || "";
  }

  function showHistory(m) {
    const box = $("history");
    box.replaceChildren();
    if (!m.earlier.length) return;
    box.append(el("p", T.earlier + ": " + m.earlier.length));
    const list = el("ul");
    m.earlier.forEach((e) => list.append(el("li", new Date(e.at * 1000).toLocaleString() + (e.topic ? " · " + e.topic : ""))));
    box.append(list);
  }

  function showTransfer(m) {
    const text = m.refused ? m.refused : (T["state_" + m.state] || m.state) + (m.target ? " (" + m.target + ")" : "");
    $("transfer-state").textContent = text;
    const consulting = m.state === "ringing" || m.state === "talking";
    $("complete").disabled = m.state !== "talking";
    $("cancel").disabled = !consulting;
  }

  function showRecording(on) {
    $("record").setAttribute("aria-pressed", on ? "true" : "false");
    $("record").textContent = on ? T.stop_record : T.record;
    $("recording-state").textContent = on ? T.recording_on : T.recording_off;
  }

  // Asterisk keeps the wrap-up (queue wrapuptime); the console only shows how long it still lasts.
  let wrapTimer = null;
  function wrapUp(seconds) {
    clearInterval(wrapTimer);
    const until = Date.now() + seconds * 1000;
    const show = () => {
      const left = Math.max(0, Math.round((until - Date.now()) / 1000));
      $("wrapup").textContent = left ? T.wrapup + ": " + left + " " + T.seconds : "";
      if (!left) clearInterval(wrapTimer);
    };
    show();
    wrapTimer = setInterval(show, 1000);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/stream");
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === "ringing") { screenPop(m); document.title = T.ringing + " · bereik"; }
      else if (m.type === "history") showHistory(m);
      else if (m.type === "connected") $("screenpop").prepend(el("p", T.connected, {"class": "pop-state"}));
      else if (m.type === "ended" || m.type === "missed") {
        $("screenpop").prepend(el("p", m.type === "ended" ? T.ended : T.missed, {"class": "pop-state"}));
        if (m.wrapup_seconds) wrapUp(m.wrapup_seconds);
        document.title = "Console · bereik"; showRecording(false); loadRecordings();
      }
      else if (m.type === "transfer") showTransfer(m);
      else if (m.type === "recording") showRecording(m.on);
    };
    socket.onclose = () => setTimeout(connect, 2000);
    window.bereikSocket = socket;
  }

  // Live presence: the directory's change stream updates the colleagues on screen.
  function followPresence() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/presence/stream?lang=" + document.documentElement.lang);
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type !== "presence") return;
      document.querySelectorAll('span.presence[data-person="' + CSS.escape(m.person) + '"]').forEach((span) => {
        span.textContent = span.dataset.department + " · " + m.presence.text;
        span.className = "presence presence-" + m.presence.status;
      });
    };
    socket.onclose = () => setTimeout(followPresence, 5000);
  }

  async function search() {
    const q = $("search").value.trim();
    const list = $("results");
    if (!q) { list.replaceChildren(); return; }
    const data = await get("/api/directory?limit=20&q=" + encodeURIComponent(q));
    list.replaceChildren();
    if (!data.people.length) list.append(el("li", T.no_results));
    data.people.forEach((p) => {
      const item = el("li");
      const button = el("button", T.transfer_to + " " + p.name + (p.extension ? " (" + p.extension + ")" : ""),
        {"type": "button", "class": "person", "data-extension": p.extension || ""});
      if (!p.extension) button.disabled = true;
      const status = el("span", p.department + " · " + p.presence.text,
        {"class": "presence presence-" + p.presence.status, "data-person": p.id, "data-department": p.department});
      button.addEventListener("click", () => startTransfer(p));
      item.append(button, " ", status);
      list.append(item);
    });
  }

  async function startTransfer(person) {
    selected = person;
    const result = await post("/api/transfer", {target: person.extension});
    showTransfer(result.httpStatus === 200 ? {state: result.state, target: person.extension} : result);
  }

  async function loadCallbacks() {
    const data = await get("/api/callbacks");
    const list = $("callbacks");
    list.replaceChildren();
    data.callbacks.forEach((c) => {
      const item = el("li", (c.name || c.number) + ": " + c.question + " · " + T.due + " " +
        c.due.slice(0, 16).replace("T", " ") + " · ");
      item.append(el("span", T["status_" + c.status], {"class": "status-" + c.status}));
      if (c.status !== "done") {
        const done = el("button", T.done, {"type": "button", "aria-label": T.done + ": " + (c.name || c.number)});
        done.addEventListener("click", async () => { await post("/api/callbacks/" + c.id + "/done"); loadCallbacks(); });
        item.append(" ", done);
      }
      list.append(item);
    });
  }

  async function loadRecordings() {
    const data = await get("/api/recordings");
    const list = $("recordings");
    list.replaceChildren();
    data.recordings.forEach((r) => {
      const item = el("li");
      const label = el("span", T.play + " " + r.started.replace("T", " "));
      const audio = el("audio", null, {"controls": "", "preload": "none", "src": r.url, "aria-label": T.play + " " + r.started});
      item.append(label, " ", audio);
      list.append(item);
    });
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  $("callback-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const result = await post("/api/callbacks", Object.fromEntries(form.entries()));
    if (result.httpStatus === 201 || result.httpStatus === 200) {
      $("cb-state").textContent = T.sent;
      event.target.reset();
      $("cb-key").value = newKey(); // a new note only after a sent one: resending keeps the key
      loadCallbacks();
    } else {
      $("cb-state").textContent = result.error || String(result.httpStatus);
    }
  });

  const positionAction = (name, body) => async () => showPosition(await post("/api/position/" + name, body));
  $("login-position").addEventListener("click", positionAction("login"));
  $("logout-position").addEventListener("click", positionAction("logout"));
  $("pause").addEventListener("click", async () => showPosition(await post("/api/position/pause", {reason: $("pause-reason").value})));
  $("resume").addEventListener("click", positionAction("resume"));
  $("complete").addEventListener("click", async () => showTransfer(await post("/api/transfer/complete")));
  $("cancel").addEventListener("click", async () => showTransfer(await post("/api/transfer/cancel")));
  $("record").addEventListener("click", async () => { const r = await post("/api/recording"); if ("recording" in r) showRecording(r.recording); });

  let timer = null;
  $("search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 150); });
  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { const first = $("results").querySelector("button"); if (first) { event.preventDefault(); first.focus(); } }
  });
  $("results").addEventListener("keydown", (event) => {
    const buttons = Array.from($("results").querySelectorAll("button"));
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < buttons.length - 1) { event.preventDefault(); buttons[index + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? buttons[index - 1] : $("search")).focus(); }
  });
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing) { event.preventDefault(); $("search").focus(); }
  });

  $("cb-key").value = newKey();
  get("/api/me").then((me) => showPosition(me.position));
  loadCallbacks();
  loadRecordings();
  connect();
  followPresence();
})();
