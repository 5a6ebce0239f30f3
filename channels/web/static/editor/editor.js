// The content editor: documents, drafts, preview, publish, history and reports.
//
// Plain ES2020 with no dependencies and no build step, built against the API's schema
// (docs/openapi.json; docs/api.md). Signing in, requests, tabs and small helpers come from
// ../dom.js and ../staff.js, loaded first. Safety rule for the whole file (as in the caseworker console):
// every string from the server reaches the page through textContent or createTextNode, never
// innerHTML, so markup in a document or a citizen's question is shown literally, never run.
'use strict';

(() => {
  const { el, visuallyHidden, appendAnswer } = window.FairhavenDom;
  const { humanise, readable, displayName } = window.FairhavenStaff;

  // Relative, so the editor also works behind a path prefix (it is served at /editor).
  const API = 'api/';
  const VIEWS = ['documents', 'drafts', 'preview', 'history', 'answers', 'reports'];
  const EDITOR_ROLES = ['editor', 'admin'];
  const FILTER_DEBOUNCE_MS = 250;
  const LIST_LIMIT = 6; // ids shown in an audit or publication summary before "and N more"
  const FIELD_NAMES = ['agency', 'topic', 'url', 'language', 'last_reviewed', 'review_due'];

  const TEXT = {
    loading: 'Loading…',
    noDocuments: 'No documents match. Clear the search or the filters to see them all.',
    noDrafts: 'There are no open drafts. Edit a document or add a new one to start a draft.',
    titleMissing: 'Enter a title.',
    markdownMissing: 'Enter the text of the document.',
    fileMissing: 'Choose a file to upload.',
    questionMissing: 'Enter a question to preview.',
    draftSaved: 'Draft saved. Nothing changes for citizens until you publish it.',
    draftUpdated: 'Draft updated. Nothing changes for citizens until you publish it.',
    draftDiscarded: 'Draft discarded.',
    retireMarked: 'Marked to be retired. It leaves the knowledge base when you publish.',
    retireConfirm: (title) => `Retire “${title}”? Once you publish, citizens no longer get answers from it.`,
    discardConfirm: (title) => `Discard the draft of “${title}”? Its changes are lost.`,
    undoConfirm: 'Go back to the version before the live one? Citizens get answers from it straight away.',
    restoreConfirm: (version) => `Make version ${version} live again? Citizens get answers from it straight away.`,
    publishAllConfirm: (count) => `Publish ${count === 1 ? 'the open draft' : `all ${count} open drafts`}? Citizens get answers from them straight away.`,
    publishOneConfirm: (title) => `Publish the draft of “${title}”? Citizens get answers from it straight away.`,
    published: (version) => `Published. Citizens now get answers from version ${version}.`,
    restored: (version) => `Done. Citizens now get answers from version ${version}.`,
    liveVersion: (version) => `Citizens get answers from version ${version}.`,
    noVersion: 'Nothing has been published yet.',
  };

  const ACTIONS = { upsert: 'Edit', retire: 'Retire' };

  const STATUSES = {
    answered: 'Answered',
    unanswerable_no_content: 'Not answered: nothing on this in the content',
    unanswerable_low_confidence: 'Not answered: not confident enough',
    unanswerable_out_of_scope: 'Not answered: out of scope',
  };

  const state = {
    view: 'documents',
    agencies: [],
    topics: [],
    version: null,
    open: null, // {doc, draft}: the document on screen and its open draft, if any
    drafts: [],
    // Warnings come only with the response that created or saved a draft (the draft list does
    // not repeat them), so the page keeps them for as long as it is open.
    warnings: new Map(),
    filterTimer: null,
    listSeq: 0,
    reportsSeq: 0,
    openSeq: 0, // the latest document asked for: an older answer arriving late is dropped
    answersSeq: 0,
    diffSeq: 0,
  };

  // Signing in and out, and every request to the server (staff.js).
  const session = window.FairhavenStaff.session({
    api: API,
    text: {
      network: 'The editor could not reach the server. Check your connection and try again.',
      statuses: {
        403: 'Your account cannot edit content.',
        413: 'That file is too large to upload.',
        415: 'That type of file cannot be read. Upload Markdown, HTML, PDF, Word or plain text.',
      },
    },
    onEnter: enter,
    onLeave: leave,
  });
  const { request, problemText } = session;

  let ui = null;
  let tabs = null;
  let confirmSeq = 0;

  // ---------------------------------------------------------------- small helpers

  function button(text, className, onClick) {
    const node = el('button', className || 'button', text);
    node.type = 'button';
    if (onClick) node.addEventListener('click', onClick);
    return node;
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  // A table of times over several days reads better with "today" than with a bare clock.
  function formatTime(value) {
    return window.FairhavenStaff.formatTime(value, { sayToday: true });
  }

  // A calendar date (YYYY-MM-DD) is shown as written in words, read in UTC so it never shifts.
  function isoDate(value) {
    if (typeof value !== 'string') return '';
    const match = /^(\d{4}-\d{2}-\d{2})/.exec(value);
    return match ? match[1] : '';
  }

  function formatDate(value) {
    const iso = isoDate(value);
    if (!iso) return typeof value === 'string' ? value : '';
    const date = new Date(`${iso}T00:00:00Z`);
    if (Number.isNaN(date.getTime())) return iso;
    return date.toLocaleDateString('en-GB', {
      timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric',
    });
  }

  function timeNode(value, formatter) {
    const node = el('time', null, formatter(value));
    if (typeof value === 'string' && value) node.dateTime = value;
    return node;
  }

  // Audit details and publication summaries may be text or small objects: show them as text.
  function describe(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) {
      const items = value.map(describe).filter(Boolean);
      if (items.length <= LIST_LIMIT) return items.join(', ');
      return `${items.slice(0, LIST_LIMIT).join(', ')} and ${items.length - LIST_LIMIT} more`;
    }
    if (typeof value === 'object') {
      return Object.entries(value)
        .map(([key, item]) => {
          const text = describe(item);
          return text ? `${humanise(key)}: ${text}` : '';
        })
        .filter(Boolean)
        .join('; ');
    }
    return '';
  }

  function table(caption, headers, rows) {
    const node = el('table', 'table');
    const cap = el('caption', 'visually-hidden', caption);
    node.append(cap);
    const head = el('thead');
    const headRow = el('tr');
    for (const header of headers) {
      const th = el('th', null, header);
      th.scope = 'col';
      headRow.append(th);
    }
    head.append(headRow);
    const body = el('tbody');
    for (const cells of rows) {
      const tr = el('tr');
      cells.forEach((cell, index) => {
        const td = el(index === 0 ? 'th' : 'td');
        if (index === 0) td.scope = 'row';
        td.dataset.label = headers[index];
        if (cell instanceof Node) td.append(cell);
        else if (cell !== null && cell !== undefined) td.textContent = String(cell);
        tr.append(td);
      });
      body.append(tr);
    }
    node.append(head, body);
    return node;
  }

  function rememberWarnings(draft) {
    if (draft && draft.id && Array.isArray(draft.warnings) && draft.warnings.length) {
      state.warnings.set(draft.id, draft.warnings.filter((w) => typeof w === 'string'));
    }
  }

  function warningsOf(draft) {
    if (!draft) return [];
    if (Array.isArray(draft.warnings) && draft.warnings.length) {
      return draft.warnings.filter((w) => typeof w === 'string');
    }
    return state.warnings.get(draft.id) || [];
  }

  // ---------------------------------------------------------------- messages per panel

  function say(area, text) {
    ui.errors[area].textContent = '';
    ui.statuses[area].textContent = text;
  }

  function fail(area, text) {
    ui.statuses[area].textContent = '';
    ui.errors[area].textContent = text;
    ui.errors[area].scrollIntoView({ block: 'nearest' });
  }

  function quiet(area) {
    ui.statuses[area].textContent = '';
    ui.errors[area].textContent = '';
  }

  // An inline "are you sure?" right after the control that asked: keyboard and screen-reader
  // friendly (a labelled group, focus on the confirm button, Escape cancels) where a
  // window.confirm dialog is not styled and is easy to dismiss by accident.
  function confirmAction(anchor, { text, yes }) {
    for (const open of document.querySelectorAll('.confirm')) open.dispatchEvent(new Event('cancel'));
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const id = `confirm-${++confirmSeq}`;
      const box = el('div', 'confirm');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-labelledby', id);
      const question = el('p', 'confirm__text', text);
      question.id = id;
      const row = el('div', 'button-row');
      const finish = (answer) => {
        box.remove();
        resolve(answer);
        if (!answer && opener && document.contains(opener)) opener.focus();
      };
      const yesButton = button(yes, 'button button--warning', () => finish(true));
      const noButton = button('Cancel', 'button button--secondary', () => finish(false));
      row.append(yesButton, noButton);
      box.append(question, row);
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          finish(false);
        }
      });
      box.addEventListener('cancel', () => {
        box.remove();
        resolve(false);
      });
      anchor.insertAdjacentElement('afterend', box);
      yesButton.focus();
    });
  }

  // ---------------------------------------------------------------- entering and leaving

  function enter(data, { focus }) {
    const { user } = data;
    if (!EDITOR_ROLES.includes(user.role)) {
      // Signed in, but not as an editor: say so plainly and show nothing else.
      ui.workspace.hidden = true;
      ui.noAccessName.textContent = displayName(user);
      ui.noAccessRole.textContent = readable({}, user.role) || 'unknown';
      ui.noAccess.hidden = false;
      if (focus) ui.noAccessHeading.focus();
      return;
    }
    ui.noAccess.hidden = true;
    ui.workspace.hidden = false;
    tabs.select('documents', { focus });
    refreshDraftCount();
  }

  function leave() {
    state.open = null;
    state.drafts = [];
    state.warnings.clear();
    for (const area of Object.keys(ui.statuses)) quiet(area);
    showList();
    ui.documentsTable.textContent = '';
    ui.draftsList.textContent = '';
    ui.publishResult.hidden = true;
    ui.previewResult.hidden = true;
    for (const id of ['versions', 'publications', 'audit', ...REPORTS.map((report) => report.id), 'answers']) {
      document.getElementById(id).textContent = '';
    }
    ui.draftsCount.hidden = true;
    ui.noAccess.hidden = true;
    state.reportsSeq += 1; // a report still on its way is for the account that left
    ui.reportsProgress.hidden = true;
    ui.reportsRefresh.disabled = false;
    ui.documentDiff.hidden = true;
  }

  // Called by the tabs (staff.js) when one is chosen.
  function showView(view) {
    state.view = view;
    if (view === 'documents') {
      if (state.open && !ui.documentView.hidden) refreshOpenDocument();
      else loadDocuments();
    }
    if (view === 'drafts') loadDrafts();
    if (view === 'answers') loadAnswers();
    if (view === 'history') loadHistory();
    if (view === 'reports') loadReports();
  }

  function showVersion(version) {
    state.version = typeof version === 'string' && version ? version : null;
    ui.liveVersion.textContent = state.version ? TEXT.liveVersion(state.version) : TEXT.noVersion;
  }

  // ---------------------------------------------------------------- documents: the list

  function filterQuery() {
    const params = new URLSearchParams();
    const q = ui.filterQ.value.trim();
    if (q) params.set('q', q);
    if (ui.filterAgency.value) params.set('agency', ui.filterAgency.value);
    if (ui.filterTopic.value) params.set('topic', ui.filterTopic.value);
    if (ui.filterOverdue.checked) params.set('overdue', 'true');
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  async function loadDocuments() {
    const seq = ++state.listSeq;
    if (!ui.documentsTable.hasChildNodes()) ui.documentsTable.append(el('p', 'hint', TEXT.loading));
    const result = await request('GET', `editor/documents${filterQuery()}`);
    if (!session.signedIn || seq !== state.listSeq) return;
    if (!result.ok || !result.data || !Array.isArray(result.data.documents)) {
      ui.documentsTable.textContent = '';
      fail('documents', problemText(result));
      return;
    }
    const data = result.data;
    showVersion(data.version);
    fillChoices(ui.filterAgency, data.agencies, 'All agencies');
    fillChoices(ui.filterTopic, data.topics, 'All topics');
    state.agencies = Array.isArray(data.agencies) ? data.agencies : state.agencies;
    state.topics = Array.isArray(data.topics) ? data.topics : state.topics;
    fillDatalist(ui.agencyOptions, state.agencies);
    fillDatalist(ui.topicOptions, state.topics);
    renderDocuments(data.documents);
  }

  function fillChoices(select, values, allLabel) {
    if (!Array.isArray(values)) return;
    const previous = select.value;
    select.textContent = '';
    select.append(new Option(allLabel, ''));
    for (const value of values) {
      if (typeof value === 'string' && value) select.append(new Option(value, value));
    }
    // A filter that matches nothing now still shows what was chosen.
    if (previous && !values.includes(previous)) select.append(new Option(previous, previous));
    select.value = previous;
  }

  function fillDatalist(list, values) {
    list.textContent = '';
    for (const value of values) {
      if (typeof value === 'string' && value) list.append(new Option(value, value));
    }
  }

  function documentBadges(doc) {
    const badges = el('span', 'badges');
    const draft = doc.draft && typeof doc.draft === 'object' ? doc.draft : null;
    if (!doc.live) badges.append(el('strong', 'badge badge--new-doc', 'New, not published'));
    else if (draft && draft.action === 'retire') badges.append(el('strong', 'badge badge--retire', 'To be retired'));
    else if (draft) badges.append(el('strong', 'badge badge--draft', 'Draft'));
    else badges.append(el('span', 'badge badge--plain', 'Live'));
    return badges;
  }

  function reviewDue(doc) {
    const cell = el('span', 'due');
    if (doc.review_due) cell.append(timeNode(doc.review_due, formatDate));
    else cell.append('Not set');
    if (doc.overdue) {
      cell.append(' ', el('strong', 'badge badge--overdue', 'Overdue'));
    }
    return cell;
  }

  function renderDocuments(documents) {
    const focusedId = ui.documentsTable.contains(document.activeElement)
      ? document.activeElement.dataset.docId
      : null;
    ui.documentsTable.textContent = '';
    ui.documentsCount.textContent = plural(documents.length, 'document', 'documents');
    if (!documents.length) {
      ui.documentsTable.append(el('p', 'empty-state', TEXT.noDocuments));
      return;
    }
    const rows = documents.map((doc) => {
      const title = el('span', 'doc-title');
      const open = button(doc.title || doc.doc_id, 'row-link', () => openDocument(doc.doc_id, { focus: true }));
      open.dataset.docId = doc.doc_id;
      title.append(open, el('span', 'doc-id', doc.doc_id));
      return [
        title,
        doc.agency || '',
        doc.topic || '',
        doc.last_reviewed ? timeNode(doc.last_reviewed, formatDate) : 'Never',
        reviewDue(doc),
        documentBadges(doc),
      ];
    });
    const node = table('Documents, sorted by title',
      ['Title', 'Agency', 'Topic', 'Last reviewed', 'Review due', 'Status'], rows);
    node.classList.add('table--documents');
    documents.forEach((doc, index) => {
      if (doc.overdue) node.tBodies[0].rows[index].classList.add('row--overdue');
    });
    ui.documentsTable.append(node);
    if (focusedId) {
      const again = ui.documentsTable.querySelector(`button[data-doc-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  function onFilterInput() {
    window.clearTimeout(state.filterTimer);
    state.filterTimer = window.setTimeout(loadDocuments, FILTER_DEBOUNCE_MS);
  }

  // ---------------------------------------------------------------- documents: one document

  function showList() {
    ui.listView.hidden = false;
    ui.documentView.hidden = true;
    ui.newView.hidden = true;
  }

  async function backToList() {
    const id = state.open && state.open.doc ? state.open.doc.doc_id : null;
    state.open = null;
    showList();
    await loadDocuments();
    const again = id
      ? ui.documentsTable.querySelector(`button[data-doc-id="${CSS.escape(id)}"]`)
      : null;
    if (again) again.focus();
    else ui.newDocumentButton.focus();
  }

  async function openDocument(docId, { focus, keepMessages = false }) {
    if (state.view !== 'documents') tabs.select('documents', { focus: false });
    const seq = ++state.openSeq;
    if (!keepMessages) quiet('documents');
    const result = await request('GET', `editor/documents/${encodeURIComponent(docId)}`);
    if (!session.signedIn || seq !== state.openSeq) return false;
    if (!result.ok || !result.data) {
      fail('documents', problemText(result));
      return false;
    }
    const doc = result.data;
    let draft = null;
    if (doc.draft && doc.draft.id) {
      const loaded = await request('GET', `editor/drafts/${encodeURIComponent(doc.draft.id)}`);
      if (seq !== state.openSeq) return false;
      if (loaded.ok && loaded.data) draft = loaded.data;
    }
    state.open = { doc, draft };
    renderDocument();
    ui.listView.hidden = true;
    ui.newView.hidden = true;
    ui.documentView.hidden = false;
    if (focus) ui.documentHeading.focus();
    return true;
  }

  // Back on the Documents tab after publishing or restoring: show the document as it is now,
  // or the list if it has gone (a new document whose draft was discarded or published away).
  async function refreshOpenDocument() {
    const docId = state.open.doc.doc_id;
    const seq = state.openSeq;
    const result = await request('GET', `editor/documents/${encodeURIComponent(docId)}`);
    // Another document asked for meanwhile (from a report, say): that one is shown.
    if (!session.signedIn || !state.open || state.open.doc.doc_id !== docId) return;
    if (seq !== state.openSeq) return;
    if (result.status === 404) {
      state.open = null;
      showList();
      loadDocuments();
      return;
    }
    if (result.ok) await openDocument(docId, { focus: false, keepMessages: true });
  }

  function renderDocument() {
    const { doc, draft } = state.open;
    const editing = draft && draft.action === 'upsert' ? draft : null;
    const source = editing || doc;
    const fields = (editing ? editing.fields : doc.fields) || {};
    const title = source.title || doc.title || doc.doc_id;

    ui.documentHeading.textContent = title;
    ui.documentBadges.textContent = '';
    ui.documentBadges.append(documentBadges({ ...doc, draft: draft || doc.draft }));
    if (doc.overdue) ui.documentBadges.append(' ', el('strong', 'badge badge--overdue', 'Overdue for review'));

    const note = [];
    if (draft) {
      const who = displayName(draft.updated_by || draft.created_by);
      const when = formatTime(draft.updated_at || draft.created_at);
      if (draft.action === 'retire') {
        note.push('This document is marked to be retired when drafts are next published. Discard the draft to keep it.');
      } else {
        note.push(`You are editing the open draft${who ? `, last saved by ${who}` : ''}${when ? ` ${when}` : ''}.`);
      }
      if (draft.conflict) note.push('The live document changed after this draft was started: check the text before you publish.');
      note.push(...warningsOf(draft));
    }
    ui.documentDraftNote.textContent = note.join(' ');
    ui.documentDraftNote.hidden = !note.length;
    ui.documentDraftNote.classList.toggle('notice--conflict', Boolean(draft && draft.conflict));

    ui.documentFacts.textContent = '';
    const fact = (term, value) => {
      if (value === null || value === undefined || value === '') return;
      const row = el('div', 'facts__row');
      const dd = el('dd');
      if (value instanceof Node) dd.append(value);
      else dd.textContent = String(value);
      row.append(el('dt', null, term), dd);
      ui.documentFacts.append(row);
    };
    fact('Document id', doc.doc_id);
    fact('Published', doc.live ? 'Yes' : 'No, only a draft so far');
    if (doc.live) fact('Passages', doc.chunk_count);
    if (draft && draft.source_name) fact('Uploaded file', draft.source_name);

    ui.docTitle.value = title;
    ui.docAgency.value = fields.agency || '';
    ui.docTopic.value = fields.topic || '';
    ui.docUrl.value = fields.url || '';
    ui.docLanguage.value = fields.language || '';
    ui.docLastReviewed.value = isoDate(fields.last_reviewed);
    ui.docReviewDue.value = isoDate(fields.review_due);
    ui.docMarkdown.value = (editing ? editing.markdown : doc.markdown) || '';

    showDocumentDiff(draft);

    const retiring = Boolean(draft && draft.action === 'retire');
    ui.saveDraftButton.hidden = retiring;
    ui.documentForm.classList.toggle('document-form--retiring', retiring);
    for (const input of ui.documentInputs) input.disabled = retiring;
    ui.discardDraftButton.hidden = !draft;
    ui.retireButton.hidden = !doc.live || retiring;
  }

  // ---------------------------------------------------------------- a draft against the live text

  // Unchanged text longer than this is cut to its ends: what changed stays in view, with
  // enough around it to find the place.
  const DIFF_CONTEXT = 160;

  async function fetchDiff(draftId) {
    const response = await request('GET', `editor/drafts/${encodeURIComponent(draftId)}/diff`);
    return response.ok && response.data ? response.data : null;
  }

  function diffSummary(diff) {
    if (diff.action === 'retire') return 'Publishing removes this document: all of its text goes.';
    if (!diff.live) return 'A new document: all of its text is added.';
    const added = Number(diff.inserted) || 0;
    const removed = Number(diff.deleted) || 0;
    if (!added && !removed && diff.title_before === diff.title_after) return 'The text is the same as the live text.';
    return `${plural(added, 'character', 'characters')} added, ${plural(removed, 'character', 'characters')} removed.`;
  }

  // Inserted text in <ins>, removed text in <del>; both also say so in words for screen
  // readers, which do not announce the elements themselves.
  function renderDiff(box, diff) {
    box.textContent = '';
    box.append(el('p', 'diff__summary', diffSummary(diff)));
    if (diff.live && diff.title_after && diff.title_before !== diff.title_after) {
      const title = el('p', 'diff__title', 'Title: ');
      const before = el('del', null);
      before.append(visuallyHidden('removed: '), diff.title_before || '');
      const after = el('ins', null);
      after.append(visuallyHidden('added: '), diff.title_after);
      title.append(before, ' ', after);
      box.append(title);
    }
    const changes = Array.isArray(diff.changes) ? diff.changes : [];
    if (!changes.some((c) => c.op !== 'equal')) return;
    const text = el('div', 'diff');
    changes.forEach((change, index) => {
      const value = String(change.text || '');
      if (change.op === 'insert' || change.op === 'delete') {
        const node = el(change.op === 'insert' ? 'ins' : 'del', null);
        node.append(visuallyHidden(change.op === 'insert' ? '[added: ' : '[removed: '), value, visuallyHidden(']'));
        text.append(node);
        return;
      }
      const first = index === 0;
      const last = index === changes.length - 1;
      if (value.length <= DIFF_CONTEXT * 2) {
        text.append(value);
      } else {
        const head = first ? '' : value.slice(0, DIFF_CONTEXT);
        const tail = last ? '' : value.slice(-DIFF_CONTEXT);
        text.append(head, el('span', 'diff__gap', ' … '), tail);
      }
    });
    box.append(text);
  }

  async function showDocumentDiff(draft) {
    const seq = ++state.diffSeq;
    if (!draft) {
      ui.documentDiff.hidden = true;
      return;
    }
    ui.documentDiffBody.textContent = TEXT.loading;
    ui.documentDiff.hidden = false;
    const diff = await fetchDiff(draft.id);
    if (seq !== state.diffSeq) return;
    if (!diff) {
      ui.documentDiffBody.textContent = 'The changes could not be shown. Reload the page to try again.';
      return;
    }
    renderDiff(ui.documentDiffBody, diff);
  }

  // Every field on the form is sent; an emptied one as "" (cleared), a field the form does
  // not have as null (left as it is, as the API reads null).
  function documentFields(prefix, { empty }) {
    const fields = {};
    for (const name of FIELD_NAMES) {
      const input = document.getElementById(`${prefix}-${name.replace(/_/g, '-')}`);
      if (!input) {
        fields[name] = null;
        continue;
      }
      const value = input.value.trim();
      fields[name] = value || empty;
    }
    return fields;
  }

  async function onSaveDraft(event) {
    event.preventDefault();
    if (!state.open) return;
    const title = ui.docTitle.value.trim();
    const markdown = ui.docMarkdown.value;
    if (!title) {
      fail('documents', TEXT.titleMissing);
      ui.docTitle.setAttribute('aria-invalid', 'true');
      ui.docTitle.focus();
      return;
    }
    if (!markdown.trim()) {
      fail('documents', TEXT.markdownMissing);
      ui.docMarkdown.setAttribute('aria-invalid', 'true');
      ui.docMarkdown.focus();
      return;
    }
    ui.docTitle.removeAttribute('aria-invalid');
    ui.docMarkdown.removeAttribute('aria-invalid');
    const fields = documentFields('doc', { empty: '' });
    const { doc, draft } = state.open;
    ui.saveDraftButton.disabled = true;
    let result;
    if (draft && draft.action === 'upsert') {
      result = await request('PUT', `editor/drafts/${encodeURIComponent(draft.id)}`, { title, markdown, fields });
    } else {
      result = await request('POST', 'editor/drafts', { doc_id: doc.doc_id, title, markdown, fields });
    }
    ui.saveDraftButton.disabled = false;
    if (!result.ok) {
      fail('documents', problemText(result));
      return;
    }
    rememberWarnings(result.data);
    await openDocument(doc.doc_id, { focus: false, keepMessages: true });
    say('documents', draft ? TEXT.draftUpdated : TEXT.draftSaved);
    refreshDraftCount();
  }

  async function onRetire() {
    if (!state.open) return;
    const { doc, draft } = state.open;
    // Retiring replaces the document's open draft, so say so when there is one.
    const lost = draft ? ' Your open draft of it is replaced.' : '';
    const sure = await confirmAction(ui.documentForm, {
      text: TEXT.retireConfirm(doc.title || doc.doc_id) + lost,
      yes: 'Yes, retire it',
    });
    if (!sure) return;
    const result = await request('POST', `editor/documents/${encodeURIComponent(doc.doc_id)}/retire`, {});
    if (!result.ok) {
      fail('documents', problemText(result));
      ui.retireButton.focus();
      return;
    }
    await openDocument(doc.doc_id, { focus: false, keepMessages: true });
    say('documents', TEXT.retireMarked);
    ui.documentHeading.focus();
    refreshDraftCount();
  }

  async function onDiscardOpenDraft() {
    if (!state.open || !state.open.draft) return;
    const { doc, draft } = state.open;
    const sure = await confirmAction(ui.documentForm, {
      text: TEXT.discardConfirm(draft.title || doc.title || doc.doc_id),
      yes: 'Yes, discard the draft',
    });
    if (!sure) return;
    const result = await request('DELETE', `editor/drafts/${encodeURIComponent(draft.id)}`);
    if (!result.ok) {
      fail('documents', problemText(result));
      return;
    }
    refreshDraftCount();
    if (!doc.live) {
      // A new document that was only ever a draft is gone with it.
      await backToList();
      say('documents', TEXT.draftDiscarded);
      return;
    }
    await openDocument(doc.doc_id, { focus: false, keepMessages: true });
    say('documents', TEXT.draftDiscarded);
    ui.documentHeading.focus();
  }

  // ---------------------------------------------------------------- documents: a new one

  function showNew() {
    quiet('documents');
    state.open = null;
    ui.listView.hidden = true;
    ui.documentView.hidden = true;
    ui.newView.hidden = false;
    ui.newHeading.focus();
  }

  function draftOutcome(draft, prefix) {
    const parts = [prefix];
    if (Array.isArray(draft.warnings) && draft.warnings.length) {
      parts.push(`Check: ${draft.warnings.filter((w) => typeof w === 'string').join(' ')}`);
    }
    return parts.join(' ');
  }

  async function onUpload(event) {
    event.preventDefault();
    const file = ui.uploadFile.files && ui.uploadFile.files[0];
    if (!file) {
      fail('documents', TEXT.fileMissing);
      ui.uploadFile.setAttribute('aria-invalid', 'true');
      ui.uploadFile.focus();
      return;
    }
    ui.uploadFile.removeAttribute('aria-invalid');
    const form = new FormData();
    form.append('file', file, file.name);
    const agency = ui.uploadAgency.value.trim();
    const topic = ui.uploadTopic.value.trim();
    if (agency) form.append('agency', agency);
    if (topic) form.append('topic', topic);
    ui.uploadButton.disabled = true;
    say('documents', `Uploading ${file.name}…`);
    const result = await request('POST', 'editor/drafts/upload', form);
    ui.uploadButton.disabled = false;
    if (!result.ok || !result.data) {
      fail('documents', problemText(result));
      ui.uploadFile.focus();
      return;
    }
    ui.uploadForm.reset();
    const draft = result.data;
    await afterNewDraft(draft, `Uploaded ${file.name} as a draft: “${draft.title || draft.doc_id}”.`);
  }

  async function onPaste(event) {
    event.preventDefault();
    const title = ui.pasteTitle.value.trim();
    const markdown = ui.pasteMarkdown.value;
    if (!title) {
      fail('documents', TEXT.titleMissing);
      ui.pasteTitle.setAttribute('aria-invalid', 'true');
      ui.pasteTitle.focus();
      return;
    }
    ui.pasteTitle.removeAttribute('aria-invalid');
    if (!markdown.trim()) {
      fail('documents', TEXT.markdownMissing);
      ui.pasteMarkdown.setAttribute('aria-invalid', 'true');
      ui.pasteMarkdown.focus();
      return;
    }
    ui.pasteMarkdown.removeAttribute('aria-invalid');
    const fields = documentFields('paste', { empty: null });
    ui.pasteButton.disabled = true;
    const result = await request('POST', 'editor/drafts', { doc_id: null, title, markdown, fields });
    ui.pasteButton.disabled = false;
    if (!result.ok || !result.data) {
      fail('documents', problemText(result));
      return;
    }
    ui.pasteForm.reset();
    const draft = result.data;
    await afterNewDraft(draft, `Saved a draft: “${draft.title || title}”.`);
  }

  async function afterNewDraft(draft, message) {
    rememberWarnings(draft);
    refreshDraftCount();
    const opened = draft.doc_id
      ? await openDocument(draft.doc_id, { focus: false, keepMessages: true })
      : false;
    if (!opened) showList();
    say('documents', draftOutcome(draft, `${message} Preview a question, or publish it from the Drafts tab.`));
    if (opened) ui.documentHeading.focus();
    else ui.newDocumentButton.focus();
  }

  // ---------------------------------------------------------------- drafts

  async function refreshDraftCount() {
    const result = await request('GET', 'editor/drafts');
    if (!session.signedIn || !result.ok || !result.data || !Array.isArray(result.data.drafts)) return;
    state.drafts = result.data.drafts;
    showDraftCount();
    if (state.view === 'drafts') renderDrafts();
  }

  function showDraftCount() {
    const count = state.drafts.length;
    ui.draftsCount.textContent = '';
    if (count) {
      ui.draftsCount.append(String(count), visuallyHidden(count === 1 ? ' open draft' : ' open drafts'));
      ui.draftsCount.hidden = false;
    } else {
      ui.draftsCount.hidden = true;
    }
  }

  async function loadDrafts() {
    if (!ui.draftsList.hasChildNodes()) ui.draftsList.append(el('p', 'hint', TEXT.loading));
    const result = await request('GET', 'editor/drafts');
    if (!session.signedIn) return;
    if (!result.ok || !result.data || !Array.isArray(result.data.drafts)) {
      ui.draftsList.textContent = '';
      fail('drafts', problemText(result));
      return;
    }
    state.drafts = result.data.drafts;
    showDraftCount();
    renderDrafts();
  }

  function draftKind(draft) {
    if (draft.action === 'retire') return 'Retire';
    if (draft.source_kind === 'edit') return 'Edit';
    if (draft.source_kind) return 'New document';
    return readable(ACTIONS, draft.action);
  }

  function renderDrafts() {
    const focusedId = ui.draftsList.contains(document.activeElement)
      ? document.activeElement.dataset.draftId
      : null;
    const focusedRole = focusedId ? document.activeElement.dataset.role : null;
    ui.draftsList.textContent = '';
    if (!state.drafts.length) {
      ui.draftsList.append(el('p', 'empty-state', TEXT.noDrafts));
      return;
    }
    const list = el('ul', 'draft-list');
    for (const draft of state.drafts) list.append(renderDraft(draft));
    ui.draftsList.append(list);
    if (focusedId) {
      const again = ui.draftsList.querySelector(
        `button[data-draft-id="${CSS.escape(focusedId)}"][data-role="${CSS.escape(focusedRole || '')}"]`,
      );
      if (again) again.focus();
    }
  }

  function renderDraft(draft) {
    const item = el('li', 'draft-card');
    if (draft.action === 'retire') item.classList.add('draft-card--retire');
    if (draft.conflict) item.classList.add('draft-card--conflict');
    const title = draft.title || draft.doc_id;
    item.append(el('h3', 'draft-card__title', title));

    const badges = el('p', 'badges');
    badges.append(el('strong', draft.action === 'retire' ? 'badge badge--retire' : 'badge', draftKind(draft)));
    if (draft.conflict) badges.append(el('strong', 'badge badge--overdue', 'Conflict'));
    const warnings = warningsOf(draft);
    if (warnings.length) {
      badges.append(el('strong', 'badge badge--warning', plural(warnings.length, 'warning', 'warnings')));
    }
    item.append(badges);

    const meta = el('p', 'draft-card__meta');
    const parts = [`Document id ${draft.doc_id}`];
    const who = displayName(draft.updated_by || draft.created_by);
    if (who) parts.push(`saved by ${who}`);
    const when = formatTime(draft.updated_at || draft.created_at);
    if (when) parts.push(when);
    if (draft.source_name) parts.push(`from ${draft.source_name}`);
    meta.textContent = parts.join(' · ');
    item.append(meta);

    if (draft.conflict) {
      item.append(el('p', 'draft-card__conflict',
        'The live document changed after this draft was started. Open it and check the text before you publish.'));
    }
    if (warnings.length) {
      const list = el('ul', 'draft-card__warnings');
      for (const warning of warnings) list.append(el('li', null, warning));
      item.append(list);
    }

    const actions = el('div', 'button-row');
    const open = button('Open', 'button button--secondary', () => openDocument(draft.doc_id, { focus: true }));
    const publishOne = button('Publish this draft', 'button');
    publishOne.addEventListener('click', () => publish([draft.id], publishOne, title));
    const discard = button('Discard', 'button button--secondary', () => discardDraft(draft, discard));
    for (const [node, role] of [[open, 'open'], [publishOne, 'publish'], [discard, 'discard']]) {
      node.dataset.draftId = draft.id;
      node.dataset.role = role;
      node.append(visuallyHidden(`: ${title}`));
    }
    const changesId = `draft-changes-${draft.id}`;
    const changes = button('Show changes', 'button button--secondary');
    changes.setAttribute('aria-expanded', 'false');
    changes.setAttribute('aria-controls', changesId);
    const changesBox = el('div', 'diff-box');
    changesBox.id = changesId;
    changesBox.hidden = true;
    changes.addEventListener('click', async () => {
      const opening = changes.getAttribute('aria-expanded') !== 'true';
      changes.setAttribute('aria-expanded', String(opening));
      changes.firstChild.textContent = opening ? 'Hide changes' : 'Show changes';
      changesBox.hidden = !opening;
      if (!opening) return;
      changesBox.textContent = TEXT.loading;
      const diff = await fetchDiff(draft.id);
      if (diff) renderDiff(changesBox, diff);
      else changesBox.textContent = 'The changes could not be shown. Reload the page to try again.';
    });
    changes.dataset.draftId = draft.id;
    changes.dataset.role = 'changes';
    changes.append(visuallyHidden(`: ${title}`));
    actions.append(open, changes, publishOne, discard);
    item.append(actions, changesBox);
    return item;
  }

  async function discardDraft(draft, anchor) {
    const sure = await confirmAction(anchor.parentElement, {
      text: TEXT.discardConfirm(draft.title || draft.doc_id),
      yes: 'Yes, discard the draft',
    });
    if (!sure) return;
    const result = await request('DELETE', `editor/drafts/${encodeURIComponent(draft.id)}`);
    if (!result.ok) {
      fail('drafts', problemText(result));
      return;
    }
    await loadDrafts();
    say('drafts', `${TEXT.draftDiscarded} “${draft.title || draft.doc_id}”.`);
    ui.publishAllButton.focus();
  }

  async function publish(draftIds, anchor, title) {
    quiet('drafts');
    if (state.drafts.length) {
      const place = anchor === ui.publishAllButton ? ui.panelHead(anchor) : anchor.parentElement;
      const sure = await confirmAction(place, {
        text: draftIds ? TEXT.publishOneConfirm(title) : TEXT.publishAllConfirm(state.drafts.length),
        yes: 'Yes, publish',
      });
      if (!sure) return;
    }
    ui.publishAllButton.disabled = true;
    say('drafts', 'Publishing… this can take a little while for long documents.');
    const result = await request('POST', 'editor/publish', { draft_ids: draftIds });
    ui.publishAllButton.disabled = false;
    if (!result.ok || !result.data) {
      fail('drafts', problemText(result));
      ui.publishAllButton.focus();
      return;
    }
    const data = result.data;
    showVersion(data.version);
    renderPublishResult(data);
    say('drafts', TEXT.published(data.version));
    await loadDrafts();
    ui.publishResult.focus();
  }

  function renderPublishResult(data) {
    ui.publishResultHeading.textContent = `Published version ${data.version}`;
    const body = ui.publishResultBody;
    body.textContent = '';
    const list = el('dl', 'facts');
    const add = (term, values) => {
      const row = el('div', 'facts__row');
      const dd = el('dd');
      if (Array.isArray(values)) {
        dd.textContent = values.length ? `${values.length}: ${values.join(', ')}` : 'None';
      } else {
        dd.textContent = String(values);
      }
      row.append(el('dt', null, term), dd);
      list.append(row);
    };
    add('Added', Array.isArray(data.added) ? data.added : []);
    add('Updated', Array.isArray(data.updated) ? data.updated : []);
    add('Removed', Array.isArray(data.removed) ? data.removed : []);
    if (Number.isFinite(data.embedded)) add('Passages embedded', data.embedded);
    if (Number.isFinite(data.seconds)) add('Time taken', `${data.seconds.toFixed(1)} seconds`);
    if (data.previous_version) add('Previous version', data.previous_version);
    body.append(list);
    body.append(el('p', 'hint', 'Changed your mind? Use “Undo last publish” on the History tab.'));
    ui.publishResult.hidden = false;
  }

  // ---------------------------------------------------------------- preview

  async function onPreview(event) {
    event.preventDefault();
    const question = ui.previewQuestion.value.trim();
    if (!question) {
      fail('preview', TEXT.questionMissing);
      ui.previewQuestion.setAttribute('aria-invalid', 'true');
      ui.previewQuestion.focus();
      return;
    }
    ui.previewQuestion.removeAttribute('aria-invalid');
    ui.previewButton.disabled = true;
    say('preview', 'Answering…');
    const result = await request('POST', 'editor/preview', { question });
    ui.previewButton.disabled = false;
    if (!result.ok || !result.data) {
      fail('preview', problemText(result));
      return;
    }
    const data = result.data;
    renderAnswer(ui.previewLive, data.live, { draftSide: false });
    renderAnswer(ui.previewDraft, data.draft, { draftSide: true, drafts: data.drafts });
    ui.previewResult.hidden = false;
    const drafts = Array.isArray(data.drafts) ? data.drafts.length : 0;
    say('preview', `Preview ready, with ${plural(drafts, 'open draft', 'open drafts')}. Today: ${statusWords(data.live)}. After publishing: ${statusWords(data.draft)}.`);
  }

  function statusWords(answer) {
    return answer && answer.status ? readable(STATUSES, answer.status) : 'no answer';
  }

  function renderAnswer(container, answer, { draftSide, drafts }) {
    container.textContent = '';
    if (!answer || typeof answer !== 'object') {
      container.append(el('p', 'empty-state', 'No answer.'));
      return;
    }
    const head = el('p', 'badges');
    const answered = answer.status === 'answered';
    head.append(el('strong', answered ? 'badge badge--answered' : 'badge badge--unanswered', statusWords(answer)));
    if (Number.isFinite(answer.confidence)) {
      head.append(el('span', 'badge badge--plain', `Confidence ${Math.round(answer.confidence * 100)}%`));
    }
    if (draftSide && Array.isArray(drafts)) {
      head.append(el('span', 'badge badge--plain', `With ${plural(drafts.length, 'open draft', 'open drafts')}`));
    }
    container.append(head);

    const reply = answer.reply && typeof answer.reply === 'object' ? answer.reply : {};
    if (reply.text) {
      container.append(appendAnswer(el('div', 'answer__text answer-lines'), reply.text));
    } else {
      container.append(el('p', 'answer__text', '(no reply)'));
    }

    const citations = Array.isArray(reply.citations) ? reply.citations : [];
    const cited = el('div', 'answer__block');
    cited.append(el('h4', 'answer__heading', 'Sources cited'));
    if (citations.length) {
      const list = el('ol', 'answer__citations');
      for (const citation of citations) {
        if (!citation || typeof citation !== 'object') continue;
        const li = el('li', 'answer__citation');
        if (Number.isInteger(citation.n)) li.value = citation.n;
        const label = citation.section ? `${citation.title}: ${citation.section}` : String(citation.title || citation.doc_id || '');
        li.append(el('span', 'answer__source', label), ' ', el('span', 'doc-id', citation.doc_id || ''));
        li.dataset.docId = citation.doc_id || '';
        list.append(li);
      }
      cited.append(list);
    } else {
      cited.append(el('p', 'hint', 'None.'));
    }
    container.append(cited);

    const passages = Array.isArray(answer.passages) ? answer.passages : [];
    const found = el('div', 'answer__block');
    found.append(el('h4', 'answer__heading', 'Passages found, best first'));
    if (passages.length) {
      const list = el('ol', 'passages');
      for (const passage of passages) {
        if (!passage || typeof passage !== 'object') continue;
        const li = el('li', passage.draft ? 'passage passage--draft' : 'passage');
        if (Number.isInteger(passage.rank)) li.value = passage.rank;
        li.dataset.docId = passage.doc_id || '';
        const top = el('p', 'passage__head');
        if (passage.draft) top.append(el('strong', 'badge badge--draft', 'Draft'), ' ');
        top.append(el('strong', null, passage.title || passage.doc_id || ''));
        if (passage.section) top.append(` · ${passage.section}`);
        if (Number.isFinite(passage.score)) top.append(el('span', 'passage__score', ` · score ${passage.score.toFixed(3)}`));
        li.append(top);
        if (passage.snippet) li.append(el('p', 'passage__snippet', passage.snippet));
        list.append(li);
      }
      found.append(list);
    } else {
      found.append(el('p', 'hint', 'None.'));
    }
    container.append(found);
  }

  // ---------------------------------------------------------------- history

  async function loadHistory() {
    const [versions, audit] = await Promise.all([
      request('GET', 'editor/versions'),
      request('GET', 'editor/audit?limit=100'),
    ]);
    if (!session.signedIn) return;
    if (!versions.ok || !versions.data) {
      fail('history', problemText(versions));
    } else {
      showVersion(versions.data.live);
      renderVersions(Array.isArray(versions.data.versions) ? versions.data.versions : []);
      renderPublications(Array.isArray(versions.data.publications) ? versions.data.publications : []);
    }
    if (!audit.ok || !audit.data) {
      if (versions.ok) fail('history', problemText(audit));
    } else {
      renderAudit(Array.isArray(audit.data.entries) ? audit.data.entries : []);
    }
  }

  function renderVersions(versions) {
    const box = document.getElementById('versions');
    const focusedVersion = box.contains(document.activeElement) ? document.activeElement.dataset.version : null;
    box.textContent = '';
    const earlier = versions.filter((v) => !v.live).length;
    ui.undoButton.disabled = !state.version || earlier === 0;
    if (!versions.length) {
      box.append(el('p', 'empty-state', TEXT.noVersion));
      return;
    }
    const rows = versions.map((version) => {
      const name = el('span', 'version-name');
      name.append(el('code', null, version.version));
      if (version.live) name.append(' ', el('strong', 'badge badge--answered', 'Live'));
      let action = '';
      if (!version.live) {
        action = button('Restore this version', 'button button--secondary button--small');
        action.dataset.version = version.version;
        action.append(visuallyHidden(` (${version.version})`));
        action.addEventListener('click', () => restore(version.version, action));
      }
      return [
        name,
        version.created_at ? timeNode(version.created_at, formatTime) : '',
        Number.isFinite(version.documents) ? version.documents : '',
        action,
      ];
    });
    const node = table('Published versions, newest first', ['Version', 'Created', 'Documents', 'Action'], rows);
    versions.forEach((version, index) => {
      if (version.live) node.tBodies[0].rows[index].classList.add('row--live');
    });
    box.append(node);
    if (focusedVersion) {
      const again = box.querySelector(`button[data-version="${CSS.escape(focusedVersion)}"]`);
      if (again) again.focus();
    }
  }

  function renderPublications(publications) {
    const box = document.getElementById('publications');
    box.textContent = '';
    if (!publications.length) {
      box.append(el('p', 'empty-state', 'Nothing has been published or restored here yet.'));
      return;
    }
    const rows = publications.map((item) => [
      item.at ? timeNode(item.at, formatTime) : '',
      item.action === 'restore' ? 'Restore' : 'Publish',
      item.version || '',
      item.previous_version || '',
      displayName(item.actor),
      describe(item.summary),
    ]);
    box.append(table('Publications, newest first', ['When', 'What', 'Version', 'Previous version', 'By', 'Summary'], rows));
  }

  function renderAudit(entries) {
    const box = document.getElementById('audit');
    box.textContent = '';
    if (!entries.length) {
      box.append(el('p', 'empty-state', 'No editor actions yet.'));
      return;
    }
    const rows = entries.map((entry) => [
      entry.at ? timeNode(entry.at, formatTime) : '',
      displayName(entry.actor) || 'System',
      el('code', null, entry.action || ''),
      entry.target || '',
      describe(entry.detail),
    ]);
    box.append(table('Audit log, newest first', ['When', 'Who', 'Action', 'Target', 'Detail'], rows));
  }

  async function onUndo() {
    quiet('history');
    const sure = await confirmAction(ui.historyHead, { text: TEXT.undoConfirm, yes: 'Yes, undo the last publish' });
    if (!sure) return;
    await doRestore(null);
    ui.undoButton.focus();
    if (ui.undoButton.disabled) ui.historyStatus.focus();
  }

  async function restore(version, anchor) {
    quiet('history');
    const row = anchor.closest('tr') ? anchor.closest('table') : anchor;
    const sure = await confirmAction(row, { text: TEXT.restoreConfirm(version), yes: 'Yes, restore it' });
    if (!sure) return;
    await doRestore(version);
    ui.historyStatus.focus();
  }

  async function doRestore(version) {
    const result = await request('POST', 'editor/restore', { version });
    if (!result.ok || !result.data) {
      fail('history', problemText(result));
      return;
    }
    showVersion(result.data.version);
    say('history', TEXT.restored(result.data.version));
    await loadHistory();
    refreshDraftCount();
  }

  // ---------------------------------------------------------------- reports

  // Each report fills in as its answer arrives (the gaps report groups questions by meaning
  // and is the slow one), each box says it is loading until then, and a progress bar says
  // how many are still to come: the tab is never blank while it waits.
  const REPORTS = [
    { id: 'gaps', path: 'editor/reports/gaps?days=30', render: (data) => renderGaps(data) },
    { id: 'stale', path: 'editor/reports/stale', render: (data) => renderStale(data.documents || []) },
    { id: 'translations', path: 'editor/reports/translations?all=true', render: (data) => renderTranslations(data.translations || []) },
    { id: 'cited', path: 'editor/reports/cited?days=30', render: (data) => renderCited(data.documents || []) },
    { id: 'feedback', path: 'editor/reports/feedback?days=90', render: (data) => renderFeedback(data.documents || []) },
  ];

  async function loadReports() {
    const seq = ++state.reportsSeq;
    const current = () => seq === state.reportsSeq && session.signedIn;
    let left = REPORTS.length;
    const progress = () => {
      ui.reportsProgressBar.max = REPORTS.length;
      ui.reportsProgressBar.value = REPORTS.length - left;
      ui.reportsProgressLabel.textContent = `Loading reports… ${REPORTS.length - left} of ${REPORTS.length} ready.`;
    };
    ui.reportsProgress.hidden = false;
    ui.reportsRefresh.disabled = true;
    progress();
    const problems = [];
    await Promise.all(REPORTS.map(async (report) => {
      const box = document.getElementById(report.id);
      const section = box.closest('section');
      section.setAttribute('aria-busy', 'true');
      box.textContent = '';
      box.append(el('p', 'loading-note', TEXT.loading));
      const response = await request('GET', report.path);
      if (!current()) return;
      section.removeAttribute('aria-busy');
      box.textContent = '';
      if (response.ok && response.data) report.render(response.data);
      else problems.push(problemText(response));
      left -= 1;
      progress();
    }));
    if (!current()) return;
    ui.reportsProgress.hidden = true;
    ui.reportsRefresh.disabled = false;
    if (problems.length) fail('reports', [...new Set(problems)].join(' '));
  }

  function trendWords(trend) {
    if (!trend || typeof trend !== 'object') return '';
    const now = Number(trend.this_week) || 0;
    const before = Number(trend.last_week) || 0;
    const direction = now > before ? 'up' : now < before ? 'down' : 'same as';
    return `This week ${now}, last week ${before} (${direction === 'same as' ? 'no change' : direction})`;
  }

  function renderGaps(data) {
    const box = document.getElementById('gaps');
    box.textContent = '';
    const groups = Array.isArray(data.groups) ? data.groups : [];
    box.append(el('p', 'report__total', `${plural(Number(data.total) || 0, 'question', 'questions')} not answered in the last ${data.days || 30} days.`));
    if (!groups.length) {
      box.append(el('p', 'empty-state', 'Nothing to do: every question found an answer.'));
      return;
    }
    const list = el('ul', 'gap-list');
    for (const group of groups) {
      const item = el('li', 'gap');
      item.append(el('h4', 'gap__label', group.label || 'Unlabelled'));
      const facts = el('p', 'gap__facts');
      facts.append(el('strong', 'badge', `Asked ${plural(Number(group.count) || 0, 'time', 'times')}`));
      const trend = trendWords(group.trend);
      if (trend) facts.append(' ', el('span', 'badge badge--plain gap__trend', trend));
      item.append(facts);
      if (group.statuses && typeof group.statuses === 'object') {
        const statuses = Object.entries(group.statuses)
          .map(([status, count]) => `${readable(STATUSES, status)}: ${count}`)
          .join('; ');
        if (statuses) item.append(el('p', 'gap__statuses', statuses));
      }
      const examples = Array.isArray(group.examples) ? group.examples : [];
      // The label is the most typical question: list the others only when there are others.
      if (examples.length > 1 || (examples.length === 1 && examples[0] !== group.label)) {
        item.append(el('p', 'gap__examples-title', 'What citizens asked'));
        const exampleList = el('ul', 'gap__examples');
        for (const example of examples) exampleList.append(el('li', null, example));
        item.append(exampleList);
      }
      const offered = Number(group.answers_offered) || 0;
      if (offered) {
        const note = el('p', 'gap__offered');
        note.append(`${plural(offered, 'caseworker answer', 'caseworker answers')} offered for this: see `);
        const go = button('From caseworkers', 'button button--secondary gap__offered-link', () => tabs.select('answers', { focus: true }));
        note.append(go);
        item.append(note);
      }
      if (group.last_asked) {
        const last = el('p', 'gap__meta', 'Last asked ');
        last.append(timeNode(group.last_asked, formatTime));
        item.append(last);
      }
      list.append(item);
    }
    box.append(list);
  }

  function docLink(doc) {
    const node = button(doc.title || doc.doc_id, 'row-link', () => openDocument(doc.doc_id, { focus: true }));
    node.dataset.docId = doc.doc_id;
    return node;
  }

  function renderStale(documents) {
    const box = document.getElementById('stale');
    box.textContent = '';
    if (!documents.length) {
      box.append(el('p', 'empty-state', 'No documents are overdue for review.'));
      return;
    }
    const rows = documents.map((doc) => [
      docLink(doc),
      doc.agency || '',
      doc.review_due ? timeNode(doc.review_due, formatDate) : '',
      Number.isFinite(doc.days_overdue) ? plural(doc.days_overdue, 'day', 'days') : '',
    ]);
    box.append(table('Documents overdue for review, most overdue first', ['Title', 'Agency', 'Review due', 'Overdue by'], rows));
  }

  // Whole days between two calendar dates (YYYY-MM-DD), or null when either is missing.
  function daysBetween(earlier, later) {
    const from = isoDate(earlier);
    const to = isoDate(later);
    if (!from || !to) return null;
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000);
  }

  function translationState(doc) {
    if (!doc.stale) return el('span', 'badge badge--plain', 'Up to date');
    const cell = el('span', 'due');
    if (!doc.original_title) {
      cell.append(el('strong', 'badge badge--overdue', 'Out of date'), ' The page it translates is no longer published.');
      return cell;
    }
    const days = daysBetween(doc.last_reviewed, doc.original_last_reviewed);
    cell.append(el('strong', 'badge badge--overdue', 'Out of date'));
    cell.append(days !== null && days > 0
      ? ` The page it translates was reviewed ${plural(days, 'day', 'days')} later.`
      : ' The page it translates was reviewed after it.');
    return cell;
  }

  function renderTranslations(translations) {
    const box = document.getElementById('translations');
    box.textContent = '';
    const stale = translations.filter((doc) => doc.stale).length;
    box.append(el('p', 'report__total', stale
      ? `${plural(stale, 'translation is', 'translations are')} out of date, of ${translations.length}.`
      : `Every translation is up to date (${plural(translations.length, 'translated page', 'translated pages')}).`));
    if (!translations.length) {
      box.append(el('p', 'empty-state', 'No page is marked as a translation of another (translation_of in its front matter).'));
      return;
    }
    const rows = translations.map((doc) => {
      const translation = el('span', 'doc-title');
      const link = docLink(doc);
      if (doc.language) link.lang = doc.language;
      translation.append(link, el('span', 'doc-id', doc.language ? `${doc.doc_id} (${doc.language})` : doc.doc_id));
      const original = el('span', 'doc-title');
      if (doc.original_title) {
        original.append(docLink({ doc_id: doc.translation_of, title: doc.original_title }), el('span', 'doc-id', doc.translation_of));
      } else {
        original.append(`${doc.translation_of} (no longer published)`);
      }
      return [
        translation,
        original,
        doc.last_reviewed ? timeNode(doc.last_reviewed, formatDate) : 'Never',
        doc.original_last_reviewed ? timeNode(doc.original_last_reviewed, formatDate) : '',
        translationState(doc),
      ];
    });
    const node = table('Translated pages and the pages they translate, out of date first',
      ['Translation', 'Translates', 'Translation reviewed', 'Original reviewed', 'Status'], rows);
    translations.forEach((doc, index) => {
      if (doc.stale) node.tBodies[0].rows[index].classList.add('row--overdue');
    });
    box.append(node);
  }

  function renderCited(documents) {
    const box = document.getElementById('cited');
    box.textContent = '';
    if (!documents.length) {
      box.append(el('p', 'empty-state', 'No answers have cited a document in this period.'));
      return;
    }
    const rows = documents.map((doc) => [docLink(doc), Number(doc.citations) || 0]);
    box.append(table('Most cited documents', ['Title', 'Citations'], rows));
  }

  function renderFeedback(documents) {
    const box = document.getElementById('feedback');
    box.textContent = '';
    if (!documents.length) {
      box.append(el('p', 'empty-state', 'No citizen feedback in this period.'));
      return;
    }
    const rows = documents.map((doc) => {
      let comments = '';
      if (Array.isArray(doc.comments) && doc.comments.length) {
        comments = el('ul', 'comments');
        for (const comment of doc.comments) comments.append(el('li', null, comment));
      }
      return [docLink(doc), Number(doc.helpful) || 0, Number(doc.not_helpful) || 0, comments];
    });
    box.append(table('Citizen feedback by document', ['Title', 'Helpful', 'Not helpful', 'Comments'], rows));
  }

  // ---------------------------------------------------------------- caseworkers' answers

  async function loadAnswers() {
    const seq = ++state.answersSeq;
    const box = ui.answersList;
    if (!box.hasChildNodes()) box.append(el('p', 'loading-note', TEXT.loading));
    box.setAttribute('aria-busy', 'true');
    const result = await request('GET', 'editor/proposals');
    if (seq !== state.answersSeq || !session.signedIn) return;
    box.removeAttribute('aria-busy');
    box.textContent = '';
    if (!result.ok || !result.data || !Array.isArray(result.data.groups)) {
      fail('answers', problemText(result));
      return;
    }
    renderAnswers(result.data.groups);
  }

  function renderAnswers(groups) {
    const box = ui.answersList;
    box.textContent = '';
    if (!groups.length) {
      box.append(el('p', 'empty-state', 'No answers are waiting. When a caseworker offers one as they resolve a conversation, it appears here.'));
      return;
    }
    const list = el('ul', 'gap-list answer-groups');
    groups.forEach((group, index) => list.append(renderAnswerGroup(group, index)));
    box.append(list);
  }

  function renderAnswerGroup(group, index) {
    const item = el('li', 'gap answer-group');
    const headingId = `answer-group-${index}`;
    const heading = el('h3', 'gap__label', group.label || 'Unlabelled');
    heading.id = headingId;
    item.append(heading);
    const proposals = Array.isArray(group.proposals) ? group.proposals : [];
    const facts = el('p', 'gap__facts');
    facts.append(el('strong', 'badge', plural(proposals.length, 'answer', 'answers')));
    item.append(facts);
    if (group.statuses && typeof group.statuses === 'object') {
      const statuses = Object.entries(group.statuses)
        .map(([status, count]) => `${readable(STATUSES, status)}: ${count}`)
        .join('; ');
      if (statuses) item.append(el('p', 'gap__statuses', `The assistant's reply — ${statuses}`));
    }
    const answers = el('ol', 'answer-list');
    for (const proposal of proposals) {
      const entry = el('li', 'answer-item');
      entry.append(el('p', 'answer-item__question', `Question: ${proposal.question}`));
      const quote = el('blockquote', 'answer-item__answer');
      for (const paragraph of String(proposal.answer || '').split(/\n{2,}/)) {
        quote.append(el('p', null, paragraph));
      }
      entry.append(quote);
      const meta = el('p', 'gap__meta', `Offered by ${proposal.proposed_by || 'a caseworker'}, `);
      meta.append(timeNode(proposal.proposed_at, formatTime));
      entry.append(meta);
      const dismiss = button('Leave out', 'button button--secondary', () => dismissAnswer(proposal, dismiss));
      dismiss.setAttribute('aria-label', `Leave out the answer to “${proposal.question}”`);
      entry.append(dismiss);
      answers.append(entry);
    }
    item.append(answers);
    const make = button('Make a draft', 'button', () => draftFromAnswers(group, make));
    make.setAttribute('aria-describedby', headingId);
    item.append(make);
    return item;
  }

  async function draftFromAnswers(group, anchor) {
    quiet('answers');
    anchor.disabled = true;
    const ids = (group.proposals || []).map((proposal) => proposal.id);
    const result = await request('POST', 'editor/proposals/draft', { proposal_ids: ids });
    anchor.disabled = false;
    if (!session.signedIn) return;
    if (!result.ok || !result.data) {
      fail('answers', problemText(result));
      return;
    }
    const draft = result.data;
    tabs.select('documents', { focus: false });
    await afterNewDraft(draft, `Made a draft from caseworkers' answers: “${draft.title}”. Check and edit it before you publish.`);
  }

  async function dismissAnswer(proposal, anchor) {
    const yes = await confirmAction(anchor, {
      text: `Leave the answer to “${proposal.question}” out of the knowledge base?`,
      yes: 'Yes, leave it out',
    });
    if (!yes) return;
    const result = await request('DELETE', `editor/proposals/${encodeURIComponent(proposal.id)}`);
    if (!session.signedIn) return;
    if (!result.ok) {
      fail('answers', problemText(result));
      return;
    }
    await loadAnswers();
    say('answers', 'Answer left out.');
    ui.answersRefresh.focus();
  }

  // ---------------------------------------------------------------- start

  async function start() {
    const byId = (id) => document.getElementById(id);
    const areas = ['documents', 'drafts', 'answers', 'preview', 'history', 'reports'];
    ui = {
      noAccess: byId('no-access'),
      noAccessHeading: byId('no-access-heading'),
      noAccessName: byId('no-access-name'),
      noAccessRole: byId('no-access-role'),
      workspace: byId('workspace'),
      liveVersion: byId('live-version'),
      tabs: Array.from(document.querySelectorAll('#tabs [role="tab"]')),
      panels: VIEWS.map((view) => byId(`panel-${view}`)),
      statuses: Object.fromEntries(areas.map((area) => [area, byId(`${area}-status`)])),
      errors: Object.fromEntries(areas.map((area) => [area, byId(`${area}-error`)])),
      draftsCount: byId('drafts-count'),
      // documents
      listView: byId('documents-list-view'),
      newDocumentButton: byId('new-document-button'),
      filters: byId('filters'),
      filterQ: byId('filter-q'),
      filterAgency: byId('filter-agency'),
      filterTopic: byId('filter-topic'),
      filterOverdue: byId('filter-overdue'),
      documentsCount: byId('documents-count'),
      documentsTable: byId('documents-table-wrap'),
      agencyOptions: byId('agency-options'),
      topicOptions: byId('topic-options'),
      documentView: byId('document-view'),
      documentBack: byId('document-back'),
      documentHeading: byId('document-heading'),
      documentBadges: byId('document-badges'),
      documentDraftNote: byId('document-draft-note'),
      documentFacts: byId('document-facts'),
      documentForm: byId('document-form'),
      docTitle: byId('doc-title'),
      docAgency: byId('doc-agency'),
      docTopic: byId('doc-topic'),
      docUrl: byId('doc-url'),
      docLanguage: byId('doc-language'),
      docLastReviewed: byId('doc-last-reviewed'),
      docReviewDue: byId('doc-review-due'),
      docMarkdown: byId('doc-markdown'),
      saveDraftButton: byId('save-draft-button'),
      discardDraftButton: byId('discard-draft-button'),
      retireButton: byId('retire-button'),
      newView: byId('new-view'),
      newBack: byId('new-back'),
      newHeading: byId('new-heading'),
      uploadForm: byId('upload-form'),
      uploadFile: byId('upload-file'),
      uploadAgency: byId('upload-agency'),
      uploadTopic: byId('upload-topic'),
      uploadButton: byId('upload-button'),
      pasteForm: byId('paste-form'),
      pasteTitle: byId('paste-title'),
      pasteMarkdown: byId('paste-markdown'),
      pasteButton: byId('paste-button'),
      // drafts
      publishAllButton: byId('publish-all-button'),
      publishResult: byId('publish-result'),
      publishResultHeading: byId('publish-result-heading'),
      publishResultBody: byId('publish-result-body'),
      draftsList: byId('drafts-list'),
      // preview
      previewForm: byId('preview-form'),
      previewQuestion: byId('preview-question'),
      previewButton: byId('preview-button'),
      previewResult: byId('preview-result'),
      previewLive: byId('preview-live'),
      previewDraft: byId('preview-draft'),
      // history
      undoButton: byId('undo-button'),
      answersList: byId('answers'),
      answersRefresh: byId('answers-refresh'),
      historyStatus: byId('history-status'),
      reportsRefresh: byId('reports-refresh'),
      reportsProgress: byId('reports-progress'),
      reportsProgressBar: byId('reports-progress-bar'),
      reportsProgressLabel: byId('reports-progress-label'),
      documentDiff: byId('document-diff'),
      documentDiffBody: byId('document-diff-body'),
    };
    ui.documentInputs = [ui.docTitle, ui.docAgency, ui.docTopic, ui.docUrl, ui.docLanguage,
      ui.docLastReviewed, ui.docReviewDue, ui.docMarkdown];
    ui.historyHead = ui.undoButton.parentElement;
    ui.panelHead = (node) => node.closest('.panel-head') || node;
    ui.historyStatus.tabIndex = -1;
    ui.publishResult.tabIndex = -1;

    tabs = window.FairhavenStaff.tablist({ tabs: ui.tabs, panels: ui.panels, onSelect: showView });
    ui.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      window.clearTimeout(state.filterTimer);
      loadDocuments();
    });
    ui.filterQ.addEventListener('input', onFilterInput);
    for (const select of [ui.filterAgency, ui.filterTopic, ui.filterOverdue]) {
      select.addEventListener('change', () => {
        window.clearTimeout(state.filterTimer);
        loadDocuments();
      });
    }
    ui.newDocumentButton.addEventListener('click', showNew);
    ui.documentBack.addEventListener('click', backToList);
    ui.newBack.addEventListener('click', backToList);
    ui.documentForm.addEventListener('submit', onSaveDraft);
    ui.retireButton.addEventListener('click', onRetire);
    ui.discardDraftButton.addEventListener('click', onDiscardOpenDraft);
    ui.uploadForm.addEventListener('submit', onUpload);
    ui.pasteForm.addEventListener('submit', onPaste);
    ui.publishAllButton.addEventListener('click', () => publish(null, ui.publishAllButton));
    ui.previewForm.addEventListener('submit', onPreview);
    ui.undoButton.addEventListener('click', onUndo);
    ui.answersRefresh.addEventListener('click', async () => {
      quiet('answers');
      await loadAnswers();
      say('answers', 'List refreshed.');
    });
    ui.reportsRefresh.addEventListener('click', async () => {
      quiet('reports');
      await loadReports();
      say('reports', 'Reports refreshed.');
    });

    await session.start();
    document.body.classList.add('editor--ready');
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
