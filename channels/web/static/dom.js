// Small DOM helpers that every page uses: the citizen chat, the caseworker console and the
// content editor, including how an assistant answer's lines become paragraphs and lists.
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

  // An assistant answer is written as lines: each running line is a paragraph, a line starting
  // with "- " is a list item (a run of them is one list), and a line ending in ":" labels the
  // items under it. Blank lines only separate. Old answers without lists come out as paragraphs.
  const LIST_ITEM = /^-\s+(?=\S)/;
  const LABEL_END = /:(\s*\[\d{1,3}\])*$/; // "Proof of identity (one document):", maybe "[2]"

  function answerBlocks(text) {
    const blocks = [];
    for (const raw of String(text).split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const item = line.match(LIST_ITEM);
      const last = blocks[blocks.length - 1];
      if (!item) blocks.push({ kind: 'paragraph', text: line, label: false });
      else if (last && last.kind === 'list') last.items.push(line.slice(item[0].length));
      else blocks.push({ kind: 'list', items: [line.slice(item[0].length)] });
    }
    // A label is a paragraph that introduces the list right after it.
    blocks.forEach((block, i) => {
      const next = blocks[i + 1];
      if (block.kind === 'paragraph' && next && next.kind === 'list') {
        block.label = LABEL_END.test(block.text);
      }
    });
    return blocks;
  }

  // Appends an answer as <p> and <ul><li>; appendLine(node, text) puts one line's words in
  // (by default as plain text; the chat page turns [n] markers into links there).
  function appendAnswer(container, text, appendLine = (node, line) => node.append(line)) {
    for (const block of answerBlocks(text)) {
      if (block.kind === 'paragraph') {
        const p = el('p', block.label ? 'answer-lines__p answer-lines__label' : 'answer-lines__p');
        appendLine(p, block.text);
        container.append(p);
      } else {
        const list = el('ul', 'answer-lines__list');
        for (const words of block.items) {
          const item = el('li', 'answer-lines__item');
          appendLine(item, words);
          list.append(item);
        }
        container.append(list);
      }
    }
    return container;
  }

  // A WebSocket address relative to the page, so it also works behind a path prefix.
  function socketUrl(path) {
    const url = new URL(path, document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  window.FairhavenDom = Object.freeze({
    el, visuallyHidden, safeWebUrl, socketUrl, appendAnswer,
  });
})();
