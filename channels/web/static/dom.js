// Small DOM helpers that every page uses: the citizen chat, the caseworker console and the
// content editor.
//
// A plain script with no dependencies and no build step, loaded (deferred) before each page's
// own script; it defines window.FairhavenDom and nothing else. The pages' safety rule holds here
// too: text reaches the page through textContent, never innerHTML.
'use strict';

(() => {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function visuallyHidden(text) {
    return el('span', 'visually-hidden', text);
  }

  // Only http(s) links: a "javascript:" or "data:" URL from the server must never be a link.
  function safeWebUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
    } catch (error) {
      return null;
    }
  }

  // A WebSocket address relative to the page, so it also works behind a path prefix.
  function socketUrl(path) {
    const url = new URL(path, document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  window.FairhavenDom = Object.freeze({ el, visuallyHidden, safeWebUrl, socketUrl });
})();
