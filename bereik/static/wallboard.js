// The wallboard: one WebSocket, every second a snapshot of the floor; its words in the page's data-words.
"use strict";
const words = JSON.parse(document.body.dataset.words);
const $ = (id) => document.getElementById(id);
const pct = (v) => v === null || v === undefined ? words.no_data : Math.round(v * 100) + '%';
const mmss = (s) => s === null || s === undefined ? words.no_data
  : Math.floor(s / 60) + ':' + String(Math.round(s % 60)).padStart(2, '0');
let lastAnnounced = '';
function show(state) {
  $('waiting').textContent = state.waiting;
  $('longest').textContent = mmss(state.longest_wait);
  $('service-level').textContent = pct(state.service_level);
  $('service-level-note').textContent = words.within.replace('{norm}', state.answer_seconds)
    + ' (' + state.answered + ' ' + words.answered + ', ' + state.abandoned + ' ' + words.abandoned + ')'
    + (state.put_through ? ' · ' + state.put_through + ' ' + words.put_through : '');
  $('occupancy').textContent = pct(state.occupancy);
  $('talk').textContent = mmss(state.average_talk);
  $('wrapup').textContent = mmss(state.average_wrapup);
  $('callbacks').textContent = state.callbacks ? state.callbacks.open + ' ' + words.open : words.no_data;
  const byDepartment = state.callbacks && state.callbacks.on_time_by_department || [];
  $('callbacks-late').textContent = state.callbacks ? state.callbacks.late + ' ' + words.late
    + (state.callbacks.on_time === null || state.callbacks.on_time === undefined ? ''
       : ' · ' + pct(state.callbacks.on_time) + ' ' + words.on_time)
    + (byDepartment.length ? ' · ' + byDepartment.map(([name, share]) => name + ' ' + pct(share)).join(', ') : '')
    : '';
  $('waiting-tile').classList.toggle('alert', state.waiting > 0);
  // Several servers (pbx.servers): which one the callers wait on, in words.
  const servers = state.servers || [];
  $('waiting-servers').textContent = servers.length > 1
    ? words.by_server + ' ' + servers.map((s) => s.name + ' ' + s.waiting).join(', ') : '';
  const rows = state.agent_list.map((a) => {
    const tr = document.createElement('tr');
    const name = document.createElement('th'); name.scope = 'row'; name.textContent = a.name;
    const st = document.createElement('td'); st.textContent = words.states[a.state] || a.state;
    st.className = 'state-' + a.state;
    const since = document.createElement('td'); since.textContent = mmss(a.seconds);
    tr.append(name, st, since); return tr;
  });
  $('agents').replaceChildren(...rows);
  $('updated').textContent = state.at;
  $('status').textContent = state.ami_connected === false ? words.pbx_down : '';
  // The calamity switch (bereik.calamity): what callers hear now, in words, until when.
  const calamity = state.calamity;
  $('calamity').hidden = !calamity;
  $('calamity').textContent = calamity ? words.calamity[calamity.mode].replace('{until}', calamity.until)
    + ' ' + words.calamity_said + ' \u201e' + calamity.text + '\u201d' : '';
  const sentence = words.announce.replace('{waiting}', state.waiting).replace('{longest}', mmss(state.longest_wait));
  // Announce only when the number of waiting callers changes, not every second.
  if (String(state.waiting) !== lastAnnounced) { $('announce').textContent = sentence; lastAnnounced = String(state.waiting); }
}
function connect() {
  const url = new URL('ws', location.href.endsWith('/') ? location.href : location.href + '/');
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  socket.onopen = () => { $('status').textContent = ''; };
  socket.onmessage = (message) => show(JSON.parse(message.data));
  socket.onclose = () => { $('status').textContent = words.disconnected; setTimeout(connect, 2000); };
}
connect();
