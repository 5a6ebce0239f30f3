// The caseworker console: the handoff queue, one conversation at a time, live over a WebSocket.
//
// Plain ES2020 with no dependencies and no build step, built against docs/api.md. Signing
// in, requests, tabs and small helpers come from ../dom.js and ../staff.js, loaded first.
// Safety rule for the whole file: every string that comes from the server reaches the page
// through textContent or createTextNode, never innerHTML, so markup a citizen typed is shown
// literally, never run. Links are only made from http(s) URLs.
'use strict';

(() => {
  const { el, visuallyHidden, safeWebUrl, socketUrl, appendAnswer } = window.FairhavenDom;
  const {
    humanise, readable, displayName, parseTime, formatTime, announce,
  } = window.FairhavenStaff;

  // Relative, so the console also works behind a path prefix (it is served at /console).
  const API = 'api/staff/';
  const WS_PATH = 'ws/staff';
  const VIEWS = ['waiting', 'mine', 'active', 'resolved'];
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000;
  const REFRESH_DEBOUNCE_MS = 150;
  const CLOCK_TICK_MS = 30000;
  // Crisis is 100, frustration 20, everything else 10 (assistant/escalation.py).
  const ORDINARY_PRIORITY = 10;

  const TEXT = {
    emptyList: {
      waiting: 'Nobody is waiting. New conversations appear here as they arrive.',
      mine: 'You are not holding any conversations.',
      active: 'There are no active conversations.',
      resolved: 'No conversations have been resolved yet.',
    },
    noneOpen: 'No conversation open',
    noneInTeams: 'None for the teams shown. Choose “All teams, mine first” to see every one.',
    citizenTyping: 'The citizen is typing…',
    searchNone: 'No conversations match.',
    searchFound: (n) => `${n} ${n === 1 ? 'conversation matches' : 'conversations match'}${n >= 50 ? ' (the newest 50)' : ''}.`,
    savedNone: 'No saved replies yet. Save one below.',
    savedNoMatch: 'No saved reply matches.',
    savedInserted: (title) => `Saved reply “${title}” inserted. Edit it, then send it.`,
    savedSaved: 'Reply saved.',
    savedMissing: 'Enter a title and the text of the reply.',
    reconnecting: 'Live updates paused: reconnecting…',
    claimed: 'You have claimed this conversation. You can reply now.',
    takenBy: (name) => `Already taken by ${name}. The list has been refreshed.`,
    takenBySomeone: 'Already taken by another caseworker. The list has been refreshed.',
    replySent: 'Reply sent to the citizen.',
    replyEmpty: 'Enter a reply before sending.',
    noteAdded: 'Internal note added.',
    noteEmpty: 'Enter a note before adding it.',
    transferPick: 'Choose a team or colleague to transfer to.',
    transferred: (to) => `Transferred to ${to}.`,
    resolved: 'Conversation resolved. The citizen has been asked to rate it.',
    offered: 'Your answer was offered to the content editors as a draft.',
    returned: 'Conversation handed back to the assistant.',
    newWaiting: (reason) => `New conversation waiting: ${reason}.`,
    newMessage: 'New message from the citizen.',
    heldByYou: 'You',
    nobody: 'Nobody yet',
  };

  // Readable words for the reason codes the server gives; unknown codes are de-underscored.
  const REASONS = {
    requested: 'Asked for a person',
    requested_person: 'Asked for a person',
    asked_for_person: 'Asked for a person',
    citizen_request: 'Asked for a person',
    citizen_requested: 'Asked for a person',
    handoff_requested: 'Asked for a person',
    person: 'Asked for a person',
    unanswered: 'The assistant could not answer',
    unanswered_twice: 'The assistant could not answer twice',
    repeated_unanswered: 'The assistant could not answer twice',
    two_unanswered: 'The assistant could not answer twice',
    low_confidence: 'The assistant could not answer',
    crisis: 'Possible crisis',
    own_case: 'Question about their own case',
    case_specific: 'Question about their own case',
    personal_case: 'Question about their own case',
    frustration: 'Citizen seems frustrated',
    frustrated: 'Citizen seems frustrated',
    callback: 'Left a message out of hours',
    callback_requested: 'Left a message out of hours',
    out_of_hours: 'Left a message out of hours',
    abuse: 'Abusive messages',
  };

  const STATES = {
    waiting: 'Waiting',
    claimed: 'Claimed',
    resolved: 'Resolved',
    returned: 'Handed back to the assistant',
    callback_requested: 'Callback requested',
  };

  const CHANNELS = { web: 'Web chat', sms: 'SMS', rasa: 'Rasa', api: 'API', voice: 'Phone' };
  // The citizen's language (the assistant's replies were in it): reply in it too.
  const LANGUAGES = { en: 'English', es: 'Spanish' };

  const ROLES = { citizen: 'Citizen', assistant: 'Assistant', caseworker: 'Caseworker', system: 'System' };

  const state = {
    view: 'waiting',
    lists: {}, // view -> {items, fetchedAt}
    openId: null,
    detailSeq: 0,
    suggestion: null, // the open conversation's suggested reply, once loaded
    open: null, // the open handoff with its transcript and notes
    rendered: [], // {role, text, time} of transcript items on screen, to skip live duplicates
    knownWaiting: null, // ids in the waiting list, to spot new arrivals
    fresh: new Set(), // ids that arrived live and have not been opened yet
    teams: [],
    users: [],
    socket: null,
    reconnectDelay: RECONNECT_MIN_MS,
    reconnectTimer: null,
    refreshTimer: null,
    earlierSeq: 0,
    savedReplies: [],
    typingSentAt: 0,
    typingTimer: null,
  };

  // The typing indicator: at most one signal every TYPING_SEND_MS while typing (the server
  // passes on at most one every CA_TYPING_INTERVAL_SECONDS, 3 s by default), and the
  // citizen's "typing…" goes away TYPING_SHOW_MS after the last signal or with their message.
  const TYPING_SEND_MS = 3000;
  const TYPING_SHOW_MS = 7000;

  // Signing in and out, and every request to the server (staff.js).
  const session = window.FairhavenStaff.session({
    api: API,
    text: {
      network: 'The console could not reach the server. Check your connection and try again.',
      statuses: { 403: 'You do not have permission to do that.' },
    },
    onEnter: enterConsole,
    onLeave: leaveConsole,
  });
  const { request, problemText } = session;

  let ui = null;
  let tabs = null;

  // ---------------------------------------------------------------- small helpers

  function reasonsOf(handoff) {
    const codes = Array.isArray(handoff.reasons) && handoff.reasons.length
      ? handoff.reasons
      : [handoff.reason];
    const words = [];
    for (const code of codes) {
      const word = readable(REASONS, code);
      if (word && !words.includes(word)) words.push(word);
    }
    return words;
  }

  function isCrisis(handoff) {
    const codes = [handoff.reason, ...(Array.isArray(handoff.reasons) ? handoff.reasons : [])];
    return codes.some((code) => typeof code === 'string' && code.includes('crisis'));
  }

  function isMine(handoff) {
    return Boolean(handoff && handoff.claimed_by && session.user &&
      handoff.claimed_by.username === session.user.username);
  }

  function isActive(handoff) {
    return handoff && (handoff.state === 'waiting' || handoff.state === 'claimed' ||
      handoff.state === 'callback_requested');
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return 'under a minute';
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    const h = hours === 1 ? '1 hour' : `${hours} hours`;
    return rest ? `${h} ${rest} min` : h;
  }

  // waiting_seconds is as of when the list was fetched; the clock adds what has passed since.
  function waitingNow(handoff, fetchedAt) {
    const base = Number.isFinite(handoff.waiting_seconds) ? handoff.waiting_seconds : 0;
    return base + (Date.now() - (fetchedAt || Date.now())) / 1000;
  }

  function shortId(id) {
    return typeof id === 'string' ? id.slice(0, 8) : '';
  }

  // ---------------------------------------------------------------- entering and leaving

  function enterConsole(data, { focus }) {
    ui.workspace.hidden = false;
    tabs.select(state.view, { focus });
    refreshWaitingCount();
    loadDirectory();
    connect();
  }

  function leaveConsole() {
    state.lists = {};
    state.knownWaiting = null;
    state.fresh.clear();
    disconnect();
    closeDetail();
    for (const panel of ui.panels) panel.textContent = '';
    ui.waitingCount.hidden = true;
    state.savedReplies = [];
    ui.searchResults.textContent = '';
    ui.searchStatus.textContent = '';
    closeSaved({ focusReply: false });
  }

  // Called by the tabs (staff.js) when one is chosen.
  function showView(view) {
    state.view = view;
    loadList(view);
  }

  // ---------------------------------------------------------------- lists

  async function loadList(view) {
    const panel = panelFor(view);
    if (!state.lists[view]) {
      panel.textContent = '';
      panel.append(el('p', 'hint', 'Loading…'));
    }
    const result = await request('GET', `handoffs?view=${encodeURIComponent(view)}`);
    if (!session.signedIn) return;
    if (!result.ok || !Array.isArray(result.data)) {
      panel.textContent = '';
      panel.append(el('p', 'action-error', problemText(result)));
      return;
    }
    state.lists[view] = { items: result.data, fetchedAt: Date.now() };
    if (view === 'waiting') noteWaiting(result.data);
    if (view === state.view) renderList(view);
  }

  async function refreshWaitingCount() {
    if (state.view === 'waiting') return; // loadList('waiting') keeps it up to date
    const result = await request('GET', 'handoffs?view=waiting');
    if (result.ok && Array.isArray(result.data)) {
      state.lists.waiting = { items: result.data, fetchedAt: Date.now() };
      noteWaiting(result.data);
    }
  }

  // Keeps the Waiting tab's count and spots conversations that were not there before.
  function noteWaiting(items) {
    const ids = new Set(items.map((item) => item.id));
    if (state.knownWaiting) {
      for (const item of items) {
        if (!state.knownWaiting.has(item.id)) state.fresh.add(item.id);
      }
    }
    state.knownWaiting = ids;
    for (const id of [...state.fresh]) if (!ids.has(id)) state.fresh.delete(id);
    ui.waitingCount.textContent = '';
    if (items.length) {
      ui.waitingCount.append(String(items.length), visuallyHidden(' waiting'));
      ui.waitingCount.hidden = false;
      ui.waitingCount.classList.toggle('count-badge--new', state.fresh.size > 0);
    } else {
      ui.waitingCount.hidden = true;
    }
  }

  function panelFor(view) {
    return ui.panels[VIEWS.indexOf(view)];
  }

  function renderList(view) {
    const panel = panelFor(view);
    const entry = state.lists[view];
    if (!entry) return;
    // Re-rendering must not lose the keyboard user's place.
    const focused = panel.contains(document.activeElement) && document.activeElement.dataset
      ? document.activeElement.dataset.id
      : null;
    panel.textContent = '';
    const items = byTeam(entry.items);
    if (!items.length) {
      panel.append(el('p', 'empty-state', entry.items.length ? TEXT.noneInTeams : TEXT.emptyList[view]));
      panel.tabIndex = 0;
      return;
    }
    panel.removeAttribute('tabindex');
    const list = el('ul', 'handoff-list');
    for (const item of items) list.append(renderListItem(item, entry.fetchedAt));
    panel.append(list);
    if (focused) {
      const again = panel.querySelector(`button[data-id="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function renderListItem(handoff, fetchedAt) {
    const item = el('li', 'handoff-card');
    if (isCrisis(handoff)) item.classList.add('handoff-card--crisis');
    const reasons = reasonsOf(handoff);

    const title = el('h3', 'handoff-card__title');
    const button = el('button', 'handoff-card__open', reasons.join(', ') || 'Conversation');
    button.type = 'button';
    button.dataset.id = handoff.id;
    if (handoff.id === state.openId) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => openHandoff(handoff.id, { focus: true }));
    title.append(button);
    item.append(title);

    const badges = el('p', 'handoff-card__badges');
    if (isCrisis(handoff)) badges.append(el('strong', 'badge badge--crisis', 'Crisis'));
    else if (Number.isInteger(handoff.priority) && handoff.priority > ORDINARY_PRIORITY) {
      badges.append(el('strong', 'badge badge--priority', 'High priority'));
    }
    if (state.fresh.has(handoff.id)) badges.append(el('strong', 'badge badge--new', 'New'));
    badges.append(el('span', 'badge', readable(STATES, handoff.state)));
    badges.append(el('span', 'badge badge--plain', readable(CHANNELS, handoff.channel)));
    if (handoff.language && handoff.language !== 'en') {
      badges.append(el('span', 'badge badge--plain', readable(LANGUAGES, handoff.language)));
    }
    item.append(badges);

    if (handoff.summary) item.append(el('p', 'handoff-card__summary', handoff.summary));

    const meta = el('p', 'handoff-card__meta');
    const parts = [];
    if (handoff.state === 'resolved' || handoff.state === 'returned') {
      parts.push(`Updated ${formatTime(handoff.updated_at)}`);
    } else {
      parts.push(`Waiting ${formatDuration(waitingNow(handoff, fetchedAt))}`);
    }
    parts.push(handoff.team ? `Team: ${handoff.team}` : 'No team');
    if (handoff.claimed_by) parts.push(`Held by ${isMine(handoff) ? TEXT.heldByYou : displayName(handoff.claimed_by)}`);
    if (Number.isInteger(handoff.rating)) parts.push(`Rated ${handoff.rating} out of 5`);
    meta.textContent = parts.join(' · ');
    item.append(meta);
    return item;
  }

  // ---------------------------------------------------------------- teams shown

  function myTeams() {
    return session.user && Array.isArray(session.user.teams) ? session.user.teams : [];
  }

  // The team filter: every team with the caseworker's own first (the order otherwise kept),
  // only theirs, or one team.
  function byTeam(items) {
    const choice = ui.teamFilter.value;
    const mine = myTeams();
    if (choice === 'mine') return items.filter((item) => mine.includes(item.team));
    if (choice.startsWith('team:')) return items.filter((item) => item.team === choice.slice(5));
    const first = items.filter((item) => mine.includes(item.team));
    return [...first, ...items.filter((item) => !mine.includes(item.team))];
  }

  function fillTeamChoices() {
    for (const select of [ui.teamFilter, ui.searchTeam, ui.savedFor]) {
      const keep = select.value;
      const fixed = select === ui.teamFilter ? 2 : 1;
      while (select.options.length > fixed) select.remove(fixed);
      const teams = select === ui.savedFor ? myTeams() : state.teams;
      for (const team of teams) {
        const label = select === ui.savedFor ? `Everyone in ${team}` : (select === ui.teamFilter ? `Only ${team}` : team);
        select.append(new Option(label, select === ui.teamFilter ? `team:${team}` : team));
      }
      select.value = Array.from(select.options).some((o) => o.value === keep) ? keep : '';
    }
  }

  // ---------------------------------------------------------------- search

  async function onSearch(event) {
    event.preventDefault();
    const params = new URLSearchParams();
    const fields = { q: ui.searchQ, reference: ui.searchReference, from: ui.searchFrom, to: ui.searchTo, team: ui.searchTeam, state: ui.searchState };
    for (const [name, input] of Object.entries(fields)) if (input.value.trim()) params.set(name, input.value.trim());
    ui.searchStatus.textContent = 'Searching…';
    ui.searchButton.disabled = true;
    const result = await request('GET', `search?${params}`);
    ui.searchButton.disabled = false;
    if (!session.signedIn) return;
    ui.searchResults.textContent = '';
    ui.searchClear.hidden = false;
    if (!result.ok || !Array.isArray(result.data)) {
      ui.searchStatus.textContent = problemText(result);
      return;
    }
    ui.searchStatus.textContent = result.data.length ? TEXT.searchFound(result.data.length) : TEXT.searchNone;
    if (!result.data.length) return;
    const list = el('ul', 'handoff-list');
    const now = Date.now();
    for (const item of result.data) list.append(renderListItem(item, now));
    ui.searchResults.append(list);
  }

  function clearSearch() {
    ui.searchForm.reset();
    ui.searchResults.textContent = '';
    ui.searchStatus.textContent = '';
    ui.searchClear.hidden = true;
    ui.searchQ.focus();
  }

  // ---------------------------------------------------------------- earlier conversations

  async function loadEarlier(id) {
    const seq = ++state.earlierSeq;
    const result = await request('GET', `handoffs/${encodeURIComponent(id)}/earlier`);
    if (!session.signedIn || seq !== state.earlierSeq || state.openId !== id) return;
    ui.earlierList.textContent = '';
    const items = result.ok && Array.isArray(result.data) ? result.data : [];
    ui.earlier.hidden = !items.length;
    const now = Date.now();
    for (const item of items) ui.earlierList.append(renderListItem(item, now));
  }

  // ---------------------------------------------------------------- typing, both ways

  function onReplyInput() {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN || !state.openId) return;
    const now = Date.now();
    if (now - state.typingSentAt < TYPING_SEND_MS) return;
    state.typingSentAt = now;
    state.socket.send(JSON.stringify({ type: 'typing', handoff_id: state.openId }));
  }

  function showCitizenTyping(show) {
    window.clearTimeout(state.typingTimer);
    ui.typing.textContent = show ? TEXT.citizenTyping : '';
    if (show) state.typingTimer = window.setTimeout(() => { ui.typing.textContent = ''; }, TYPING_SHOW_MS);
  }

  // ---------------------------------------------------------------- saved replies

  async function loadSavedReplies() {
    const result = await request('GET', 'saved-replies');
    if (result.ok && result.data && Array.isArray(result.data.replies)) state.savedReplies = result.data.replies;
    renderSavedReplies();
  }

  function savedMatches() {
    const needle = ui.savedFilter.value.trim().toLowerCase();
    return state.savedReplies.filter((r) => !needle ||
      String(r.title).toLowerCase().includes(needle) || String(r.body).toLowerCase().includes(needle));
  }

  function renderSavedReplies() {
    ui.savedList.textContent = '';
    const matches = savedMatches();
    if (!matches.length) {
      ui.savedList.append(el('li', 'hint', state.savedReplies.length ? TEXT.savedNoMatch : TEXT.savedNone));
      return;
    }
    for (const reply of matches) {
      const item = el('li', 'saved-item');
      const use = el('button', 'saved-item__use', reply.title);
      use.type = 'button';
      use.dataset.id = reply.id;
      use.append(el('span', 'saved-item__who', reply.team ? ` · ${reply.team}` : ' · Mine'));
      use.addEventListener('click', () => insertSaved(reply));
      item.append(use, el('p', 'saved-item__body', reply.body));
      ui.savedList.append(item);
    }
  }

  function openSaved() {
    ui.savedPanel.hidden = false;
    ui.savedOpen.setAttribute('aria-expanded', 'true');
    ui.savedFilter.value = '';
    renderSavedReplies();
    ui.savedFilter.focus();
    loadSavedReplies();
  }

  function closeSaved({ focusReply }) {
    ui.savedPanel.hidden = true;
    ui.savedOpen.setAttribute('aria-expanded', 'false');
    if (focusReply) ui.replyText.focus();
  }

  // Placeholders are filled in here, where the caseworker sees the result before sending.
  function fillPlaceholders(text) {
    const open = state.open || {};
    const values = { reference: open.id || '', caseworker: displayName(session.user), team: open.team || '' };
    return text.replace(/\{(reference|caseworker|team)\}/g, (_, name) => values[name]);
  }

  function insertSaved(reply) {
    const text = fillPlaceholders(String(reply.body));
    const box = ui.replyText;
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    closeSaved({ focusReply: true });
    box.setSelectionRange(start + text.length, start + text.length);
    announce(TEXT.savedInserted(reply.title));
  }

  function onSavedFilterKeyDown(event) {
    if (event.key === 'Enter') {
      event.preventDefault(); // not the reply form's submit
      const first = savedMatches()[0];
      if (first) insertSaved(first);
    } else if (event.key === 'ArrowDown') {
      const first = ui.savedList.querySelector('button');
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  }

  async function onSaveNewReply() {
    const title = ui.savedTitle.value.trim();
    const body = ui.savedBody.value.trim();
    if (!title || !body) {
      showActionError(TEXT.savedMissing);
      (title ? ui.savedBody : ui.savedTitle).focus();
      return;
    }
    const result = await request('POST', 'saved-replies', { title, body, team: ui.savedFor.value || null });
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    ui.savedTitle.value = '';
    ui.savedBody.value = '';
    showActionStatus(TEXT.savedSaved);
    await loadSavedReplies();
    ui.savedFilter.focus();
  }

  function refreshSoon() {
    window.clearTimeout(state.refreshTimer);
    state.refreshTimer = window.setTimeout(() => {
      if (!session.signedIn) return;
      loadList(state.view);
      refreshWaitingCount();
    }, REFRESH_DEBOUNCE_MS);
  }

  // ---------------------------------------------------------------- one conversation

  async function openHandoff(id, { focus }) {
    // Loads can overlap (a reply, then a note): only the latest one may draw the page.
    const seq = ++state.detailSeq;
    const result = await request('GET', `handoffs/${encodeURIComponent(id)}`);
    if (!session.signedIn || seq !== state.detailSeq) return;
    if (!result.ok || !result.data) {
      showActionError(problemText(result));
      return;
    }
    const changed = state.openId !== id;
    state.openId = id;
    state.fresh.delete(id);
    state.open = result.data;
    renderDetail({ fresh: changed });
    for (const button of document.querySelectorAll('.handoff-card__open')) {
      if (button.dataset.id === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    if (changed) clearActionMessages();
    if (focus) ui.detailHeading.focus();
    if (changed) {
      state.suggestion = null;
      renderSuggestion();
      loadSuggestion(id);
      ui.earlier.hidden = true;
      loadEarlier(id);
      showCitizenTyping(false);
    } else {
      renderSuggestion();
    }
  }

  // ---------------------------------------------------------------- a suggested reply

  // What the assistant would answer to the citizen's latest question, with its sources. It is
  // only ever put into the reply box, for the caseworker to edit and send.
  async function loadSuggestion(id) {
    const result = await request('GET', `handoffs/${encodeURIComponent(id)}/suggestion`);
    if (!session.signedIn || state.openId !== id) return;
    const found = result.ok && result.data ? result.data.suggestion : null;
    state.suggestion = found && typeof found.text === 'string' ? found : null;
    renderSuggestion();
  }

  function renderSuggestion() {
    const found = state.suggestion;
    ui.suggestion.hidden = !found;
    ui.suggestionNone.hidden = Boolean(found);
    ui.suggestionText.textContent = '';
    ui.suggestionSources.textContent = '';
    if (!found) return;
    ui.suggestionQuestion.textContent = `For: “${found.question}”`;
    appendAnswer(ui.suggestionText, found.text, (node, line) => node.append(line));
    for (const citation of Array.isArray(found.citations) ? found.citations : []) {
      const item = el('li');
      const name = [citation.title, citation.section].filter(Boolean).join(' › ');
      const url = safeWebUrl(citation.url);
      if (url) {
        const link = el('a', null, name);
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        item.append(`[${citation.n}] `, link);
      } else {
        item.append(`[${citation.n}] ${name}`);
      }
      item.append(el('p', 'suggestion__snippet', citation.snippet || ''));
      ui.suggestionSources.append(item);
    }
    ui.suggestionUse.hidden = ui.replyForm.hidden;
  }

  // The reply a citizen reads has no source list under it: the marks become the sources'
  // addresses at the end.
  function suggestionAsReply(found) {
    const text = found.text.replace(/\s*\[\d{1,3}\]/g, '');
    const links = (Array.isArray(found.citations) ? found.citations : [])
      .map((c) => safeWebUrl(c.url) ? `${c.title}: ${c.url}` : null)
      .filter(Boolean);
    return links.length ? `${text}\n\n${[...new Set(links)].join('\n')}` : text;
  }

  function onUseSuggestion() {
    if (!state.suggestion) return;
    ui.replyText.value = suggestionAsReply(state.suggestion);
    ui.replyText.focus();
    announce('The suggested reply is in the reply box. Edit it, then send it.');
  }

  function closeDetail() {
    state.openId = null;
    state.open = null;
    state.rendered = [];
    ui.detailHeading.textContent = TEXT.noneOpen;
    ui.detailEmpty.hidden = false;
    ui.detailBody.hidden = true;
    ui.transcript.textContent = '';
    ui.notes.textContent = '';
    ui.earlier.hidden = true;
    showCitizenTyping(false);
  }

  function renderDetail({ fresh }) {
    const handoff = state.open;
    ui.detailEmpty.hidden = true;
    ui.detailBody.hidden = false;
    ui.detailHeading.textContent = '';
    ui.detailHeading.append(`Conversation ${shortId(handoff.id)}`);
    renderFacts(handoff);
    renderActions(handoff);
    renderTranscript(Array.isArray(handoff.transcript) ? handoff.transcript : [], { fresh });
    renderNotes(Array.isArray(handoff.notes) ? handoff.notes : []);
  }

  function renderFacts(handoff) {
    ui.facts.textContent = '';
    const add = (term, value, className) => {
      if (value === null || value === undefined || value === '') return;
      const wrapper = el('div', 'facts__row');
      const dd = el('dd', className || null);
      if (value instanceof Node) dd.append(value);
      else dd.textContent = String(value);
      wrapper.append(el('dt', null, term), dd);
      ui.facts.append(wrapper);
    };
    const status = el('span');
    status.append(readable(STATES, handoff.state));
    if (isCrisis(handoff)) status.append(' ', el('strong', 'badge badge--crisis', 'Crisis'));
    add('Status', status);
    const reasons = reasonsOf(handoff);
    add(reasons.length > 1 ? 'Reasons' : 'Reason', reasons.join(', '));
    add('What they need', handoff.summary);
    add('Channel', readable(CHANNELS, handoff.channel));
    add('Language', readable(LANGUAGES, handoff.language || 'en'));
    add('Team', handoff.team || 'None');
    add('Held by', handoff.claimed_by ? (isMine(handoff) ? TEXT.heldByYou : displayName(handoff.claimed_by)) : TEXT.nobody);
    if (isActive(handoff)) add('Waiting', formatDuration(handoff.waiting_seconds || 0));
    add('Callback contact', handoff.callback_contact, 'facts__contact');
    if (Number.isInteger(handoff.rating)) add('Citizen rating', `${handoff.rating} out of 5`);
  }

  function renderActions(handoff) {
    const mine = isMine(handoff);
    const heldByOther = Boolean(handoff.claimed_by) && !mine;
    const active = isActive(handoff);
    const admin = session.user && session.user.role === 'admin';
    ui.claimButton.hidden = !(active && !mine && (!heldByOther || handoff.state !== 'claimed'));
    const canAct = active && (!heldByOther || admin);
    ui.resolveButton.hidden = !canAct;
    ui.proposeField.hidden = !canAct;
    ui.returnButton.hidden = !canAct;
    ui.transferForm.hidden = !canAct;
    ui.actions.hidden = ui.claimButton.hidden && ui.resolveButton.hidden && ui.returnButton.hidden;
    ui.replyForm.hidden = !(mine && handoff.state === 'claimed');
    ui.replyLocked.hidden = !(active && !mine);
    ui.replyLocked.textContent = heldByOther
      ? `${displayName(handoff.claimed_by)} is holding this conversation.`
      : 'Claim this conversation to reply to the citizen.';
    fillTransferTargets();
  }

  // The same message can reach the page twice (live, then in a reloaded transcript) with
  // timestamps a moment apart: same speaker and words within a few seconds is one message.
  const SAME_MESSAGE_WINDOW_MS = 5000;

  function alreadyShown(message) {
    const time = parseTime(message.at);
    return state.rendered.some((seen) => seen.role === message.role && seen.text === message.text &&
      (seen.time === null || time === null || Math.abs(seen.time - time) <= SAME_MESSAGE_WINDOW_MS));
  }

  // Adds the messages not on screen yet. Opening a conversation fills the log quietly, so a
  // screen reader does not read out the whole history; live additions are announced.
  function renderTranscript(messages, { fresh }) {
    if (fresh) {
      ui.transcriptLog.setAttribute('aria-live', 'off');
      ui.transcript.textContent = '';
      state.rendered = [];
    }
    for (const message of messages) appendTranscriptItem(message);
    if (fresh) window.setTimeout(() => ui.transcriptLog.setAttribute('aria-live', 'polite'), 0);
  }

  function appendTranscriptItem(message) {
    if (!message || typeof message !== 'object') return false;
    if (alreadyShown(message)) return false;
    state.rendered.push({ role: message.role, text: message.text, time: parseTime(message.at) });
    ui.transcript.append(renderTranscriptItem(message));
    return true;
  }

  function renderTranscriptItem(message) {
    const role = typeof message.role === 'string' ? message.role : 'system';
    const item = el('li', `entry entry--${role}`);
    const head = el('p', 'entry__who');
    let who = readable(ROLES, role);
    if (role === 'caseworker' && message.author) who = `Caseworker ${message.author}`;
    head.append(el('strong', null, who));
    const time = formatTime(message.at);
    if (time) {
      const stamp = el('time', 'entry__time', time);
      stamp.dateTime = message.at;
      head.append(' ', stamp);
    }
    if (role === 'assistant' && message.status) {
      head.append(' ', el('span', 'badge badge--plain', humanise(message.status)));
    }
    if (role === 'caseworker' && message.delivery_status) {
      head.append(' ', deliveryBadge(message.delivery_status, message.delivery_error));
    }
    if (Number.isInteger(message.id)) item.dataset.messageId = String(message.id);
    item.append(head);
    if (role === 'assistant') {
      // The answer as the citizen saw it: paragraphs, and list items that do not run together.
      item.append(appendAnswer(el('div', 'entry__text answer-lines'), message.text || ''));
    } else {
      item.append(el('p', 'entry__text', message.text || ''));
    }
    const citations = Array.isArray(message.citations) ? message.citations : [];
    if (citations.length) {
      const sources = el('div', 'entry__sources');
      sources.append(el('p', 'entry__sources-title', 'Sources cited'));
      const list = el('ol', 'entry__sources-list');
      for (const citation of citations) {
        if (!citation || typeof citation !== 'object') continue;
        const li = el('li');
        if (Number.isInteger(citation.n)) li.value = citation.n;
        const label = citation.section ? `${citation.title}: ${citation.section}` : String(citation.title || citation.doc_id || '');
        li.append(pageLink(label, citation.url));
        list.append(li);
      }
      sources.append(list);
      item.append(sources);
    }
    const offer = message.offer && typeof message.offer === 'object' ? message.offer : null;
    if (role === 'assistant' && offer) {
      // "Did you mean ...?": the page the citizen was offered, so the caseworker can
      // open it (or see at once that it was not what they asked about).
      const offered = el('p', 'entry__offer');
      offered.append(el('strong', null, 'Page offered: '), pageLink(String(offer.title || ''), offer.url));
      item.append(offered);
    }
    return item;
  }

  // An official page named in a transcript: a link opening in a new tab when its address is
  // a web one, else just its name.
  function pageLink(label, address) {
    const url = safeWebUrl(address);
    if (!url) return document.createTextNode(label);
    const link = el('a', null, label);
    link.href = url.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.append(visuallyHidden(' (opens in a new tab)'));
    return link;
  }

  // A reply sent by text shows how far it got: sent, delivered, or failed and why.
  function deliveryBadge(status, error) {
    const failed = status === 'failed' || status === 'undelivered';
    const label = failed && error ? `Text not delivered: ${error}` : `Text ${humanise(status).toLowerCase()}`;
    const badge = el('span', `badge ${failed ? 'badge--crisis' : 'badge--plain'} entry__delivery`, label);
    return badge;
  }

  function showDelivery(data) {
    const selector = `li[data-message-id="${CSS.escape(String(data.message_id))}"]`;
    const item = ui.transcript.querySelector(selector);
    if (!item) return;
    const head = item.querySelector('.entry__who');
    const old = head && head.querySelector('.entry__delivery');
    if (old) old.remove();
    if (head) head.append(deliveryBadge(String(data.status || ''), data.error || null));
    if (data.status === 'failed' || data.status === 'undelivered') announce('A reply could not be delivered by text.');
  }

  function renderNotes(notes) {
    ui.notes.textContent = '';
    if (!notes.length) {
      ui.notes.append(el('li', 'hint notes-list__empty', 'No notes yet.'));
      return;
    }
    for (const note of notes) {
      const item = el('li', 'note');
      const head = el('p', 'note__who');
      head.append(el('strong', null, note.author || 'Staff'));
      const time = formatTime(note.at);
      if (time) head.append(' ', el('time', 'entry__time', time));
      item.append(head, el('p', 'note__text', note.text || ''));
      ui.notes.append(item);
    }
  }

  function fillTransferTargets() {
    const select = ui.transferTarget;
    const previous = select.value;
    select.textContent = '';
    select.append(new Option('Choose a team or colleague', ''));
    if (state.teams.length) {
      const group = document.createElement('optgroup');
      group.label = 'Teams';
      for (const team of state.teams) group.append(new Option(`Team: ${team}`, `team:${team}`));
      select.append(group);
    }
    const colleagues = state.users.filter((user) => !session.user || user.username !== session.user.username);
    if (colleagues.length) {
      const group = document.createElement('optgroup');
      group.label = 'Colleagues';
      for (const user of colleagues) {
        group.append(new Option(`${displayName(user)} (${user.username})`, `user:${user.username}`));
      }
      select.append(group);
    }
    select.value = previous;
    if (select.value !== previous) select.value = '';
  }

  async function loadDirectory() {
    const [teams, users] = await Promise.all([request('GET', 'teams'), request('GET', 'users')]);
    if (teams.ok && Array.isArray(teams.data)) state.teams = teams.data.filter((t) => typeof t === 'string');
    if (users.ok && Array.isArray(users.data)) state.users = users.data.filter((u) => u && u.username);
    fillTeamChoices();
    if (state.open) fillTransferTargets();
  }

  // ---------------------------------------------------------------- actions

  function clearActionMessages() {
    ui.actionStatus.textContent = '';
    ui.actionError.textContent = '';
  }

  function showActionStatus(text) {
    ui.actionError.textContent = '';
    ui.actionStatus.textContent = text;
  }

  function showActionError(text) {
    ui.actionStatus.textContent = '';
    ui.actionError.textContent = text;
  }

  async function act(path, body) {
    const id = state.openId;
    if (!id) return null;
    clearActionMessages();
    return request('POST', `handoffs/${encodeURIComponent(id)}/${path}`, body === undefined ? {} : body);
  }

  async function onClaim() {
    const result = await act('claim');
    if (!result) return;
    if (result.ok) {
      await openHandoff(state.openId, { focus: false });
      showActionStatus(TEXT.claimed);
      refreshSoon();
      ui.replyText.focus();
      return;
    }
    if (result.status === 409) {
      await openHandoff(state.openId, { focus: false });
      const holder = takenBy(result.data) ||
        (state.open && state.open.claimed_by ? displayName(state.open.claimed_by) : '');
      showActionError(holder ? TEXT.takenBy(holder) : TEXT.takenBySomeone);
      loadList(state.view);
      refreshWaitingCount();
      ui.detailHeading.focus();
      return;
    }
    showActionError(problemText(result));
  }

  // The 409 body may name the holder in several shapes; fall back to the refreshed handoff.
  function takenBy(data) {
    if (!data || typeof data !== 'object') return '';
    const detail = data.detail && typeof data.detail === 'object' ? data.detail : data;
    if (detail.claimed_by) return displayName(detail.claimed_by) || String(detail.claimed_by);
    if (detail.handoff && detail.handoff.claimed_by) return displayName(detail.handoff.claimed_by);
    if (typeof detail.held_by === 'string') return detail.held_by;
    return '';
  }

  async function onReply(event) {
    event.preventDefault();
    const text = ui.replyText.value.trim();
    if (!text) {
      showActionError(TEXT.replyEmpty);
      ui.replyText.focus();
      return;
    }
    ui.replyButton.disabled = true;
    const result = await act('reply', { text });
    ui.replyButton.disabled = false;
    if (!result) return;
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    ui.replyText.value = '';
    await openHandoff(state.openId, { focus: false });
    showActionStatus(TEXT.replySent);
    ui.replyText.focus();
  }

  function onReplyKeyDown(event) {
    // Alt+S, or "/" in an empty box (as in Chatwoot), opens the saved replies.
    if ((event.altKey && event.code === 'KeyS') || (event.key === '/' && !ui.replyText.value)) {
      event.preventDefault();
      openSaved();
      return;
    }
    // Ctrl/Cmd+Enter sends; plain Enter is a new line, as in most staff tools.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      ui.replyForm.requestSubmit();
    }
  }

  async function onNote(event) {
    event.preventDefault();
    const text = ui.noteText.value.trim();
    if (!text) {
      showActionError(TEXT.noteEmpty);
      ui.noteText.focus();
      return;
    }
    ui.noteButton.disabled = true;
    const result = await act('notes', { text });
    ui.noteButton.disabled = false;
    if (!result) return;
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    ui.noteText.value = '';
    await openHandoff(state.openId, { focus: false });
    showActionStatus(TEXT.noteAdded);
    ui.noteText.focus();
  }

  async function onTransfer(event) {
    event.preventDefault();
    const value = ui.transferTarget.value;
    if (!value) {
      showActionError(TEXT.transferPick);
      ui.transferTarget.focus();
      return;
    }
    const [kind, ...rest] = value.split(':');
    const target = rest.join(':');
    const body = kind === 'team' ? { team: target } : { username: target };
    const label = ui.transferTarget.selectedOptions[0].textContent;
    const result = await act('transfer', body);
    if (!result) return;
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    await openHandoff(state.openId, { focus: false });
    showActionStatus(TEXT.transferred(label));
    refreshSoon();
    ui.detailHeading.focus();
  }

  async function onResolve() {
    const offered = ui.proposeAnswer.checked;
    const result = await act('resolve', { propose_answer: offered });
    if (!result) return;
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    ui.proposeAnswer.checked = false;
    await openHandoff(state.openId, { focus: false });
    showActionStatus(offered ? `${TEXT.resolved} ${TEXT.offered}` : TEXT.resolved);
    refreshSoon();
    ui.detailHeading.focus();
  }

  async function onReturn() {
    const result = await act('return');
    if (!result) return;
    if (!result.ok) {
      showActionError(problemText(result));
      return;
    }
    await openHandoff(state.openId, { focus: false });
    showActionStatus(TEXT.returned);
    refreshSoon();
    ui.detailHeading.focus();
  }

  // ---------------------------------------------------------------- live updates

  function connect() {
    if (!session.signedIn || state.socket) return;
    let socket;
    try {
      socket = new WebSocket(socketUrl(WS_PATH));
    } catch (error) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.addEventListener('open', () => {
      state.reconnectDelay = RECONNECT_MIN_MS;
      ui.connection.textContent = '';
      ui.connection.hidden = true;
      refreshSoon(); // catch up on anything missed while away
      if (state.openId) openHandoff(state.openId, { focus: false });
    });
    socket.addEventListener('message', (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      onEvent(data);
    });
    socket.addEventListener('close', () => {
      if (state.socket !== socket) return;
      state.socket = null;
      if (!session.signedIn) return;
      ui.connection.hidden = false;
      ui.connection.textContent = TEXT.reconnecting;
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    window.clearTimeout(state.reconnectTimer);
    const delay = state.reconnectDelay;
    state.reconnectDelay = Math.min(RECONNECT_MAX_MS, state.reconnectDelay * 2);
    state.reconnectTimer = window.setTimeout(async () => {
      if (!session.signedIn) return;
      // A closed socket may mean the session ended: ask before trying again.
      const me = await request('GET', 'me');
      if (me.ok) connect();
      else if (me.status !== 401) scheduleReconnect();
    }, delay);
  }

  function disconnect() {
    window.clearTimeout(state.reconnectTimer);
    const socket = state.socket;
    state.socket = null;
    if (socket) socket.close();
    ui.connection.textContent = '';
    ui.connection.hidden = true;
  }

  function onEvent(data) {
    if (!data || typeof data !== 'object') return;
    if (data.type === 'handoff.created' || data.type === 'handoff.updated') {
      const handoff = data.handoff;
      if (!handoff || typeof handoff !== 'object') return;
      if (data.type === 'handoff.created' && handoff.state === 'waiting') {
        state.fresh.add(handoff.id);
        announce(TEXT.newWaiting(reasonsOf(handoff).join(', ') || 'a citizen needs help'));
      }
      if (handoff.id === state.openId && state.open) {
        state.open = { ...state.open, ...handoff };
        renderFacts(state.open);
        const focusInActions = ui.actions.contains(document.activeElement);
        renderActions(state.open);
        if (focusInActions && document.activeElement === document.body) ui.detailHeading.focus();
      }
      refreshSoon();
      return;
    }
    if (data.type === 'delivery') {
      if (data.handoff_id === state.openId) showDelivery(data);
      return;
    }
    if (data.type === 'typing') {
      if (data.handoff_id === state.openId && data.who === 'citizen') showCitizenTyping(true);
      return;
    }
    if (data.type === 'message') {
      const message = data.message;
      if (!message || typeof message !== 'object') return;
      if (data.handoff_id === state.openId) {
        if (message.role === 'citizen') showCitizenTyping(false);
        appendTranscriptItem(message);
      } else if (message.role === 'citizen') {
        announce(TEXT.newMessage);
      }
    }
  }

  // Waiting times on the cards move on without a reload.
  function tick() {
    if (session.signedIn && state.lists[state.view]) renderList(state.view);
  }

  // ---------------------------------------------------------------- start

  async function start() {
    const byId = (id) => document.getElementById(id);
    ui = {
      workspace: byId('workspace'),
      connection: byId('connection'),
      tabs: Array.from(document.querySelectorAll('[role="tab"]')),
      panels: VIEWS.map((view) => byId(`panel-${view}`)),
      waitingCount: byId('waiting-count'),
      detailHeading: byId('detail-heading'),
      detailEmpty: byId('detail-empty'),
      detailBody: byId('detail-body'),
      actionStatus: byId('action-status'),
      actionError: byId('action-error'),
      facts: byId('facts'),
      actions: byId('actions'),
      claimButton: byId('claim-button'),
      resolveButton: byId('resolve-button'),
      proposeField: byId('propose-field'),
      proposeAnswer: byId('propose-answer'),
      returnButton: byId('return-button'),
      transferForm: byId('transfer-form'),
      transferTarget: byId('transfer-target'),
      transcript: byId('transcript'),
      transcriptLog: byId('transcript-log'),
      suggestion: byId('suggestion'),
      suggestionNone: byId('suggestion-none'),
      suggestionQuestion: byId('suggestion-question'),
      suggestionText: byId('suggestion-text'),
      suggestionSources: byId('suggestion-sources'),
      suggestionUse: byId('suggestion-use'),
      replyForm: byId('reply-form'),
      replyText: byId('reply-text'),
      replyButton: byId('reply-button'),
      replyLocked: byId('reply-locked'),
      notes: byId('notes'),
      noteForm: byId('note-form'),
      noteText: byId('note-text'),
      noteButton: byId('note-button'),
      teamFilter: byId('team-filter'),
      searchForm: byId('search-form'),
      searchQ: byId('search-q'),
      searchReference: byId('search-reference'),
      searchFrom: byId('search-from'),
      searchTo: byId('search-to'),
      searchTeam: byId('search-team'),
      searchState: byId('search-state'),
      searchButton: byId('search-button'),
      searchClear: byId('search-clear'),
      searchStatus: byId('search-status'),
      searchResults: byId('search-results'),
      earlier: byId('earlier'),
      earlierList: byId('earlier-list'),
      typing: byId('typing'),
      savedOpen: byId('saved-open'),
      savedPanel: byId('saved-panel'),
      savedFilter: byId('saved-filter'),
      savedList: byId('saved-list'),
      savedTitle: byId('saved-title'),
      savedBody: byId('saved-body'),
      savedFor: byId('saved-for'),
      savedSave: byId('saved-save'),
    };
    ui.detailHeading.tabIndex = -1;
    ui.connection.hidden = true;

    tabs = window.FairhavenStaff.tablist({ tabs: ui.tabs, panels: ui.panels, onSelect: showView });
    ui.claimButton.addEventListener('click', onClaim);
    ui.resolveButton.addEventListener('click', onResolve);
    ui.returnButton.addEventListener('click', onReturn);
    ui.transferForm.addEventListener('submit', onTransfer);
    ui.replyForm.addEventListener('submit', onReply);
    ui.suggestionUse.addEventListener('click', onUseSuggestion);
    ui.replyText.addEventListener('keydown', onReplyKeyDown);
    ui.noteForm.addEventListener('submit', onNote);
    ui.replyText.addEventListener('input', onReplyInput);
    ui.teamFilter.addEventListener('change', () => renderList(state.view));
    ui.searchForm.addEventListener('submit', onSearch);
    ui.searchClear.addEventListener('click', clearSearch);
    ui.savedOpen.addEventListener('click', () => (ui.savedPanel.hidden ? openSaved() : closeSaved({ focusReply: true })));
    ui.savedFilter.addEventListener('input', renderSavedReplies);
    ui.savedFilter.addEventListener('keydown', onSavedFilterKeyDown);
    ui.savedPanel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        closeSaved({ focusReply: true });
      }
    });
    ui.savedTitle.addEventListener('keydown', (event) => { if (event.key === 'Enter') event.preventDefault(); });
    ui.savedSave.addEventListener('click', onSaveNewReply);
    window.setInterval(tick, CLOCK_TICK_MS);

    await session.start();
    document.body.classList.add('console--ready');
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
