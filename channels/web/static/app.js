// The citizen chat page of the Fairhaven services assistant.
//
// Plain ES2020 with no dependencies and no build step. Safety rule for the whole file: every
// string that comes from the server or from the citizen reaches the page through textContent
// or createTextNode, never innerHTML, so markup in a message is shown literally, never run.
'use strict';

(() => {
  const API_URL = 'api/chat'; // relative, so the page also works behind a path prefix
  const STORAGE_KEY = 'fairhaven-assistant/conversation/v1';
  const MAX_STORED_MESSAGES = 200; // keeps localStorage well under its quota
  const REQUEST_TIMEOUT_MS = 45000;
  const COUNT_ANNOUNCE_DELAY_MS = 1000;
  const COUNT_WARNING_FRACTION = 0.1; // announce the count when 10% or less is left
  // The server recognises this sentence and replies with how to reach a person.
  const HANDOFF_MESSAGE = 'I want to talk to a person';
  const CITATION_MARKER = /\[(\d{1,3})\]/g;

  const TEXT = {
    you: 'You',
    assistant: 'Assistant',
    said: ' said:',
    thinking: 'Looking that up…',
    sources: 'Sources',
    newTab: ' (opens in a new tab)',
    sourcePrefix: 'source ',
    errorPrefix: 'Error: ',
    network: 'Sorry, we could not reach the assistant. Check your internet connection and try again.',
    server: 'Sorry, something went wrong on our side. Please try again in a moment.',
    keptInBox: ' Your question is still in the box.',
    suggestPerson: 'If this did not answer your question, you can talk to a person.',
    talkToPerson: 'Talk to a person',
    handoffTitle: 'Your request to talk to a person',
    handoffState: 'Status: ',
    handoffPosition: 'Your place in the queue: ',
    handoffReference: 'Reference: ',
    restarted: 'You started a new conversation.',
  };

  // Friendly words for handoff states the server may report; unknown ones are shown as-is.
  const HANDOFF_STATES = {
    requested: 'requested',
    queued: 'waiting for a person',
    waiting: 'waiting for a person',
    assigned: 'a person will reply soon',
    connected: 'connected to a person',
    active: 'connected to a person',
    closed: 'closed',
    resolved: 'closed',
    cancelled: 'cancelled',
  };

  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  const state = {
    sessionId: null,
    messages: [], // what is rendered and stored: {role, text, citations?, status?, handoff?}
    inFlight: false,
  };

  let ui = null; // element references, filled in by start()
  let countTimer = null;

  // ---------------------------------------------------------------- small DOM helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function visuallyHidden(text) {
    return el('span', 'visually-hidden', text);
  }

  function scrollBehavior() {
    return reduceMotion.matches ? 'auto' : 'smooth';
  }

  // ---------------------------------------------------------------- storage

  // localStorage can be disabled, full or hold an older format: any failure means a fresh start.
  function loadConversation() {
    try {
      const data = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || 'null');
      if (!data || !Array.isArray(data.messages)) return null;
      return {
        sessionId: typeof data.sessionId === 'string' ? data.sessionId : null,
        messages: data.messages.filter(isStorableMessage),
      };
    } catch (error) {
      return null;
    }
  }

  function saveConversation() {
    const messages = state.messages.slice(-MAX_STORED_MESSAGES);
    try {
      window.localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ sessionId: state.sessionId, messages }),
      );
    } catch (error) {
      // Not being able to save only means the conversation is not kept across a reload.
    }
  }

  function forgetConversation() {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // Nothing stored, nothing to forget.
    }
  }

  function isStorableMessage(message) {
    return Boolean(message) && (message.role === 'user' || message.role === 'assistant') &&
      typeof message.text === 'string';
  }

  // ---------------------------------------------------------------- rendering messages

  function renderMessage(message, index) {
    const isUser = message.role === 'user';
    const item = el('li', `message message--${isUser ? 'user' : 'assistant'}`);
    item.id = `message-${index}`;

    // "You said:" / "Assistant said:" for screen readers; the short name is also visible.
    const who = el('p', 'message__who', isUser ? TEXT.you : TEXT.assistant);
    who.append(visuallyHidden(TEXT.said));
    item.append(who);

    const body = el('p', 'message__text');
    const citations = isUser ? [] : validCitations(message.citations);
    appendTextWithCitations(body, message.text, citations, index);
    item.append(body);

    if (message.status === 'guardrail_crisis') item.classList.add('message--important');
    if (citations.length) item.append(renderSources(citations, index));
    if (message.handoff && typeof message.handoff === 'object') {
      item.append(renderHandoff(message.handoff));
    }
    if (isUnanswered(message.status)) item.append(renderPersonSuggestion());
    return item;
  }

  function validCitations(citations) {
    if (!Array.isArray(citations)) return [];
    return citations.filter((c) => c && Number.isInteger(c.n) && typeof c.title === 'string');
  }

  function isUnanswered(status) {
    return typeof status === 'string' &&
      (status.startsWith('unanswerable_') || status === 'guardrail_unsupported_answer');
  }

  // Turns "[1]" markers that match a citation into links to that source; all else stays text.
  function appendTextWithCitations(container, text, citations, index) {
    const known = new Set(citations.map((c) => c.n));
    let last = 0;
    for (const match of text.matchAll(CITATION_MARKER)) {
      const n = Number(match[1]);
      if (!known.has(n)) continue;
      container.append(document.createTextNode(text.slice(last, match.index)));
      container.append(renderCitationRef(n, index));
      last = match.index + match[0].length;
    }
    container.append(document.createTextNode(text.slice(last)));
  }

  function renderCitationRef(n, index) {
    const link = el('a', 'cite-ref');
    link.href = `#${sourceId(index, n)}`;
    link.append('[', visuallyHidden(TEXT.sourcePrefix), String(n), ']');
    return link;
  }

  function sourceId(index, n) {
    return `message-${index}-source-${n}`;
  }

  function renderSources(citations, index) {
    const wrapper = el('div', 'sources');
    const title = el('p', 'sources__title', TEXT.sources);
    title.id = `message-${index}-sources`;
    const list = el('ol', 'sources__list');
    list.setAttribute('aria-labelledby', title.id);
    for (const citation of citations) list.append(renderSource(citation, index));
    wrapper.append(title, list);
    return wrapper;
  }

  function renderSource(citation, index) {
    const item = el('li', 'sources__item');
    item.id = sourceId(index, citation.n);
    item.value = citation.n; // the list number matches the [n] marker in the text
    const label = citation.section ? `${citation.title}: ${citation.section}` : citation.title;
    const url = safeWebUrl(citation.url);
    if (!url) {
      item.append(el('span', 'sources__text', label));
      return item;
    }
    const link = el('a', 'sources__link', label);
    link.href = url.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.append(visuallyHidden(TEXT.newTab));
    // The web address helps people see the answer comes from an official site.
    item.append(link, el('span', 'sources__host', url.hostname));
    return item;
  }

  // Only http(s) links: a "javascript:" or "data:" URL in the knowledge base must never be a link.
  function safeWebUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
    } catch (error) {
      return null;
    }
  }

  function renderHandoff(handoff) {
    const box = el('div', 'handoff');
    box.append(el('p', 'handoff__title', TEXT.handoffTitle));
    if (typeof handoff.state === 'string') {
      box.append(el('p', 'handoff__line', TEXT.handoffState + describeHandoffState(handoff.state)));
    }
    if (Number.isInteger(handoff.position)) {
      box.append(el('p', 'handoff__line', TEXT.handoffPosition + handoff.position));
    }
    if (typeof handoff.id === 'string' && handoff.id) {
      box.append(el('p', 'handoff__line', TEXT.handoffReference + handoff.id));
    }
    return box;
  }

  function describeHandoffState(value) {
    const key = value.toLowerCase();
    return Object.prototype.hasOwnProperty.call(HANDOFF_STATES, key)
      ? HANDOFF_STATES[key]
      : value.replace(/_/g, ' ');
  }

  function renderPersonSuggestion() {
    const box = el('div', 'suggestion');
    box.append(el('p', 'suggestion__text', TEXT.suggestPerson));
    const button = el('button', 'button button--secondary js-handoff', TEXT.talkToPerson);
    button.type = 'button';
    button.disabled = state.inFlight;
    box.append(button);
    return box;
  }

  function appendToTranscript(message, index) {
    const item = renderMessage(message, index);
    ui.messages.append(item);
    updateChrome();
    return item;
  }

  // Shows the start of the new message, and the question box too when both fit on screen.
  function reveal(item) {
    const top = item.getBoundingClientRect().top;
    const bottom = ui.buttons.getBoundingClientRect().bottom;
    const target = bottom - top <= window.innerHeight ? ui.buttons : item;
    target.scrollIntoView({ block: target === item ? 'start' : 'end', behavior: scrollBehavior() });
  }

  // ---------------------------------------------------------------- page state

  function updateChrome() {
    const hasMessages = ui.messages.children.length > 0;
    ui.emptyState.hidden = hasMessages;
    ui.restart.hidden = state.messages.length === 0;
  }

  function setBusy(busy) {
    state.inFlight = busy;
    ui.status.textContent = '';
    if (busy) {
      ui.status.append(el('span', 'status__text', TEXT.thinking));
      const dots = el('span', 'status__dots');
      dots.setAttribute('aria-hidden', 'true');
      dots.append(el('span'), el('span'), el('span'));
      ui.status.append(dots);
    }
    ui.status.classList.toggle('status--busy', busy);
    ui.sendButton.disabled = busy;
    ui.restartButton.disabled = busy;
    for (const button of document.querySelectorAll('.js-handoff')) button.disabled = busy;
  }

  function showError(message, { invalid }) {
    ui.error.textContent = '';
    ui.error.append(visuallyHidden(TEXT.errorPrefix), message);
    ui.formGroup.classList.add('form-group--error');
    if (invalid) ui.input.setAttribute('aria-invalid', 'true');
    ui.input.setAttribute('aria-describedby', 'message-hint message-error message-count');
  }

  function clearError() {
    ui.error.textContent = '';
    ui.formGroup.classList.remove('form-group--error');
    ui.input.removeAttribute('aria-invalid');
    ui.input.setAttribute('aria-describedby', 'message-hint message-count');
  }

  // GOV.UK-style character count: always visible, announced only near the limit and after a pause.
  function updateCount() {
    const max = Number(ui.input.getAttribute('maxlength')) || 1000;
    const remaining = max - ui.input.value.length;
    const text = remaining >= 0
      ? `You have ${remaining} ${remaining === 1 ? 'character' : 'characters'} remaining`
      : `You have ${-remaining} ${remaining === -1 ? 'character' : 'characters'} too many`;
    ui.count.textContent = text;
    ui.count.classList.toggle('count--over', remaining < 0);

    window.clearTimeout(countTimer);
    if (remaining <= max * COUNT_WARNING_FRACTION) {
      countTimer = window.setTimeout(() => { ui.countLive.textContent = text; }, COUNT_ANNOUNCE_DELAY_MS);
    } else {
      ui.countLive.textContent = '';
    }
  }

  // ---------------------------------------------------------------- talking to the server

  // Resolves to {ok: true, data} or {ok: false, kind: 'invalid'|'server'|'network', message?}.
  async function postChat(message, sessionId) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(API_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ message, session_id: sessionId }),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      const data = await response.json().catch(() => null);
      if (response.ok && isChatResponse(data)) return { ok: true, data };
      if (response.status === 422) {
        return { ok: false, kind: 'invalid', message: validationMessage(data) };
      }
      return { ok: false, kind: 'server' };
    } catch (error) {
      return { ok: false, kind: 'network' };
    } finally {
      window.clearTimeout(timer);
    }
  }

  function isChatResponse(data) {
    return Boolean(data) && typeof data.session_id === 'string' && Boolean(data.reply) &&
      typeof data.reply.text === 'string';
  }

  // FastAPI puts the reason in detail[0].msg; the server words it for citizens.
  function validationMessage(data) {
    const first = data && Array.isArray(data.detail) ? data.detail[0] : null;
    return first && typeof first.msg === 'string' ? first.msg : null;
  }

  function errorText(result, keptInBox) {
    if (result.kind === 'invalid' && result.message) return result.message;
    const base = result.kind === 'network' ? TEXT.network : TEXT.server;
    return keptInBox ? base + TEXT.keptInBox : base;
  }

  // Sends one message. The citizen's words are shown at once; if the server does not take them
  // they are taken back out of the transcript and put back in the box, so nothing is lost.
  async function send(text, { fromBox }) {
    if (state.inFlight) return;
    ui.input.focus(); // before Send is disabled, so focus never falls back to the page
    clearError();

    const index = state.messages.length;
    const userMessage = { role: 'user', text };
    // A blank message still goes to the server, which owns the wording of the error.
    const pending = text.trim() ? appendToTranscript(userMessage, index) : null;
    if (fromBox) {
      ui.input.value = '';
      updateCount();
    }

    setBusy(true);
    const result = await postChat(text, state.sessionId);
    setBusy(false);

    if (result.ok) {
      acceptReply(userMessage, result.data);
      if (result.data.status === 'error_internal' && fromBox) restoreInput(text);
    } else {
      if (pending) pending.remove();
      updateChrome();
      if (fromBox) restoreInput(text);
      showError(errorText(result, fromBox), { invalid: result.kind === 'invalid' });
    }
    ui.input.focus();
  }

  function acceptReply(userMessage, data) {
    const reply = {
      role: 'assistant',
      text: data.reply.text,
      citations: validCitations(data.reply.citations),
      status: typeof data.status === 'string' ? data.status : null,
      handoff: data.handoff || null,
    };
    state.sessionId = data.session_id;
    state.messages.push(userMessage, reply);
    const item = appendToTranscript(reply, state.messages.length - 1);
    saveConversation();
    updateChrome();
    reveal(item);
  }

  // Puts the words back only if the citizen has not started typing something else meanwhile.
  function restoreInput(text) {
    if (ui.input.value === '') {
      ui.input.value = text;
      updateCount();
    }
  }

  function startNewConversation() {
    if (state.inFlight) return;
    state.sessionId = null;
    state.messages = [];
    forgetConversation();
    ui.messages.textContent = '';
    clearError();
    updateChrome();
    ui.status.textContent = TEXT.restarted;
    ui.input.focus();
  }

  // ---------------------------------------------------------------- wiring

  function onKeyDown(event) {
    // Enter sends, Shift+Enter is a new line; never send half-way through IME composition.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    send(ui.input.value, { fromBox: true });
  }

  function onSubmit(event) {
    event.preventDefault();
    send(ui.input.value, { fromBox: true });
  }

  // One listener for every "Talk to a person" button, including those inside replies.
  function onClick(event) {
    const button = event.target.closest('.js-handoff');
    if (button && !button.disabled) send(HANDOFF_MESSAGE, { fromBox: false });
  }

  function restore() {
    const saved = loadConversation();
    if (!saved) return;
    state.sessionId = saved.sessionId;
    state.messages = saved.messages;
    const items = state.messages.map((message, index) => renderMessage(message, index));
    ui.messages.append(...items);
  }

  function start() {
    const byId = (id) => document.getElementById(id);
    ui = {
      form: byId('ask-form'),
      formGroup: byId('form-group'),
      input: byId('message'),
      error: byId('message-error'),
      count: byId('message-count'),
      countLive: byId('message-count-live'),
      sendButton: byId('send-button'),
      buttons: document.querySelector('.button-group'),
      messages: byId('messages'),
      emptyState: byId('empty-state'),
      status: byId('status'),
      restart: byId('restart'),
      restartButton: byId('restart-button'),
    };
    restore();
    updateChrome();
    updateCount();

    ui.form.addEventListener('submit', onSubmit);
    ui.input.addEventListener('keydown', onKeyDown);
    ui.input.addEventListener('input', updateCount);
    ui.restartButton.addEventListener('click', startNewConversation);
    document.addEventListener('click', onClick);
    ui.form.hidden = false; // the form is only useful once this script is running
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
