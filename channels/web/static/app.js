// The citizen chat page of the Fairhaven services assistant.
//
// Plain ES2020 with no dependencies and no build step; small DOM helpers come from dom.js,
// loaded first. Safety rule for the whole file: every string that comes from the server or from
// the citizen reaches the page through textContent or createTextNode, never innerHTML, so
// markup in a message is shown literally, never run.
'use strict';

(() => {
  const { el, visuallyHidden, safeWebUrl, socketUrl, appendAnswer } = window.FairhavenDom;

  const API_URL = 'api/chat'; // relative, so the page also works behind a path prefix
  const STREAM_URL = 'api/chat/stream';
  // Set by the server when a language model writes answers: they are shown as written.
  const STREAMING = document.documentElement.dataset.streaming === 'true';
  const RATING_URL = 'api/chat/rating';
  const CALLBACK_URL = 'api/chat/callback';
  const FEEDBACK_URL = 'api/chat/feedback';
  const FEEDBACK_COMMENT_MAX_CHARS = 500; // a short note; the server would take up to 2000
  const SOCKET_PATH = 'ws/chat/';
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000;
  // The typing indicator (as in the caseworker console): a signal at most every 3 s while
  // the citizen types to a caseworker; "typing…" from the caseworker shows for 7 s at most.
  const TYPING_SEND_MS = 3000;
  const TYPING_SHOW_MS = 7000;
  const STORAGE_KEY = 'fairhaven-assistant/conversation/v1';
  const MAX_STORED_MESSAGES = 200; // keeps localStorage well under its quota
  const REQUEST_TIMEOUT_MS = 45000;
  const COUNT_ANNOUNCE_DELAY_MS = 1000;
  const COUNT_WARNING_FRACTION = 0.1; // announce the count when 10% or less is left
  const LANGUAGE_URL = 'api/chat/language';
  const CITATION_MARKER = /\[(\d{1,3})\]/g;

  const TEXT = {
    you: 'You',
    assistant: 'Assistant',
    said: ' said:',
    thinking: 'Looking that up…',
    sources: 'Sources',
    newTab: ' (opens in a new tab)',
    readMore: 'Read the whole section',
    opensOfficialPage: ' (opens the official page)',
    sourcePrefix: 'source ',
    errorPrefix: 'Error: ',
    network: 'Sorry, we could not reach the assistant. Check your internet connection and try again.',
    server: 'Sorry, something went wrong on our side. Please try again in a moment.',
    keptInBox: ' Your question is still in the box.',
    tooMany: 'You are sending messages faster than we can answer them. Please wait a minute and try again.',
    suggestPerson: 'If this did not answer your question, you can talk to a person.',
    offerLabel: 'Is this the page you mean?',
    offerYes: 'Yes, show me',
    offerNo: 'No',
    // What the buttons send, as if typed: the assistant reads them as a yes or a no.
    offerYesMessage: 'yes',
    offerNoMessage: 'no',
    talkToPerson: 'Talk to a person',
    handoffTitle: 'Your request to talk to a person',
    handoffNow: 'Talking to a person',
    handoffState: 'Status: ',
    handoffPosition: 'Your place in the queue: ',
    handoffReference: 'Reference: ',
    caseworkerTyping: 'The caseworker is typing…',
    restarted: 'You started a new conversation.',
    caseworker: 'Caseworker',
    system: 'Update',
    handoffWait: 'Expected wait: about ',
    handoffJoined: 'A caseworker has joined the conversation. Your messages go to them.',
    handoffResolved: 'The caseworker has finished this conversation.',
    handoffReturned: 'You are talking to the automated assistant again.',
    handoffAgain: 'You can ask the assistant a question, or talk to a person again.',
    handoffTransferredPerson: 'Your conversation has been passed to another caseworker. Your messages go to them now.',
    handoffTransferredTeam: 'Your conversation has been passed to the {team} team. A caseworker from that team will join you.',
    handoffCallback: 'Your message is with our caseworkers. Someone will contact you.',
    sentToCaseworker: 'Your message was sent to the caseworker.',
    reconnecting: 'Reconnecting to the caseworker…',
    ratingMissing: 'Choose a rating from 1 to 5.',
    ratingThanks: 'Thank you for rating your conversation.',
    ratingFailed: 'Sorry, we could not send your rating. Please try again.',
    callbackMissingMessage: 'Enter a message for the caseworker.',
    callbackMissingContact: 'Enter a phone number or email address so we can contact you.',
    callbackFailed: 'Sorry, we could not send your message. Please try again, or call 311.',
    feedbackQuestion: 'Was this helpful?',
    feedbackYes: 'Yes',
    feedbackNo: 'No',
    feedbackCommentLabel: 'What was missing? (optional)',
    feedbackCommentHint: 'Do not include personal details.',
    feedbackSend: 'Send',
    feedbackSendHidden: ' comment', // "Send" alone would sound like the question box's button
    feedbackThanks: 'Thank you for your feedback.',
    feedbackThanksAskMore: 'Thank you. You can tell us what was missing, if you want.',
    feedbackFailed: 'Sorry, we could not send your feedback. Please try again.',
    feedbackGone: 'Sorry, we could not save your feedback because this conversation has ended.',
    feedbackKept: ' Your comment is still in the box.',
    charactersLeft: 'You have {n} characters remaining',
    characterLeft: 'You have 1 character remaining',
    charactersOver: 'You have {n} characters too many',
    characterOver: 'You have 1 character too many',
    minuteOne: '1 minute',
    minutesMany: '{n} minutes',
    // The server recognises this sentence and replies with how to reach a person.
    handoffMessage: 'I want to talk to a person',
    languageSwitched: 'This page is now in English. The assistant will answer in English from now on.',
    languageSwitchFailed: 'Sorry, we could not change the language. Please try again.',
  };

  // Friendly words for handoff states the server may report; unknown ones are shown as-is.
  const HANDOFF_STATES = {
    requested: 'requested',
    queued: 'waiting for a person',
    waiting: 'waiting for a person',
    assigned: 'a person will reply soon',
    claimed: 'a caseworker has joined',
    returned: 'back with the automated assistant',
    callback_requested: 'a caseworker will contact you',
    connected: 'connected to a person',
    active: 'connected to a person',
    closed: 'closed',
    resolved: 'closed',
    cancelled: 'cancelled',
  };

  // The English words, kept: switching back to English puts them back.
  const ENGLISH_TEXT = { ...TEXT };
  const ENGLISH_STATES = { ...HANDOFF_STATES };

  // A page in another language carries its words as a JSON block (channels/web/page_text.py,
  // from the same catalog as the assistant's replies): they replace the English ones above.
  function useWords(block) {
    Object.assign(TEXT, ENGLISH_TEXT);
    Object.assign(HANDOFF_STATES, ENGLISH_STATES);
    if (!block) return;
    const words = JSON.parse(block.textContent);
    for (const [key, value] of Object.entries(words)) {
      if (key.startsWith('state_')) {
        const name = key.slice('state_'.length);
        HANDOFF_STATES[name] = value;
        if (name === 'waiting') HANDOFF_STATES.queued = value;
        if (name === 'connected') HANDOFF_STATES.active = value;
        if (name === 'closed') HANDOFF_STATES.resolved = value;
      } else if (typeof TEXT[key] === 'string') {
        TEXT[key] = value;
      }
    }
  }
  useWords(document.getElementById('page-text'));
  TEXT.minutes = (n) => (n === 1 ? TEXT.minuteOne : TEXT.minutesMany.replace('{n}', n));

  const ROLES = ['user', 'assistant', 'caseworker', 'system'];
  const LANGUAGES = ['en', 'es'];

  // The language the citizen chose with the page's switch (?lang=es, or the switch itself
  // mid-conversation), sent with every message so the assistant answers in it; null: the
  // assistant reads their language.
  const asked = new URLSearchParams(window.location.search).get('lang');
  let chosenLanguage = LANGUAGES.includes(asked) ? asked : null;

  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  const state = {
    sessionId: null,
    // What is rendered and stored: {role, text, citations?, more?, status?, handoff?,
    // feedback?}, where more is {url, section} when the answer quotes part of a section (older
    // stored answers have none), feedback is the citizen's saved verdict on an answer,
    // {helpful, finished}, and finished says the comment box that follows "No" has been sent
    // or closed.
    messages: [],
    inFlight: false,
    handoff: null, // the latest {id, state, position, expected_wait_minutes} from the server
    rating: 'none', // 'none' | 'offered' | 'done': the form after a caseworker resolves
    callback: 'none', // 'none' | 'offered' | 'done': the out-of-hours message form
    // The highest message number heard from the server itself (the live line or a catch-up),
    // not from the page's own turns: the live line asks for what came after it.
    liveSeq: 0,
  };

  // The live line to a caseworker (WS /ws/chat/{session_id}).
  const live = { socket: null, delay: RECONNECT_MIN_MS, timer: null, typingSentAt: 0, typingTimer: null };

  let ui = null; // element references, filled in by start()
  let countTimer = null;

  // ---------------------------------------------------------------- small DOM helpers

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
        handoff: data.handoff && typeof data.handoff === 'object' ? data.handoff : null,
        rating: ['none', 'offered', 'done'].includes(data.rating) ? data.rating : 'none',
        callback: ['none', 'offered', 'done'].includes(data.callback) ? data.callback : 'none',
        liveSeq: Number.isInteger(data.liveSeq) && data.liveSeq > 0 ? data.liveSeq : 0,
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
        JSON.stringify({
          sessionId: state.sessionId,
          messages,
          handoff: state.handoff,
          rating: state.rating,
          callback: state.callback,
          liveSeq: state.liveSeq,
        }),
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
    return Boolean(message) && ROLES.includes(message.role) && typeof message.text === 'string';
  }

  // ---------------------------------------------------------------- rendering messages

  function speakerName(message) {
    if (message.role === 'user') return TEXT.you;
    if (message.role === 'caseworker') {
      return message.author ? `${TEXT.caseworker} ${message.author}` : TEXT.caseworker;
    }
    if (message.role === 'system') return TEXT.system;
    return TEXT.assistant;
  }

  function renderMessage(message, index) {
    const isUser = message.role === 'user';
    const role = ROLES.includes(message.role) ? message.role : 'assistant';
    const item = el('li', `message message--${role}`);
    item.id = `message-${index}`;
    if (LANGUAGES.includes(message.lang)) item.lang = message.lang;

    // "You said:" / "Assistant said:" for screen readers; the short name is also visible.
    const who = el('p', 'message__who', speakerName(message));
    who.append(visuallyHidden(TEXT.said));
    item.append(who);

    const citations = role === 'assistant' ? validCitations(message.citations) : [];
    if (role === 'assistant') {
      // The answer's lines become paragraphs and lists; [n] markers link to the sources.
      const body = el('div', 'message__text answer-lines');
      const withLinks = (node, line) => appendTextWithCitations(node, line, citations, index);
      appendAnswer(body, message.text, withLinks);
      item.append(body);
      const more = renderReadMore(message.more, citations);
      if (more) item.append(more);
    } else {
      item.append(el('p', 'message__text', message.text)); // what a person typed, as typed
    }

    if (message.status === 'guardrail_crisis') item.classList.add('message--important');
    if (citations.length) item.append(renderSources(citations, index));
    if (message.handoff && typeof message.handoff === 'object') {
      item.append(renderHandoff(message.handoff));
    }
    if (message.offer && index === state.messages.length - 1) {
      item.append(renderOffer(message.offer));
    }
    if (isUnanswered(message.status)) item.append(renderPersonSuggestion());
    if (index === latestAnswerIndex()) item.append(renderFeedback(message, index));
    return item;
  }

  function validCitations(citations) {
    if (!Array.isArray(citations)) return [];
    return citations.filter((c) => c && Number.isInteger(c.n) && typeof c.title === 'string');
  }

  // {url, section} as the server sent it, or null; whether the URL may be a link is decided
  // when it is shown, so an answer stored by an older page is checked the same way.
  function validMore(more) {
    if (!more || typeof more !== 'object' || typeof more.url !== 'string') return null;
    return { url: more.url, section: typeof more.section === 'string' ? more.section : null };
  }

  // "Read the whole section: Fees" on the official page, when the answer quotes only part of
  // the section; a page's opening has no heading, so it is named after the cited page. The
  // name is visible (not only for screen readers) so everyone knows where the link goes.
  function renderReadMore(more, citations) {
    const valid = validMore(more);
    const url = valid && safeWebUrl(valid.url);
    if (!url) return null;
    const page = url.href.split('#')[0];
    const cited = citations.find((c) => typeof c.url === 'string' && c.url.split('#')[0] === page);
    const name = (valid.section || (cited && cited.title) || '').trim();
    const link = el('a', 'read-more__link', name ? `${TEXT.readMore}: ${name}` : TEXT.readMore);
    link.href = url.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.append(visuallyHidden(TEXT.opensOfficialPage));
    const box = el('p', 'read-more');
    box.append(link);
    return box;
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

  // The request as it was made, in the reply that made it: only what stays true (its
  // reference). Where it stands now (place in line, a caseworker joined) changes, so it is
  // shown once, in the handoff panel below the transcript, never left behind here stale.
  function renderHandoff(handoff) {
    const box = el('div', 'handoff');
    box.append(el('p', 'handoff__title', TEXT.handoffTitle));
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

  // "Did you mean ...?": the page the assistant was not sure of, and a yes or a no to it,
  // sent as the citizen's next message. Only under the latest reply: any new message
  // takes it away.
  function validOffer(offer) {
    if (!offer || typeof offer !== 'object' || typeof offer.title !== 'string') return null;
    return { title: offer.title, url: safeWebUrl(offer.url) };
  }

  function renderOffer(offer) {
    const box = el('div', 'suggestion offer');
    box.setAttribute('role', 'group');
    const label = el('p', 'suggestion__text', TEXT.offerLabel + ' ');
    label.id = `offer-${state.messages.length}`;
    if (offer.url) {
      const link = el('a', null, offer.title);
      link.href = offer.url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.append(visuallyHidden(TEXT.newTab));
      label.append(link);
    } else {
      label.append(offer.title);
    }
    box.setAttribute('aria-labelledby', label.id);
    box.append(label);
    const yes = el('button', 'button js-offer', TEXT.offerYes);
    const no = el('button', 'button button--secondary js-offer', TEXT.offerNo);
    for (const [button, text] of [[yes, TEXT.offerYesMessage], [no, TEXT.offerNoMessage]]) {
      button.type = 'button';
      button.disabled = state.inFlight;
      button.addEventListener('click', () => send(text, { fromBox: false }));
      box.append(button);
    }
    return box;
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
    // "Was this helpful?" belongs to the latest reply only: a new reply takes it away.
    if (message.role === 'assistant') {
      for (const control of ui.messages.querySelectorAll('.feedback')) control.remove();
    }
    for (const offer of ui.messages.querySelectorAll('.offer')) offer.remove();
    const item = renderMessage(message, index);
    ui.messages.append(item);
    updateChrome();
    showPersonButtons();
    return item;
  }

  // "Talk to a person" (under the box and in replies that suggest it) is offered only while
  // no person is asked for or talking: hidden (so out of the tab order and the accessibility
  // tree) from the request until the caseworker resolves it or hands back to the assistant.
  // The handoff panel says where the request stands meanwhile.
  function showPersonButtons() {
    const open = handoffIsOpen();
    for (const button of document.querySelectorAll('.js-handoff')) button.hidden = open;
    for (const box of ui.messages.querySelectorAll('.suggestion')) box.hidden = open;
  }

  // Shows the start of the new message, and the question box too when both fit on screen.
  function reveal(item) {
    const top = item.getBoundingClientRect().top;
    const bottom = ui.buttons.getBoundingClientRect().bottom;
    const target = bottom - top <= window.innerHeight ? ui.buttons : item;
    target.scrollIntoView({ block: target === item ? 'start' : 'end', behavior: scrollBehavior() });
  }

  // ---------------------------------------------------------------- was this answer helpful?

  // The server records a verdict on the conversation's latest answered reply, so the question is
  // only asked when the latest reply is an answer: what the citizen rates is what gets recorded.
  function latestAnswerIndex() {
    for (let i = state.messages.length - 1; i >= 0; i -= 1) {
      const message = state.messages[i];
      if (message.role === 'assistant') return message.status === 'answered' ? i : -1;
    }
    return -1;
  }

  function savedVerdict(message) {
    const verdict = message.feedback;
    return verdict && typeof verdict.helpful === 'boolean'
      ? { helpful: verdict.helpful, finished: verdict.finished === true }
      : null;
  }

  // The verdict is kept on the message, so it is saved with the conversation and a reload shows
  // it again. Yes and No are toggle buttons; "No" also opens an optional comment box.
  function renderFeedback(message, index) {
    const id = `message-${index}-feedback`;
    const box = el('div', 'feedback');
    box.id = id;

    const ask = el('div', 'feedback__ask');
    const question = el('p', 'feedback__question', TEXT.feedbackQuestion);
    question.id = `${id}-question`;
    const choices = el('div', 'feedback__choices');
    choices.setAttribute('role', 'group');
    choices.setAttribute('aria-labelledby', question.id);
    const yes = feedbackButton(TEXT.feedbackYes);
    const no = feedbackButton(TEXT.feedbackNo);
    choices.append(yes, no);
    ask.append(question, choices);

    // Read out at once, like an alert; not role="alert", which the page keeps for the question box.
    const error = el('p', 'error-message feedback__error');
    error.id = `${id}-error`;
    error.setAttribute('aria-live', 'assertive');
    error.setAttribute('aria-atomic', 'true');
    const thanks = el('p', 'feedback__thanks');
    thanks.setAttribute('role', 'status');

    const form = el('form', 'feedback__form');
    form.noValidate = true;
    const label = el('label', 'feedback__label', TEXT.feedbackCommentLabel);
    label.htmlFor = `${id}-comment`;
    const hint = el('p', 'hint feedback__hint', TEXT.feedbackCommentHint);
    hint.id = `${id}-comment-hint`;
    const comment = el('textarea', 'textarea textarea--short');
    comment.id = `${id}-comment`;
    comment.rows = 2;
    comment.maxLength = FEEDBACK_COMMENT_MAX_CHARS;
    comment.setAttribute('aria-describedby', hint.id);
    const send = el('button', 'button button--secondary', TEXT.feedbackSend);
    send.type = 'submit';
    send.append(visuallyHidden(TEXT.feedbackSendHidden));
    form.append(label, hint, comment, send);

    box.append(ask, error, thanks, form);
    const parts = { yes, no, error, thanks, form, comment, hint, busy: false };
    yes.addEventListener('click', () => chooseHelpful(message, parts, true));
    no.addEventListener('click', () => chooseHelpful(message, parts, false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      sendFeedbackComment(message, parts);
    });
    showVerdict(message, parts);
    return box;
  }

  function feedbackButton(text) {
    const button = el('button', 'button button--secondary feedback__button', text);
    button.type = 'button';
    button.setAttribute('aria-pressed', 'false');
    return button;
  }

  function showVerdict(message, parts) {
    const verdict = savedVerdict(message);
    parts.yes.setAttribute('aria-pressed', String(Boolean(verdict) && verdict.helpful));
    parts.no.setAttribute('aria-pressed', String(Boolean(verdict) && !verdict.helpful));
    parts.form.hidden = !verdict || verdict.helpful || verdict.finished;
    let thanks = '';
    if (verdict) {
      thanks = verdict.helpful || verdict.finished ? TEXT.feedbackThanks : TEXT.feedbackThanksAskMore;
    }
    // A polite live region: only a change is read out, so the same words are not repeated.
    if (parts.thanks.textContent !== thanks) parts.thanks.textContent = thanks;
  }

  function showFeedbackError(parts, result, { withComment }) {
    parts.error.textContent = '';
    const text = result.status === 404 ? TEXT.feedbackGone
      : result.status === 429 ? limitMessage(result.data) : TEXT.feedbackFailed;
    parts.error.append(
      visuallyHidden(TEXT.errorPrefix),
      withComment ? text + TEXT.feedbackKept : text,
    );
    if (withComment) {
      parts.comment.setAttribute('aria-describedby', `${parts.hint.id} ${parts.error.id}`);
    }
  }

  function clearFeedbackError(parts) {
    parts.error.textContent = '';
    parts.comment.setAttribute('aria-describedby', parts.hint.id);
  }

  // Sends one verdict; on success it is saved with the conversation and shown. Nothing the
  // citizen typed is cleared here: that is for the caller, once the server has it.
  async function sendFeedback(message, parts, helpful, comment) {
    parts.busy = true;
    clearFeedbackError(parts);
    const result = await postJson(FEEDBACK_URL, { session_id: state.sessionId, helpful, comment });
    parts.busy = false;
    if (!result.ok) {
      showFeedbackError(parts, result, { withComment: comment !== null });
      return false;
    }
    message.feedback = { helpful, finished: comment !== null };
    saveConversation();
    showVerdict(message, parts);
    return true;
  }

  // Buttons are never disabled while sending, so keyboard focus stays where the citizen left it.
  function chooseHelpful(message, parts, helpful) {
    const verdict = savedVerdict(message);
    if (parts.busy || (verdict && verdict.helpful === helpful)) return;
    sendFeedback(message, parts, helpful, null);
  }

  async function sendFeedbackComment(message, parts) {
    if (parts.busy) return;
    const comment = parts.comment.value.trim();
    // "No" is already recorded: an empty comment just closes the box.
    const sent = comment
      ? await sendFeedback(message, parts, false, comment)
      : recordNoComment(message, parts);
    if (!sent) return;
    parts.comment.value = '';
    ui.input.focus(); // the box and its button have gone: the question box is what comes next
  }

  function recordNoComment(message, parts) {
    message.feedback = { helpful: false, finished: true };
    saveConversation();
    showVerdict(message, parts);
    return true;
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
    for (const button of document.querySelectorAll('.js-handoff, .js-offer')) {
      button.disabled = busy;
    }
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
      ? (remaining === 1 ? TEXT.characterLeft : TEXT.charactersLeft.replace('{n}', remaining))
      : (remaining === -1 ? TEXT.characterOver : TEXT.charactersOver.replace('{n}', -remaining));
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

  function chatBody(message, sessionId) {
    const body = { message, session_id: sessionId };
    if (chosenLanguage) body.language = chosenLanguage;
    return body;
  }

  // Resolves to {ok: true, data} or {ok: false, kind: 'invalid'|'server'|'network', message?}.
  async function postChat(message, sessionId) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(API_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(chatBody(message, sessionId)),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      const data = await response.json().catch(() => null);
      const seq = Number.parseInt(response.headers.get('X-Conversation-Seq') || '', 10);
      if (response.ok && isChatResponse(data)) {
        return { ok: true, data, seq: Number.isInteger(seq) && seq > 0 ? seq : null };
      }
      if (response.status === 422) {
        return { ok: false, kind: 'invalid', message: validationMessage(data) };
      }
      if (response.status === 429) return { ok: false, kind: 'limited', message: limitMessage(data) };
      return { ok: false, kind: 'server' };
    } catch (error) {
      return { ok: false, kind: 'network' };
    } finally {
      window.clearTimeout(timer);
    }
  }

  // The answer as the model writes it, then the checked answer. Drafts are shown but hidden
  // from screen readers: they hear the checked answer once, when it replaces the draft.
  // Resolves like postChat.
  async function postChatStream(message, sessionId) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(STREAM_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(chatBody(message, sessionId)),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const data = await response.json().catch(() => null);
        if (response.status === 422) {
          return { ok: false, kind: 'invalid', message: validationMessage(data) };
        }
        return { ok: false, kind: 'server' };
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (!event) continue;
          if (event.type === 'draft' && typeof event.data.text === 'string') {
            showDraft(event.data.text);
          } else if (event.type === 'reply' && isChatResponse(event.data)) {
            // The event's id is the server's number for the reply, as X-Conversation-Seq is.
            const seq = Number.parseInt(event.id || '', 10);
            return { ok: true, data: event.data, seq: Number.isInteger(seq) && seq > 0 ? seq : null };
          } else if (event.type === 'error') {
            return { ok: false, kind: 'server' };
          }
        }
      }
      return { ok: false, kind: 'server' };
    } catch (error) {
      return { ok: false, kind: 'network' };
    } finally {
      window.clearTimeout(timer);
      clearDraft();
    }
  }

  // One server-sent event ("event: draft\ndata: {...}"), or null if it is not one of ours.
  function parseEvent(block) {
    let type = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    try {
      const parsed = JSON.parse(data.join('\n'));
      return parsed && typeof parsed === 'object' ? { type, id, data: parsed } : null;
    } catch (error) {
      return null;
    }
  }

  let draft = null; // the answer being written, until the checked one replaces it

  function showDraft(piece) {
    if (!draft) {
      draft = el('li', 'message message--assistant message--draft');
      draft.setAttribute('aria-hidden', 'true');
      draft.append(el('p', 'message__who', TEXT.assistant), el('p', 'message__text'));
      ui.messages.append(draft);
      updateChrome();
    }
    draft.lastChild.textContent += piece; // text, never markup
  }

  function clearDraft() {
    if (draft) draft.remove();
    draft = null;
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

  // Over a limit (429) the server says, kindly, how long to wait; the page says so too.
  function limitMessage(data) {
    return data && typeof data.detail === 'string' ? data.detail : TEXT.tooMany;
  }

  function errorText(result, keptInBox) {
    if (result.kind === 'invalid' && result.message) return result.message;
    if (result.kind === 'limited') return keptInBox ? result.message + TEXT.keptInBox : result.message;
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
    const result = STREAMING
      ? await postChatStream(text, state.sessionId)
      : await postChat(text, state.sessionId);
    setBusy(false);

    if (result.ok) {
      keepRedacted(userMessage, result.data, pending);
      acceptReply(userMessage, result.data, result.seq);
      if (result.data.status === 'error_internal' && fromBox) restoreInput(text);
    } else {
      if (pending) pending.remove();
      updateChrome();
      if (fromBox) restoreInput(text);
      showError(errorText(result, fromBox), { invalid: result.kind === 'invalid' });
    }
    ui.input.focus();
  }

  // The server returns the message as it stored it, personal data replaced ("[CARD NUMBER]"):
  // that copy is what the page shows from now on and keeps in the browser, not what was typed.
  function keepRedacted(userMessage, data, pending) {
    if (typeof data.message !== 'string' || !data.message || data.message === userMessage.text) {
      return;
    }
    userMessage.text = data.message;
    if (pending) pending.replaceWith(renderMessage(userMessage, state.messages.length));
  }

  // seq is the server's number for the last message the turn stored (the reply's, or the
  // question's alone when a caseworker holds the conversation): kept for the merge on reload.
  function acceptReply(userMessage, data, seq) {
    if (state.sessionId !== data.session_id) state.liveSeq = 0; // a new conversation
    if (data.status === 'handoff_active') {
      // A caseworker holds the conversation: the assistant stays silent, the message went to them.
      if (seq) userMessage.seq = seq;
      state.sessionId = data.session_id;
      state.messages.push(userMessage);
      if (data.handoff) updateHandoff(data.handoff);
      saveConversation();
      updateChrome();
      ui.status.textContent = TEXT.sentToCaseworker;
      return;
    }
    const reply = {
      role: 'assistant',
      text: data.reply.text,
      citations: validCitations(data.reply.citations),
      more: validMore(data.reply.more),
      status: typeof data.status === 'string' ? data.status : null,
      handoff: data.handoff || null,
      offer: validOffer(data.offer),
    };
    // The language the turn was read and answered in: each message says it (lang), so a
    // screen reader reads a Spanish exchange on the English page with Spanish voices.
    if (LANGUAGES.includes(data.language)) {
      userMessage.lang = data.language;
      reply.lang = data.language;
      const shown = ui.messages.lastElementChild;
      if (shown && shown.id === `message-${state.messages.length}`) shown.lang = data.language;
    }
    if (seq) {
      userMessage.seq = seq - 1;
      reply.seq = seq;
    }
    state.sessionId = data.session_id;
    state.messages.push(userMessage, reply);
    const item = appendToTranscript(reply, state.messages.length - 1);
    if (data.handoff) updateHandoff(data.handoff);
    if (data.status === 'handoff_callback_offered' && state.callback !== 'done') {
      state.callback = 'offered';
    }
    renderHandoffPanel();
    saveConversation();
    updateChrome();
    reveal(item);
  }

  // ---------------------------------------------------------------- talking to a caseworker

  // While any of these hold, a caseworker may write: the page keeps a live line open.
  const OPEN_HANDOFF_STATES = [
    'waiting', 'queued', 'requested', 'claimed', 'assigned', 'active', 'connected',
    'callback_requested',
  ];

  function handoffIsOpen() {
    return Boolean(state.handoff) && OPEN_HANDOFF_STATES.includes(String(state.handoff.state));
  }

  // Takes the server's latest word on the handoff and keeps the page (and the socket) in step.
  // An event may say what a caseworker did (change: 'joined' | 'transferred', with the team
  // for a transfer back to the line); that is kept, to be told in the panel, until the state
  // moves on without one (a place in the new team's line keeps it).
  function updateHandoff(handoff) {
    if (!handoff || typeof handoff !== 'object' || typeof handoff.id !== 'string') return;
    const previous = state.handoff;
    const same = Boolean(previous) && previous.id === handoff.id;
    const merged = same ? { ...previous, ...handoff } : { ...handoff };
    if (!('change' in handoff) && !(same && previous.state === handoff.state)) {
      merged.change = null;
      merged.team = null;
    }
    if (merged.change !== 'transferred' || typeof merged.team !== 'string') merged.team = null;
    // The chat reply carries no estimate: keep the last one the socket gave while still waiting.
    if (!('expected_wait_minutes' in handoff) && merged.state !== 'waiting') {
      merged.expected_wait_minutes = null;
    }
    state.handoff = merged;
    if (merged.state === 'callback_requested') state.callback = 'done';
    renderHandoffPanel();
    saveConversation();
    if (handoffIsOpen()) connectLive();
    else if (merged.state !== 'resolved') disconnectLive();
  }

  // The box lives in a polite live region: it is only replaced when what it says changes,
  // so a screen reader hears each change once.
  function renderHandoffPanel() {
    const handoff = state.handoff;
    let box = null;
    if (handoff) {
      box = el('div', 'handoff handoff--current');
      box.append(el('p', 'handoff__title', TEXT.handoffNow));
      const key = String(handoff.state);
      const transferred = handoff.change === 'transferred';
      if (key === 'claimed' || key === 'active' || key === 'connected') {
        box.append(el('p', 'handoff__line', transferred ? TEXT.handoffTransferredPerson : TEXT.handoffJoined));
      } else if (key === 'resolved' || key === 'returned') {
        box.append(el('p', 'handoff__line', key === 'resolved' ? TEXT.handoffResolved : TEXT.handoffReturned));
        box.append(el('p', 'handoff__line', TEXT.handoffAgain));
      } else if (key === 'callback_requested') {
        box.append(el('p', 'handoff__line', TEXT.handoffCallback));
      } else {
        if (transferred && handoff.team) {
          box.append(el('p', 'handoff__line', TEXT.handoffTransferredTeam.replace('{team}', handoff.team)));
        }
        box.append(el('p', 'handoff__line', TEXT.handoffState + describeHandoffState(key)));
        if (Number.isInteger(handoff.position)) {
          box.append(el('p', 'handoff__line', TEXT.handoffPosition + handoff.position));
        }
        if (Number.isInteger(handoff.expected_wait_minutes) && handoff.expected_wait_minutes > 0) {
          box.append(el('p', 'handoff__line', TEXT.handoffWait + TEXT.minutes(handoff.expected_wait_minutes)));
        }
      }
      if (handoff.id) box.append(el('p', 'handoff__line handoff__ref', TEXT.handoffReference + handoff.id));
      if (live.timer && !live.socket && handoffIsOpen()) {
        box.append(el('p', 'handoff__line handoff__ref', TEXT.reconnecting));
      }
    }
    const before = ui.handoffLive.textContent;
    if (!box) {
      if (before) ui.handoffLive.textContent = '';
    } else if (box.textContent !== before) {
      ui.handoffLive.textContent = '';
      ui.handoffLive.append(box);
    }
    ui.ratingForm.hidden = state.rating !== 'offered';
    ui.callbackForm.hidden = state.callback !== 'offered';
    showPersonButtons();
  }

  // One socket while a handoff is open; it comes back with growing pauses if the line drops.
  function connectLive() {
    if (live.socket || live.timer || !state.sessionId || !('WebSocket' in window)) return;
    let socket;
    try {
      const path = `${SOCKET_PATH}${encodeURIComponent(state.sessionId)}?after=${state.liveSeq}`;
      socket = new WebSocket(socketUrl(path));
    } catch (error) {
      scheduleReconnect();
      return;
    }
    live.socket = socket;
    socket.addEventListener('open', () => {
      live.delay = RECONNECT_MIN_MS;
      renderHandoffPanel();
    });
    socket.addEventListener('message', (event) => {
      let data = null;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      onLiveEvent(data);
    });
    socket.addEventListener('close', () => {
      if (live.socket !== socket) return;
      live.socket = null;
      if (handoffIsOpen()) scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (live.timer) return;
    const delay = live.delay;
    live.delay = Math.min(RECONNECT_MAX_MS, live.delay * 2);
    live.timer = window.setTimeout(() => {
      live.timer = null;
      if (handoffIsOpen()) connectLive();
    }, delay);
    renderHandoffPanel();
  }

  function disconnectLive() {
    window.clearTimeout(live.timer);
    live.timer = null;
    live.delay = RECONNECT_MIN_MS;
    const socket = live.socket;
    live.socket = null;
    if (socket) socket.close();
  }

  function onTyping() {
    const socket = live.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !state.handoff || state.handoff.state !== 'claimed') return;
    const now = Date.now();
    if (now - live.typingSentAt < TYPING_SEND_MS) return;
    live.typingSentAt = now;
    socket.send(JSON.stringify({ type: 'typing' }));
  }

  function showCaseworkerTyping(show) {
    window.clearTimeout(live.typingTimer);
    ui.typing.textContent = show ? TEXT.caseworkerTyping : '';
    if (show) live.typingTimer = window.setTimeout(() => { ui.typing.textContent = ''; }, TYPING_SHOW_MS);
  }

  function onLiveEvent(data) {
    if (!data || typeof data !== 'object') return;
    if (data.type === 'typing') {
      if (data.who === 'caseworker') showCaseworkerTyping(true);
      return;
    }
    if (data.type === 'message' && typeof data.text === 'string' && data.role === 'caseworker') {
      showCaseworkerTyping(false);
    }
    if (data.type === 'message' && typeof data.text === 'string') {
      const role = data.role === 'caseworker' || data.role === 'system' ? data.role : null;
      if (!role) return;
      const message = { role, text: data.text, author: data.author || null, at: data.at || null };
      if (Number.isInteger(data.seq) && data.seq > 0) message.seq = data.seq;
      if (message.seq) state.liveSeq = Math.max(state.liveSeq, message.seq);
      const duplicate = state.messages.some((m) => (message.seq && m.seq === message.seq) ||
        (m.role === role && m.at && m.at === message.at && m.text === message.text));
      if (duplicate) {
        saveConversation();
        return;
      }
      state.messages.push(message);
      const item = appendToTranscript(message, state.messages.length - 1);
      saveConversation();
      reveal(item);
    } else if (data.type === 'handoff') {
      updateHandoff(data);
    } else if (data.type === 'resolved') {
      if (state.rating === 'none') state.rating = 'offered';
      const id = typeof data.id === 'string' ? data.id : state.handoff && state.handoff.id;
      updateHandoff({ id, state: 'resolved', position: null, expected_wait_minutes: null });
      disconnectLive();
    }
  }

  async function postJson(url, body) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      const data = await response.json().catch(() => null);
      return { ok: response.ok, status: response.status, data };
    } catch (error) {
      return { ok: false, status: 0, data: null };
    }
  }

  async function onRatingSubmit(event) {
    event.preventDefault();
    ui.ratingError.textContent = '';
    const chosen = ui.ratingForm.querySelector('input[name="rating"]:checked');
    if (!chosen) {
      ui.ratingError.append(visuallyHidden(TEXT.errorPrefix), TEXT.ratingMissing);
      ui.ratingForm.querySelector('input[name="rating"]').focus();
      return;
    }
    const comment = ui.ratingComment.value.trim();
    ui.ratingButton.disabled = true;
    const result = await postJson(RATING_URL, {
      session_id: state.sessionId,
      rating: Number(chosen.value),
      comment: comment || null,
    });
    ui.ratingButton.disabled = false;
    if (!result.ok) {
      const text = result.status === 429 ? limitMessage(result.data) : TEXT.ratingFailed;
      ui.ratingError.append(visuallyHidden(TEXT.errorPrefix), text);
      return;
    }
    state.rating = 'done';
    saveConversation();
    renderHandoffPanel();
    ui.status.textContent = TEXT.ratingThanks;
    ui.input.focus();
  }

  async function onCallbackSubmit(event) {
    event.preventDefault();
    ui.callbackError.textContent = '';
    const message = ui.callbackMessage.value.trim();
    const contact = ui.callbackContact.value.trim();
    const problem = !message ? [TEXT.callbackMissingMessage, ui.callbackMessage]
      : !contact ? [TEXT.callbackMissingContact, ui.callbackContact] : null;
    if (problem) {
      ui.callbackError.append(visuallyHidden(TEXT.errorPrefix), problem[0]);
      problem[1].setAttribute('aria-invalid', 'true');
      problem[1].focus();
      return;
    }
    ui.callbackMessage.removeAttribute('aria-invalid');
    ui.callbackContact.removeAttribute('aria-invalid');
    ui.callbackButton.disabled = true;
    const result = await postJson(CALLBACK_URL, { session_id: state.sessionId, message, contact });
    ui.callbackButton.disabled = false;
    if (!result.ok) {
      const detail = result.status === 422 ? validationMessage(result.data)
        : result.status === 429 ? limitMessage(result.data) : null;
      ui.callbackError.append(visuallyHidden(TEXT.errorPrefix), detail || TEXT.callbackFailed);
      return;
    }
    state.callback = 'done';
    ui.callbackMessage.value = '';
    ui.callbackContact.value = '';
    if (result.data && result.data.handoff) updateHandoff(result.data.handoff);
    else updateHandoff({ ...(state.handoff || { id: '' }), state: 'callback_requested' });
    saveConversation();
    renderHandoffPanel();
    ui.input.focus();
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
    state.handoff = null;
    state.rating = 'none';
    state.callback = 'none';
    state.liveSeq = 0;
    disconnectLive();
    forgetConversation();
    renderHandoffPanel();
    ui.messages.textContent = '';
    clearError();
    updateChrome();
    ui.status.textContent = TEXT.restarted;
    ui.input.focus();
  }

  // ---------------------------------------------------------------- the language switch

  // The switch is a link to the page in the other language (it works without this script);
  // here it changes the page where it stands, mid-conversation: the server is told first
  // (the conversation keeps the language, and a caseworker sees it), then the page's words,
  // labels and lang change in place, and a status line says so once.
  async function switchLanguage(event) {
    const link = event.currentTarget;
    const language = link.getAttribute('hreflang');
    if (!LANGUAGES.includes(language) || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (state.inFlight || ui.switching) return;
    ui.switching = true;
    try {
      if (state.sessionId) {
        const told = await postJson(LANGUAGE_URL, { session_id: state.sessionId, language });
        // 404: the server no longer has the conversation; the next message starts one.
        if (!told.ok && told.status !== 404) {
          ui.status.textContent = told.status === 429 ? limitMessage(told.data) : TEXT.languageSwitchFailed;
          return;
        }
      }
      let page = null;
      try {
        const response = await fetch(`./?lang=${language}`, { headers: { Accept: 'text/html' }, cache: 'no-store' });
        if (response.ok) page = new DOMParser().parseFromString(await response.text(), 'text/html');
      } catch (error) {
        page = null;
      }
      if (!page) {
        ui.status.textContent = TEXT.languageSwitchFailed;
        return;
      }
      chosenLanguage = language;
      showPageIn(page, language);
    } finally {
      ui.switching = false;
    }
  }

  function showPageIn(page, language) {
    const words = new Map();
    for (const node of page.querySelectorAll('[data-i18n]')) words.set(node.dataset.i18n, node.textContent);
    for (const node of document.querySelectorAll('[data-i18n]')) {
      if (words.has(node.dataset.i18n)) node.textContent = words.get(node.dataset.i18n);
    }
    const attributes = new Map();
    for (const node of page.querySelectorAll('*')) {
      for (const { name } of node.attributes) {
        if (name.startsWith('data-i18n-')) {
          const target = name.slice('data-i18n-'.length);
          attributes.set(`${target}:${node.getAttribute(name)}`, node.getAttribute(target));
        }
      }
    }
    for (const node of document.querySelectorAll('*')) {
      for (const { name } of Array.from(node.attributes)) {
        if (!name.startsWith('data-i18n-')) continue;
        const target = name.slice('data-i18n-'.length);
        const value = attributes.get(`${target}:${node.getAttribute(name)}`);
        if (typeof value === 'string') node.setAttribute(target, value);
      }
    }
    useWords(page.getElementById('page-text'));
    document.documentElement.lang = language;
    const other = page.getElementById('language-switch');
    if (other) {
      for (const name of ['href', 'lang', 'hreflang']) ui.languageSwitch.setAttribute(name, other.getAttribute(name));
      ui.languageSwitch.textContent = other.textContent;
    }
    const query = new URLSearchParams(window.location.search);
    query.set('lang', language);
    window.history.replaceState(window.history.state, '', `?${query}`);

    // What is already on screen says its labels again in the new language, but a screen
    // reader should hear only that the language changed: the live regions are quiet while
    // they are redrawn, and speak again once the browser has drawn the change.
    const regions = [ui.transcript, ui.handoffLive];
    for (const region of regions) region.setAttribute('aria-live', 'off');
    renderAll();
    renderHandoffPanel();
    updateCount();
    window.requestAnimationFrame(() => window.requestAnimationFrame(() => {
      for (const region of regions) region.setAttribute('aria-live', 'polite');
    }));
    ui.status.textContent = TEXT.languageSwitched;
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
    if (button && !button.disabled) send(TEXT.handoffMessage, { fromBox: false });
  }

  function restore() {
    const saved = loadConversation();
    if (!saved) return;
    state.sessionId = saved.sessionId;
    state.messages = saved.messages;
    state.handoff = saved.handoff;
    state.rating = saved.rating;
    state.callback = saved.callback;
    state.liveSeq = saved.liveSeq;
    renderAll();
  }

  function renderAll() {
    ui.messages.textContent = '';
    const items = state.messages.map((message, index) => renderMessage(message, index));
    ui.messages.append(...items);
    showPersonButtons();
  }

  // ---------------------------------------------------------------- catching up from the server

  // The server's transcript is the record: what the page kept is shown at once, then every
  // message the server holds that the page has not got (a caseworker's reply sent while the
  // page was closed, on whichever replica) is put in its place by number. The page's own
  // copies stay (they keep the citizen's words as typed, the "read more" link and the verdict).
  async function catchUp() {
    if (!state.sessionId) return;
    const sessionId = state.sessionId;
    let response;
    try {
      response = await fetch(`${API_URL}/${encodeURIComponent(sessionId)}/messages`, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (error) {
      return; // offline: the kept copy is all there is for now
    }
    if (!response.ok || state.sessionId !== sessionId) return;
    const data = await response.json().catch(() => null);
    if (!data || !Array.isArray(data.messages)) return;
    const known = new Set(state.messages.filter((m) => m.seq).map((m) => m.seq));
    let added = 0;
    for (const stored of data.messages) {
      const message = fromServer(stored);
      if (!message) continue;
      if (message.role === 'caseworker') state.liveSeq = Math.max(state.liveSeq, message.seq);
      if (known.has(message.seq) || keptWithoutNumber(message)) continue;
      const at = state.messages.findIndex((m) => m.seq && m.seq > message.seq);
      if (at < 0) state.messages.push(message);
      else state.messages.splice(at, 0, message);
      added += 1;
    }
    saveConversation();
    if (added) {
      renderAll();
      updateChrome();
    }
  }

  // A copy kept by an older page has no numbers: its messages are matched by what they say.
  function keptWithoutNumber(message) {
    return state.messages.some((m) => !m.seq && m.role === message.role && m.text === message.text);
  }

  function fromServer(stored) {
    if (!stored || !Number.isInteger(stored.seq) || typeof stored.text !== 'string') return null;
    const role = stored.role === 'citizen' ? 'user' : stored.role;
    if (!ROLES.includes(role) || role === 'system' || (role === 'assistant' && !stored.text)) {
      return null;
    }
    const message = { role, text: stored.text, seq: stored.seq, at: stored.at || null };
    if (role === 'caseworker') message.author = stored.author || null;
    if (role === 'assistant') {
      message.citations = validCitations(stored.citations);
      message.status = typeof stored.status === 'string' ? stored.status : null;
    }
    return message;
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
      handoffLive: byId('handoff-live'),
      typing: byId('typing'),
      ratingForm: byId('rating-form'),
      ratingError: byId('rating-error'),
      ratingComment: byId('rating-comment'),
      ratingButton: byId('rating-button'),
      callbackForm: byId('callback-form'),
      callbackError: byId('callback-error'),
      callbackMessage: byId('callback-message'),
      callbackContact: byId('callback-contact'),
      callbackButton: byId('callback-button'),
      transcript: byId('transcript'),
      languageSwitch: byId('language-switch'),
      switching: false,
    };
    restore();
    updateChrome();
    updateCount();
    renderHandoffPanel();
    if (handoffIsOpen()) connectLive(); // survives a reload: the session id is stored
    catchUp();
    ui.ratingForm.addEventListener('submit', onRatingSubmit);
    ui.callbackForm.addEventListener('submit', onCallbackSubmit);

    ui.form.addEventListener('submit', onSubmit);
    ui.input.addEventListener('keydown', onKeyDown);
    ui.input.addEventListener('input', updateCount);
    ui.input.addEventListener('input', onTyping);
    ui.restartButton.addEventListener('click', startNewConversation);
    document.addEventListener('click', onClick);
    if (ui.languageSwitch) ui.languageSwitch.addEventListener('click', switchLanguage);
    ui.form.hidden = false; // the form is only useful once this script is running
    // The page behind a texted link (/a/{token}) offers the way to a person with a link to
    // #handoff-button: the button gets the focus (and so comes into view).
    const button = byId('handoff-button');
    if (window.location.hash === '#handoff-button' && !button.hidden) button.focus();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
