// The agent's console: one WebSocket for news, every action a POST with the CSRF token.
"use strict";
(function () {
  const T = JSON.parse(document.body.dataset.texts);
  const ZONE = document.body.dataset.zone;
  const LANG = document.documentElement.lang;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const $ = (id) => document.getElementById(id);
  const said = (refusal) => (T.refusals && T.refusals[refusal]) || refusal; // the desk's reasons, in the page's language
  let selected = null; // the colleague chosen for a transfer
  let call = "idle"; // idle, ringing, connected, ended, missed: the one state the screen-pop shows
  let transferState = "idle";

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

  // Times and dates in the municipality's zone, in the page's language: "10:02", "di 24 nov 17:00".
  const clock = new Intl.DateTimeFormat(LANG, {hour: "2-digit", minute: "2-digit", timeZone: ZONE});
  const day = new Intl.DateTimeFormat(LANG, {weekday: "short", day: "numeric", month: "short", hour: "2-digit",
                                             minute: "2-digit", timeZone: ZONE});
  const timeText = (epochSeconds) => clock.format(new Date(epochSeconds * 1000));
  const dateText = (iso) => day.format(new Date(iso));

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " " + T.seconds;
    return Math.floor(seconds / 60) + " " + T.minutes + " " + (seconds % 60) + " " + T.seconds;
  }

  // Buttons are enabled only when they apply.
  function enableCallButtons() {
    const inCall = call === "connected";
    $("answer").disabled = call !== "ringing";
    $("hangup").disabled = !inCall;
    $("record").disabled = !inCall;
    const consulting = transferState === "ringing" || transferState === "talking";
    $("transfer").disabled = !(inCall && selected && selected.extension) || consulting;
    $("complete").disabled = transferState !== "talking";
    $("cancel").disabled = !consulting;
  }

  function showPosition(p) {
    if (!p) return;
    const out = p.reason === "afgemeld" || p.logged_in === false;
    $("state").textContent = out ? T.logged_out : p.paused ? T.paused + (p.reason ? " (" + p.reason + ")" : "") : T.available;
    $("login-position").disabled = !out;
    $("logout-position").disabled = out;
    $("pause").disabled = out || p.paused;
    $("pause-reason").disabled = out || p.paused;
    $("resume").disabled = out || !p.paused;
  }

  function row(list, label, value) {
    if (!value) return;
    list.append(el("dt", label), el("dd", value));
  }

  function person(p) {
    return p.name + (p.department ? " (" + p.department + ")" : "");
  }

  // "Eva Smit (Vergunningen) nam niet op (doorgeschakeld naar de mobiel)"
  function triedText(m) {
    if (!m.tried_person) return "";
    let text = person(m.tried_person) + " " + (T["failed_" + (m.failed || "")] || T.failed_noanswer);
    if (m.via_person) text += " (" + T.forwarded_to + " " + person(m.via_person) + ")";
    else if (m.tried_via === "mobile") text += " (" + T.forwarded_to + " " + T.the_mobile + ")";
    return text;
  }

  let caller = null;
  function setCall(state, at) {
    call = state;
    const line = $("call-state");
    const when = at ? " " + (state === "ended" || state === "missed" ? T.at : T.since) + " " + timeText(at) : "";
    const who = caller && state === "ringing" ? ": " + (caller.name || caller.number || T.unknown) : "";
    line.textContent = T["call_" + state] + who + when;
    line.className = "call-state call-" + state;
    document.title = (state === "ringing" ? T.call_ringing + who : state === "connected" ? T.call_connected : T.title_idle) + " · bereik";
    if (state !== "connected") { transferState = "idle"; showRecording(false); }
    if (state !== "ringing") $("call-action").textContent = "";
    enableCallButtons();
    showWaiting(); // no taking another caller while the phone rings or a call is on
  }

  function screenPop(m) {
    caller = m;
    const facts = el("dl");
    row(facts, T.caller, (m.name ? m.name + " · " : "") + (m.number || T.unknown));
    row(facts, T.municipality, m.municipality);
    row(facts, T.topic, m.choice_text);
    if (m.waited_seconds != null) row(facts, T.waited, duration(m.waited_seconds));
    row(facts, T.tried, triedText(m));
    const details = $("call-details");
    details.replaceChildren(facts);
    if (m.link) { // the caller in the municipality's KCS or case system (integrations.screen_pop_link)
      const paragraph = el("p");
      paragraph.append(el("a", T.open_link, {"href": m.link, "target": "_blank", "rel": "noopener noreferrer",
                                             "id": "caller-link", "aria-label": T.open_link + ": " + (m.name || m.number)}));
      details.append(paragraph);
    }
    if (m.callback) details.append(el("p", T.calling_back, {"class": "pop-callback", "role": "status"}));
    if (m.callbacks && m.callbacks.length) {
      details.append(el("p", T.open_callbacks + ":"));
      const list = el("ul");
      m.callbacks.forEach((c) => list.append(el("li", c.question + " (" + c.team_name + ", " + T.due + " " + dateText(c.due) + ")")));
      details.append(list);
    }
    $("history").replaceChildren();
    if (m.number) $("cb-number").value = m.number;
    if (m.name) $("cb-name").value = m.name;
    setCall("ringing", m.event_at);
  }

  function showHistory(m) {
    const box = $("history");
    box.replaceChildren();
    if (!m.earlier.length) return;
    box.append(el("p", T.earlier + ": " + m.earlier.length));
    const list = el("ul");
    m.earlier.forEach((e) => list.append(el("li", dateText(e.at * 1000) + (e.topic ? " · " + e.topic : "")
      + (e.organisation ? " · " + T.put_through_to + " " + e.organisation : ""))));
    box.append(list);
  }

  function showTransfer(m) {
    if (m.state && !m.refused) transferState = m.state;
    const target = m.target && selected && selected.extension === m.target ? selected.name : m.target;
    $("transfer-state").textContent = m.refused ? said(m.refused) : (T["state_" + m.state] || m.state) + (target ? " (" + target + ")" : "");
    enableCallButtons();
  }

  function showRecording(on) {
    $("record").setAttribute("aria-pressed", on ? "true" : "false");
    $("record").textContent = on ? T.stop_record : T.record;
    $("recording-state").textContent = on ? T.recording_on : "";
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

  // Wrap-up: after each call, the topic (one click) and whether the caller was helped at once (one click).
  let wrapCall = null;
  function askWrapUp(c) {
    wrapCall = c;
    const when = c.answered_at ? " (" + timeText(c.answered_at) + ")" : "";
    $("wrapup-call").textContent = T.wrapup_for + " " + (c.name || c.number || T.unknown) + when;
    $("wrapup-topics").disabled = false;
    document.querySelectorAll('input[name="wrapup-topic"]').forEach((r) => { r.checked = false; });
    $("wrapup-state").textContent = "";
    enableWrapUp();
  }

  function enableWrapUp() {
    const topic = document.querySelector('input[name="wrapup-topic"]:checked');
    $("wrapup-yes").disabled = $("wrapup-no").disabled = !(wrapCall && topic);
  }

  async function wrapUpCall(resolved) {
    const topic = document.querySelector('input[name="wrapup-topic"]:checked');
    if (!wrapCall || !topic) { $("wrapup-state").textContent = T.choose_topic; return; }
    const result = await post("/api/wrapup", {call: wrapCall.call, topic: topic.value, resolved: resolved});
    if (result.httpStatus !== 200) { $("wrapup-state").textContent = result.error || String(result.httpStatus); return; }
    $("wrapup-state").textContent = T.wrapped + ": " + wrapUpText(result.wrap_up);
    wrapCall = null;
    $("wrapup-topics").disabled = true;
    enableWrapUp();
    loadHistory();
  }

  function wrapUpText(w) {
    return w.topic + ", " + (w.resolved === "yes" ? T.helped : T.not_helped) + (w.callback_note === "yes" ? ", " + T.note_made : "");
  }

  async function loadHistory() {
    const data = await get("/api/history");
    const list = $("calls-today");
    list.replaceChildren();
    if (!data.calls.length) list.append(el("li", T.no_calls));
    data.calls.forEach((c) => {
      const span = (c.answered_at ? timeText(c.answered_at) : "") + (c.ended_at ? "–" + timeText(c.ended_at) : "");
      const item = el("li", span + " · " + (c.name ? c.name + " " : "") + (c.number || T.unknown) +
        (c.choice_text ? " · " + c.choice_text : "") + " · " + (c.wrap_up ? wrapUpText(c.wrap_up) : T.no_wrapup));
      if (!c.wrap_up) {
        const label = $("h-wrapup").textContent;
        const button = el("button", label, {"type": "button", "aria-label": label + ": " + (c.name || c.number || T.unknown) + " " + span});
        button.addEventListener("click", () => { askWrapUp(c); $("wrapup-topics").querySelector("input").focus(); });
        item.append(" ", button);
      }
      list.append(item);
    });
    $("fcr").textContent = data.wrapped_up ? T.fcr + ": " + data.resolved + " " + T.of + " " + data.wrapped_up : "";
  }

  // Who waits, per queue: "Klantcontactcentrum · J. Jansen 0612345678 · Afval · wacht 1 minuten 5 seconden".
  let waitingCallers = [];
  function showWaiting() {
    const list = $("waiting");
    const mayPick = list.dataset.mayPick === "yes";
    list.replaceChildren();
    if (!waitingCallers.length) { list.append(el("li", T.nobody_waits)); return; }
    const now = Date.now() / 1000;
    waitingCallers.forEach((w) => {
      const who = (w.name ? w.name + " " : "") + (w.number || T.unknown);
      const parts = [w.queue_name, who];
      if (w.choice_text) parts.push(w.choice_text);
      if (w.tried_person) parts.push(T.tried + ": " + person(w.tried_person));
      parts.push(T.waits + " " + duration(now - w.joined_at));
      const item = el("li", parts.join(" · "), {"data-caller": w.id});
      if (mayPick) {
        const button = el("button", T.pick, {"type": "button", "aria-label": T.pick + ": " + who});
        button.disabled = call === "ringing" || call === "connected";
        button.addEventListener("click", async () => {
          const result = await post("/api/waiting/" + encodeURIComponent(w.id) + "/pick");
          if (result.httpStatus !== 200) $("transfer-state").textContent = said(result.refused) || result.error || String(result.httpStatus);
        });
        item.append(" ", button);
      }
      list.append(item);
    });
  }
  setInterval(() => { if (waitingCallers.length) showWaiting(); }, 5000);

  // The server closes every socket with 4401 when the session ends (logged out elsewhere, or expired).
  function sessionEnded(event) {
    if (event.code !== 4401) return false;
    location.assign("/login");
    return true;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/stream");
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === "ringing") screenPop(m);
      else if (m.type === "history") showHistory(m);
      else if (m.type === "connected") setCall("connected", m.event_at);
      else if (m.type === "ended" || m.type === "missed") {
        setCall(m.type, m.event_at);
        if (m.wrapup_seconds) wrapUp(m.wrapup_seconds);
        if (m.call) { askWrapUp(m.call); loadHistory(); }
        loadRecordings();
      }
      else if (m.type === "transfer") showTransfer(m);
      else if (m.type === "waiting") { waitingCallers = m.callers; showWaiting(); }
      else if (m.type === "recording") showRecording(m.on);
      else if (m.type === "position_changed") get("/api/me").then((me) => showPosition(me.position));
      else if (m.type === "pbx") {
        $("pbx-state").textContent = m.connected ? "" : T.pbx_lost;
        if (m.connected) get("/api/me").then((me) => showPosition(me.position)); // changed while we were blind?
      }
    };
    socket.onclose = (event) => sessionEnded(event) || setTimeout(connect, 2000);
    window.bereikSocket = socket;
  }

  // Live presence: the directory's change stream updates the colleagues on screen.
  function followPresence() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/presence/stream?lang=" + LANG);
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type !== "presence") return;
      document.querySelectorAll('span.presence[data-person="' + CSS.escape(m.person) + '"]').forEach((span) => {
        span.textContent = span.dataset.department + " · " + m.presence.text;
        span.className = "presence presence-" + m.presence.status;
      });
    };
    socket.onclose = (event) => sessionEnded(event) || setTimeout(followPresence, 5000);
  }

  // Looking someone up is not transferring: a result only chooses the colleague; Doorverbinden calls.
  function choose(p, button) {
    selected = p;
    document.querySelectorAll("#results button.person").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
    $("chosen").textContent = T.chosen + ": " + p.name + (p.extension ? " (" + p.extension + ")" : " (" + T.no_extension + ")");
    enableCallButtons();
  }

  // Typed slowly, each key starts a search; an answer that comes after a later search began would
  // replace the newer list (and the button the agent arrowed to) with an older one.
  let searchesBegun = 0;
  async function search() {
    const q = $("search").value.trim();
    const list = $("results");
    const begun = ++searchesBegun;
    if (!q) { list.replaceChildren(); delete list.dataset.query; return; }
    const data = await get("/api/directory?limit=20&q=" + encodeURIComponent(q));
    if (begun !== searchesBegun) return;
    list.replaceChildren();
    list.dataset.query = q;
    if (!data.people.length) list.append(el("li", T.no_results));
    data.people.forEach((p) => {
      const item = el("li");
      const button = el("button", p.name + (p.extension ? " (" + p.extension + ")" : ""),
        {"type": "button", "class": "person", "aria-pressed": "false", "data-extension": p.extension || "",
         "aria-label": T.choose + " " + p.name});
      const status = el("span", p.department + " · " + p.presence.text,
        {"class": "presence presence-" + p.presence.status, "data-person": p.id, "data-department": p.department});
      button.addEventListener("click", () => choose(p, button));
      item.append(button, " ", status);
      list.append(item);
    });
  }

  // The stream is the one source of the transfer's state: a reply can come after newer news (the colleague
  // answered while the reply was under way), so a reply only says why a press was refused.
  function showRefusal(result) {
    if (result.httpStatus === 200) return;
    $("transfer-state").textContent = said(result.refused) || result.error || String(result.httpStatus);
  }

  async function startTransfer() {
    if ($("transfer").disabled) return;
    showRefusal(await post("/api/transfer", {target: selected.extension}));
  }

  // A note's buttons: ring one's own phone and then the caller; close with a reason; "niet bereikt" once
  // enough unanswered attempts were made (bereik says why not otherwise).
  function noteActions(c, reasons) {
    const who = c.name || c.number;
    const actions = el("span");
    const dial = el("button", T.dial, {"type": "button", "aria-label": T.dial + ": " + who});
    dial.addEventListener("click", async () => {
      const r = await post("/api/callbacks/" + c.id + "/dial");
      $("callbacks-state").textContent = r.httpStatus === 202 ? T.dialling : (r.refused || r.error || String(r.httpStatus));
    });
    const reason = el("select", null, {"aria-label": T.close_with + ": " + who});
    reasons.forEach((text) => reason.append(el("option", text)));
    const close = el("button", T.close_with, {"type": "button"});
    close.addEventListener("click", () => closeNote(c.id, {outcome: "handled", reason: reason.value}));
    const unreached = el("button", T.not_reached, {"type": "button", "aria-label": T.not_reached + ": " + who});
    unreached.addEventListener("click", () => closeNote(c.id, {outcome: "not_reached"}));
    actions.append(dial, " ", reason, " ", close, " ", unreached);
    return actions;
  }

  async function closeNote(id, body) {
    const r = await post("/api/callbacks/" + id + "/close", body);
    $("callbacks-state").textContent = r.httpStatus === 200 ? "" : (r.refused || r.error || String(r.httpStatus));
    loadCallbacks();
  }

  async function loadCallbacks() {
    for (const [view, id] of [["mine", "callbacks"], ["team", "team-callbacks"]]) {
      const data = await get("/api/callbacks?view=" + view);
      const list = $(id);
      list.replaceChildren();
      data.callbacks.forEach((c) => {
        const item = el("li", (c.name || c.number) + ": " + c.question + " · " + T.due + " " + dateText(c.due) + " · ");
        item.append(el("span", T["status_" + c.status], {"class": "status-" + c.status}));
        if (c.escalated) item.append(" · " + T.escalated);
        else if (c.reminded) item.append(" · " + T.reminded);
        if (c.status === "open" || c.status === "late") item.append(" ", noteActions(c, data.reasons));
        list.append(item);
      });
    }
  }

  // A call-back appointment: the colleague's free times (their Outlook calendar), one button books it
  // with the number, name and question of the note form.
  async function findSlots() {
    const person = $("ap-person").value;
    const response = await fetch("/api/appointments/slots?person=" + encodeURIComponent(person), {credentials: "same-origin"});
    const list = $("ap-slots");
    list.replaceChildren();
    if (!response.ok) { $("ap-state").textContent = await response.text(); return; }
    (await response.json()).slots.forEach((slot) => {
      const book = el("button", T.book + ": " + slot.text, {"type": "button"});
      book.addEventListener("click", async () => {
        const r = await post("/api/appointments", {person: person, at: slot.at, number: $("cb-number").value,
          name: $("cb-name").value, question: $("cb-question").value, key: newKey()});
        $("ap-state").textContent = r.httpStatus === 201 ? T.booked + " " + r.at : (r.refused || r.error || String(r.httpStatus));
        if (r.httpStatus === 201) { list.replaceChildren(); loadCallbacks(); }
      });
      list.append(el("li")); list.lastChild.append(book);
    });
  }
  if ($("ap-find")) $("ap-find").addEventListener("click", findSlots);

  async function loadRecordings() {
    const data = await get("/api/recordings");
    const list = $("recordings");
    list.replaceChildren();
    data.recordings.forEach((r) => {
      const item = el("li");
      const when = dateText(r.started);
      const label = el("span", T.play + " " + when);
      const audio = el("audio", null, {"controls": "", "preload": "none", "src": r.url, "aria-label": T.play + " " + when});
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
  $("transfer").addEventListener("click", startTransfer);
  $("wrapup-topics").addEventListener("change", enableWrapUp);
  $("wrapup-yes").addEventListener("click", () => wrapUpCall(true));
  $("wrapup-no").addEventListener("click", () => wrapUpCall(false));
  $("complete").addEventListener("click", async () => showRefusal(await post("/api/transfer/complete")));
  $("cancel").addEventListener("click", async () => showRefusal(await post("/api/transfer/cancel")));
  // Both answer only for this agent's own phone: the server takes the position from the session.
  $("answer").addEventListener("click", async () => {
    const r = await post("/api/call/answer");
    $("call-action").textContent = r.httpStatus === 200 ? T.answering : said(r.refused) || r.error || String(r.httpStatus);
  });
  $("hangup").addEventListener("click", async () => {
    const r = await post("/api/call/hangup");
    if (r.httpStatus !== 200) $("call-action").textContent = said(r.refused) || r.error || String(r.httpStatus);
  });
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

  // Alt+letter shortcuts, as listed on the page (data-shortcut on each control); "/" also searches.
  const shortcuts = {};
  document.querySelectorAll("[data-shortcut]").forEach((control) => { shortcuts["Key" + control.dataset.shortcut] = control; });
  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey && shortcuts[event.code]) {
      event.preventDefault();
      const control = shortcuts[event.code];
      if (control.tagName === "INPUT") control.focus();
      else if (!control.disabled) control.click();
      return;
    }
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing && !event.altKey) { event.preventDefault(); $("search").focus(); }
  });

  $("cb-key").value = newKey();
  get("/api/me").then((me) => showPosition(me.position));
  loadCallbacks();
  loadRecordings();
  loadHistory();
  get("/api/waiting").then((data) => { waitingCallers = data.callers; showWaiting(); });
  connect();
  followPresence();
})();
