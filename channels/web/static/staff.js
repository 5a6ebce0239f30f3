// What the caseworker console and the content editor share: the signed-in staff member (signing
// in and out, the sign-in error summary, the CSRF-protected request helper and what the server's
// errors mean for a person), ARIA tabs, announcements, and how times and codes read.
//
// A plain script with no dependencies and no build step, loaded (deferred) after dom.js and
// before the page's own script; it defines window.FairhavenStaff and nothing else. Both pages
// have the same sign-in markup: #signin, #signin-form, #signin-error, #signin-button, #username,
// #password, #account, #account-name, #signout-button, #workspace and #announcer.
'use strict';

(() => {
  const { el } = window.FairhavenDom;

  // Relative, so the pages also work behind a path prefix (they are served at /console, /editor).
  const LOGIN_URL = 'api/staff/login';
  const LOGOUT_URL = 'api/staff/logout';
  const ME_URL = 'api/staff/me';

  const TEXT = {
    signinFailed: 'Enter a correct username and password.',
    usernameMissing: 'Enter your username.',
    passwordMissing: 'Enter your password.',
    server: 'Something went wrong on the server. Try again in a moment.',
    sessionEnded: 'Your session has ended. Sign in again.',
    signedOut: 'You have signed out.',
  };

  // ---------------------------------------------------------------- words

  function humanise(code) {
    const text = String(code).replace(/[_.-]+/g, ' ').trim();
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
  }

  // Readable words for a code the server gives; unknown codes are de-underscored.
  function readable(map, code) {
    if (typeof code !== 'string' || !code) return '';
    return Object.prototype.hasOwnProperty.call(map, code) ? map[code] : humanise(code);
  }

  // A user object from the API, or a username on its own.
  function displayName(user) {
    if (!user) return '';
    if (typeof user === 'string') return user;
    if (typeof user !== 'object') return '';
    return user.display_name || user.username || '';
  }

  // Times are UTC; one written without a zone is read as UTC too, not as local time.
  function parseTime(value) {
    if (typeof value !== 'string' || !value) return null;
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
    const time = Date.parse(zoned);
    return Number.isNaN(time) ? null : time;
  }

  // Today's times are only the clock ("14:05", or "today 14:05" where a bare clock could be
  // read as a date's); other days have the date too.
  function formatTime(value, { sayToday = false } = {}) {
    const parsed = parseTime(value);
    if (parsed === null) return typeof value === 'string' ? value : '';
    const date = new Date(parsed);
    const sameDay = date.toDateString() === new Date().toDateString();
    const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    if (sameDay) return sayToday ? `today ${clock}` : clock;
    return `${date.toLocaleDateString()} ${clock}`;
  }

  function announce(text) {
    const announcer = document.getElementById('announcer');
    // Cleared first so the same sentence twice is still read out.
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- tabs (ARIA tablist)

  // tabs[i] shows panels[i]; each tab's data-view names it. Arrow keys, Home and End move
  // between tabs; onSelect(view) loads what the chosen panel shows.
  function tablist({ tabs, panels, onSelect }) {
    function select(view, { focus }) {
      tabs.forEach((tab, index) => {
        const selected = tab.dataset.view === view;
        tab.setAttribute('aria-selected', selected ? 'true' : 'false');
        tab.tabIndex = selected ? 0 : -1;
        panels[index].hidden = !selected;
        if (selected && focus) tab.focus();
      });
      onSelect(view);
    }

    function onKeyDown(event) {
      const index = tabs.indexOf(event.currentTarget);
      let next = null;
      if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (index + 1) % tabs.length;
      if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') {
        next = (index - 1 + tabs.length) % tabs.length;
      }
      if (event.key === 'Home') next = 0;
      if (event.key === 'End') next = tabs.length - 1;
      if (next === null) return;
      event.preventDefault();
      select(tabs[next].dataset.view, { focus: true });
    }

    for (const tab of tabs) {
      tab.addEventListener('click', () => select(tab.dataset.view, { focus: true }));
      tab.addEventListener('keydown', onKeyDown);
    }
    return { select };
  }

  // ---------------------------------------------------------------- the signed-in staff member

  // api: the page's API prefix, which request() paths are relative to.
  // text: the page's own words; network is required, statuses maps an HTTP status to what is
  //   said when the server gives no reason of its own (say 403, or 413 for an upload).
  // onEnter(data, {focus}): signed in (data is /api/staff/me's); show the page's work.
  // onLeave(): signed out or the session ended; forget what the page holds.
  function session({ api, text, onEnter, onLeave }) {
    const words = { ...TEXT, ...text };
    const statuses = text.statuses || {};
    let user = null;
    let csrf = null;
    let signedIn = false;
    let ui = null;

    // Resolves to {ok, status, data}; never throws. A lost session sends the user to sign in.
    async function send(method, url, body, retry) {
      const headers = { Accept: 'application/json' };
      const isForm = typeof FormData !== 'undefined' && body instanceof FormData;
      if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
      if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
      let response;
      try {
        response = await fetch(url, {
          method,
          headers,
          credentials: 'same-origin',
          body: body === undefined ? undefined : (isForm ? body : JSON.stringify(body)),
        });
      } catch (error) {
        return { ok: false, status: 0, data: null };
      }
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      if (response.status === 401 && url !== LOGIN_URL && signedIn) {
        sessionEnded();
      } else if (response.status === 403 && method !== 'GET' && retry && url !== LOGIN_URL) {
        // The CSRF token may have been rotated: fetch a fresh one and try once more.
        const me = await send('GET', ME_URL, undefined, false);
        if (me.ok && me.data && typeof me.data.csrf_token === 'string') {
          csrf = me.data.csrf_token;
          return send(method, url, body, false);
        }
      }
      return { ok: response.ok, status: response.status, data };
    }

    // A JSON body is sent as JSON, FormData as a multipart form.
    function request(method, path, body) {
      return send(method, api + path, body, true);
    }

    // The server's own words for what went wrong, for a person; never a stack trace.
    function problemText(result) {
      if (result.status === 0) return words.network;
      const detail = result.data && result.data.detail;
      if (typeof detail === 'string' && detail) return detail;
      if (Array.isArray(detail) && detail.length) {
        // FastAPI's validation errors: say which field and what is wrong with it.
        return detail.map((item) => {
          if (!item || typeof item !== 'object') return String(item);
          const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body') : [];
          const field = loc.length ? humanise(String(loc[loc.length - 1])) : '';
          const message = typeof item.msg === 'string' ? item.msg : 'is not valid';
          return field ? `${field}: ${message}` : message;
        }).join(' ');
      }
      if (detail && typeof detail === 'object' && typeof detail.message === 'string') {
        return detail.message;
      }
      return statuses[result.status] || words.server;
    }

    // ---------------------------------------------------------------- signing in and out

    function showSignin(message) {
      signedIn = false;
      ui.workspace.hidden = true;
      ui.account.hidden = true;
      ui.signin.hidden = false;
      if (message) showSigninError([{ text: message, target: null }]);
      else hideSigninError();
    }

    function hideSigninError() {
      ui.signinError.hidden = true;
      ui.signinError.textContent = '';
      for (const input of [ui.username, ui.password]) input.removeAttribute('aria-invalid');
    }

    // A GOV.UK-style error summary: each problem with a field links to that field.
    function showSigninError(problems) {
      ui.signinError.textContent = '';
      ui.signinError.append(el('h2', 'error-summary__title', 'There is a problem'));
      const list = el('ul', 'error-summary__list');
      for (const problem of problems) {
        const item = el('li');
        if (problem.target) {
          const link = el('a', null, problem.text);
          link.href = `#${problem.target.id}`;
          link.addEventListener('click', (event) => {
            event.preventDefault();
            problem.target.focus();
          });
          item.append(link);
          problem.target.setAttribute('aria-invalid', 'true');
        } else {
          item.textContent = problem.text;
        }
        list.append(item);
      }
      ui.signinError.append(list);
      ui.signinError.hidden = false;
    }

    async function onSignin(event) {
      event.preventDefault();
      hideSigninError();
      const username = ui.username.value.trim();
      const password = ui.password.value;
      const problems = [];
      if (!username) problems.push({ text: words.usernameMissing, target: ui.username });
      if (!password) problems.push({ text: words.passwordMissing, target: ui.password });
      if (problems.length) {
        showSigninError(problems);
        ui.signinError.focus();
        return;
      }
      ui.signinButton.disabled = true;
      const result = await send('POST', LOGIN_URL, { username, password }, true);
      ui.signinButton.disabled = false;
      ui.password.value = '';
      if (!result.ok || !result.data || !result.data.user) {
        const problem = result.status === 401 || result.status === 403 || result.status === 422
          ? words.signinFailed
          : problemText(result);
        showSigninError([{ text: problem, target: null }]);
        ui.signinError.focus();
        return;
      }
      enter(result.data, { focus: true });
    }

    async function onSignout() {
      await send('POST', LOGOUT_URL, {}, true);
      leave();
      showSignin();
      announce(words.signedOut);
      ui.username.focus();
    }

    function sessionEnded() {
      if (!signedIn) return;
      leave();
      showSignin(words.sessionEnded);
      ui.username.focus();
    }

    function enter(data, { focus }) {
      user = data.user;
      csrf = typeof data.csrf_token === 'string' ? data.csrf_token : null;
      signedIn = true;
      ui.accountName.textContent = displayName(user);
      ui.account.hidden = false;
      ui.signin.hidden = true;
      hideSigninError();
      onEnter(data, { focus });
    }

    function leave() {
      signedIn = false;
      user = null;
      csrf = null;
      onLeave();
    }

    // The cookie outlives the page: ask who is signed in before showing anything.
    async function start() {
      const byId = (id) => document.getElementById(id);
      ui = {
        account: byId('account'),
        accountName: byId('account-name'),
        signoutButton: byId('signout-button'),
        signin: byId('signin'),
        signinForm: byId('signin-form'),
        signinError: byId('signin-error'),
        signinButton: byId('signin-button'),
        username: byId('username'),
        password: byId('password'),
        workspace: byId('workspace'),
      };
      ui.signinForm.addEventListener('submit', onSignin);
      ui.signoutButton.addEventListener('click', onSignout);
      const me = await send('GET', ME_URL, undefined, true);
      if (me.ok && me.data && me.data.user) enter(me.data, { focus: false });
      else showSignin();
    }

    return {
      get user() { return user; },
      get signedIn() { return signedIn; },
      request,
      problemText,
      start,
    };
  }

  window.FairhavenStaff = Object.freeze({
    humanise,
    readable,
    displayName,
    parseTime,
    formatTime,
    announce,
    tablist,
    session,
  });
})();
