// The managers' analytics page: GET api/staff/analytics drawn as charts (uPlot, vendored in
// static/vendor/uplot), each chart with the same figures as a table and a CSV download.
//
// Loaded (deferred) after dom.js, staff.js and uPlot. Text reaches the page through
// textContent only. A chart is a picture for sighted readers: it is hidden from screen
// readers (aria-hidden), which get the table under it instead, with the same numbers the
// CSV has (server and page round alike: see FIGURE_COLUMNS in channels/web/analytics.py).
'use strict';

(() => {
  const { el } = window.FairhavenDom;
  const API = 'api/staff/';
  const VIEWER_ROLES = ['manager', 'admin'];
  const REASONS = ['crisis', 'requested', 'own_case', 'frustration', 'unanswered_twice'];

  const percent = (v) => (v === null || v === undefined ? '' : (v * 100).toFixed(1));
  const minutes = (v) => (v === null || v === undefined ? '' : (v / 60).toFixed(1));
  const hours = (v) => (v === null || v === undefined ? '' : (v / 3600).toFixed(1));
  const fixed2 = (v) => (v === null || v === undefined ? '' : v.toFixed(2));
  const count = (v) => String(v);

  // [key, column heading, cell text, chart value]: the headings are the CSV's.
  const COLUMNS = {
    conversations: ['Conversations', (f) => count(f.conversations), (f) => f.conversations],
    turns: ['Questions', (f) => count(f.turns), (f) => f.turns],
    answered: ['Answered %', (f) => percent(f.answered_share), (f) => pct(f.answered_share)],
    unknown: ['Did not know %', (f) => percent(f.unknown_share), (f) => pct(f.unknown_share)],
    handoffs: ['Handed to a person', (f) => count(f.handoffs), (f) => f.handoffs],
    handoff_share: ['Handed to a person %', (f) => percent(f.handoff_share),
      (f) => pct(f.handoff_share)],
    wait_median: ['Median wait (min)', (f) => minutes(f.wait_median_seconds),
      (f) => per(f.wait_median_seconds, 60)],
    wait_p90: ['90th percentile wait (min)', (f) => minutes(f.wait_p90_seconds),
      (f) => per(f.wait_p90_seconds, 60)],
    resolution_median: ['Median time to resolution (h)',
      (f) => hours(f.resolution_median_seconds), (f) => per(f.resolution_median_seconds, 3600)],
    csat_average: ['Satisfaction (1-5)', (f) => fixed2(f.csat_average), (f) => f.csat_average],
    csat_satisfied: ['Satisfied %', (f) => percent(f.csat_satisfied_share),
      (f) => pct(f.csat_satisfied_share)],
    helpful: ['Helpful %', (f) => percent(f.helpful_share), (f) => pct(f.helpful_share)],
    content_gaps: ['Content gaps', (f) => count(f.content_gaps), (f) => f.content_gaps],
    offers: ['Offered a page', (f) => count(f.offers), (f) => f.offers],
    offers_taken: ['Offers taken %', (f) => percent(f.offers_taken_share),
      (f) => pct(f.offers_taken_share)],
    offers_declined: ['Offers declined %', (f) => percent(f.offers_declined_share),
      (f) => pct(f.offers_declined_share)],
  };
  for (const reason of REASONS) {
    COLUMNS[`reason_${reason}`] = [`Reason: ${reason.replace(/_/g, ' ')}`,
      (f) => count(f.handoff_reasons[reason] || 0), (f) => f.handoff_reasons[reason] || 0];
  }
  const ALL_COLUMNS = ['conversations', 'turns', 'answered', 'unknown', 'handoffs',
    'handoff_share', ...REASONS.map((r) => `reason_${r}`), 'wait_median', 'wait_p90',
    'resolution_median', 'csat_average', 'csat_satisfied', 'helpful', 'content_gaps', 'offers',
    'offers_taken', 'offers_declined'];

  function pct(v) { return v === null || v === undefined ? null : v * 100; }
  function per(v, unit) { return v === null || v === undefined ? null : v / unit; }

  // Each chart: its id, title, a sentence saying what it shows, and the series it draws.
  // Colours are told apart by the legend's words and the table too, never by colour alone.
  const CHARTS = [
    { id: 'volume', title: 'Conversations and handoffs',
      unit: 'count', series: ['conversations', 'handoffs'] },
    { id: 'outcomes', title: 'Answered, did not know, handed to a person',
      unit: '%', series: ['answered', 'unknown', 'handoff_share'] },
    { id: 'reasons', title: 'Why conversations went to a person',
      unit: 'count', series: REASONS.map((r) => `reason_${r}`) },
    { id: 'waits', title: 'Wait for a person',
      unit: 'minutes', series: ['wait_median', 'wait_p90'] },
    { id: 'satisfaction', title: 'Satisfaction and "was this helpful?"',
      unit: '%', series: ['csat_satisfied', 'helpful'] },
    { id: 'gaps', title: 'Content gaps (questions the knowledge base could not answer)',
      unit: 'count', series: ['content_gaps'] },
    { id: 'offers',
      title: 'Not sure: "Did you mean …?" offers, and the shares a citizen took and declined',
      unit: '%', series: ['offers_taken', 'offers_declined'] },
  ];
  const COLOURS = ['#1d70b8', '#d4351c', '#00703c', '#4c2c92', '#b58840'];
  const DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4]];

  const session = window.FairhavenStaff.session({
    api: API,
    text: {
      network: 'The analytics could not reach the server. Check your connection and try again.',
      statuses: { 403: 'Your account cannot see the analytics.' },
    },
    onEnter: enter,
    onLeave: leave,
  });

  let ui = null;
  let plots = [];
  let forecastPlot = null;
  let loadSeq = 0;
  let forecastSeq = 0;

  function byId(id) { return document.getElementById(id); }

  function enter(data, { focus }) {
    const role = data.user && data.user.role;
    if (!VIEWER_ROLES.includes(role)) {
      ui.noAccessName.textContent = window.FairhavenStaff.displayName(data.user);
      ui.noAccessRole.textContent = role || '';
      ui.noAccess.hidden = false;
      ui.workspace.hidden = true;
      if (focus) ui.noAccessHeading.focus();
      return;
    }
    ui.noAccess.hidden = true;
    ui.workspace.hidden = false;
    if (focus) ui.workspaceHeading.focus();
    load();
    loadForecast();
  }

  function leave() {
    ui.workspace.hidden = true;
    ui.noAccess.hidden = true;
    clear();
    clearForecast();
  }

  function clear() {
    for (const plot of plots) plot.destroy();
    plots = [];
    ui.headline.textContent = '';
    ui.charts.textContent = '';
    ui.tables.textContent = '';
  }

  function query() {
    const params = new URLSearchParams({
      days: ui.days.value,
      bucket: ui.bucket.value,
    });
    if (ui.channel.value) params.set('channel', ui.channel.value);
    if (ui.language.value) params.set('language', ui.language.value);
    return params;
  }

  async function load() {
    const seq = ++loadSeq;
    ui.error.textContent = '';
    ui.status.textContent = 'Loading the figures…';
    const params = query();
    const result = await session.request('GET', `analytics?${params}`);
    if (seq !== loadSeq) return; // a newer choice was made meanwhile
    if (!result.ok || !result.data) {
      ui.status.textContent = '';
      ui.error.textContent = session.problemText(result);
      return;
    }
    clear();
    render(result.data, params);
    const days = ui.days.options[ui.days.selectedIndex].text.toLowerCase();
    ui.status.textContent = `Showing the ${days}, ${result.data.total.conversations} conversations.`;
  }

  function csvLink(table, params, label) {
    const link = el('a', null, label);
    const withTable = new URLSearchParams(params);
    withTable.set('table', table);
    link.href = `${API}analytics.csv?${withTable}`;
    link.setAttribute('download', '');
    return link;
  }

  function render(report, params) {
    renderHeadline(report.total);
    for (const chart of CHARTS) ui.charts.append(renderChart(chart, report.periods, params));
    ui.tables.append(
      groupTable('by_channel', 'By channel', 'Channel', report.by_channel, params),
      groupTable('by_language', 'By language', 'Language', report.by_language, params),
      servicesTable(report.top_services, params),
    );
  }

  function renderHeadline(total) {
    const items = [
      ['Conversations', count(total.conversations)],
      ['Answered by the assistant', withUnit(percent(total.answered_share), '%')],
      ['Said it did not know', withUnit(percent(total.unknown_share), '%')],
      ['Handed to a person', withUnit(percent(total.handoff_share), '%')],
      ['Median wait for a person', withUnit(minutes(total.wait_median_seconds), ' min')],
      ['Satisfied (rated 4 or 5)', withUnit(percent(total.csat_satisfied_share), '%')],
      ['Answers marked helpful', withUnit(percent(total.helpful_share), '%')],
      ['"Did you mean …?" offers taken', withUnit(percent(total.offers_taken_share), '%')],
      ['"Did you mean …?" offers declined',
        withUnit(percent(total.offers_declined_share), '%')],
    ];
    for (const [term, value] of items) {
      const item = el('div');
      item.append(el('dt', null, term), el('dd', null, value));
      ui.headline.append(item);
    }
  }

  function withUnit(text, unit) {
    return text === '' ? 'No data' : `${text}${unit}`;
  }

  function periodLabel(group) {
    return group;
  }

  function table(caption, firstHeading, rows, keys) {
    const node = el('table', 'table');
    node.append(el('caption', 'visually-hidden', caption));
    const head = el('thead');
    const headRow = el('tr');
    for (const text of [firstHeading, ...keys.map((k) => COLUMNS[k][0])]) {
      const th = el('th', null, text);
      th.scope = 'col';
      headRow.append(th);
    }
    head.append(headRow);
    const body = el('tbody');
    for (const figures of rows) {
      const tr = el('tr');
      const th = el('th', null, periodLabel(figures.group));
      th.scope = 'row';
      tr.append(th);
      for (const key of keys) tr.append(el('td', null, COLUMNS[key][1](figures)));
      body.append(tr);
    }
    node.append(head, body);
    const wrap = el('div', 'table-wrap');
    // A wide table scrolls on its own; keyboard users reach it with Tab.
    wrap.tabIndex = 0;
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-label', caption);
    wrap.append(node);
    return wrap;
  }

  function renderChart(chart, periods, params) {
    const figure = el('figure', 'chart');
    figure.id = `chart-${chart.id}`;
    const captionId = `chart-${chart.id}-caption`;
    const caption = el('figcaption', null, chart.title);
    caption.id = captionId;
    const plot = el('div', 'chart__plot');
    plot.setAttribute('aria-hidden', 'true');
    const details = el('details');
    details.append(el('summary', null, `${chart.title}: show as a table`));
    details.append(table(`${chart.title} per period`, 'Period', periods, chart.series));
    const links = el('p', 'chart__links');
    links.append(csvLink('periods', params, `Download the figures per period (CSV)`));
    figure.setAttribute('aria-labelledby', captionId);
    figure.append(caption, plot, details, links);
    window.requestAnimationFrame(() => draw(chart, periods, plot));
    return figure;
  }

  function draw(chart, periods, target) {
    if (!window.uPlot || !target.isConnected) return;
    const xs = periods.map((p) => Date.parse(`${p.group}T00:00:00Z`) / 1000);
    const data = [xs, ...chart.series.map((key) => periods.map((p) => COLUMNS[key][2](p)))];
    const width = Math.max(320, target.clientWidth || 640);
    const options = {
      width,
      height: 240,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { show: true, drag: { x: false, y: false } },
      legend: { show: true, live: false },
      scales: { y: { range: chart.unit === '%' ? [0, 100] : (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: chart.unit === 'count' ? '' : chart.unit }],
      series: [
        {},
        ...chart.series.map((key, i) => ({
          label: COLUMNS[key][0],
          stroke: COLOURS[i % COLOURS.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          spanGaps: false,
        })),
      ],
    };
    plots.push(new window.uPlot(options, data, target));
  }

  function groupTable(tableName, title, firstHeading, rows, params) {
    const section = el('section', 'chart');
    const heading = el('h2', 'heading-m', title);
    section.append(heading);
    if (!rows.length) {
      section.append(el('p', 'hint', 'No conversations in this period.'));
      return section;
    }
    section.append(table(title, firstHeading, rows, ALL_COLUMNS));
    const links = el('p', 'chart__links');
    links.append(csvLink(tableName, params, `Download ${title.toLowerCase()} (CSV)`));
    section.append(links);
    return section;
  }

  function servicesTable(services, params) {
    const section = el('section', 'chart');
    section.append(el('h2', 'heading-m', 'Services asked about most'));
    if (!services.length) {
      section.append(el('p', 'hint', 'No answers cited a document in this period.'));
      return section;
    }
    const node = el('table', 'table');
    node.append(el('caption', 'visually-hidden', 'Services asked about most, by cited document'));
    const head = el('tr');
    for (const text of ['Document', 'Title', 'Answers citing it']) {
      const th = el('th', null, text);
      th.scope = 'col';
      head.append(th);
    }
    const thead = el('thead');
    thead.append(head);
    const body = el('tbody');
    for (const s of services) {
      const tr = el('tr');
      const th = el('th', null, s.doc_id);
      th.scope = 'row';
      tr.append(th, el('td', null, s.title), el('td', null, String(s.citations)));
      body.append(tr);
    }
    node.append(thead, body);
    const links = el('p', 'chart__links');
    links.append(csvLink('top_services', params, 'Download the services asked about (CSV)'));
    section.append(node, links);
    return section;
  }

  // ---------------------------------------------------------------- staffing forecast

  const FORECAST_COLUMNS = [
    ['Conversations expected', (h) => h.conversations.toFixed(1), (h) => h.conversations],
    ['Handoffs expected', (h) => h.handoffs.toFixed(1), (h) => h.handoffs],
    ['Caseworkers needed', (h) => String(h.caseworkers), (h) => h.caseworkers],
  ];

  function clearForecast() {
    if (forecastPlot) forecastPlot.destroy();
    forecastPlot = null;
    ui.forecastBody.textContent = '';
  }

  // The hour as the table and the CSV show it: "2026-12-07 09:00" (UTC).
  function hourLabel(iso) {
    return String(iso).slice(0, 16).replace('T', ' ');
  }

  async function loadForecast() {
    const seq = ++forecastSeq;
    ui.forecastError.textContent = '';
    ui.forecastStatus.textContent = 'Working out the forecast…';
    const params = new URLSearchParams({ target_wait_minutes: ui.forecastTarget.value });
    const result = await session.request('GET', `forecast?${params}`);
    if (seq !== forecastSeq) return;
    if (!result.ok || !result.data) {
      ui.forecastStatus.textContent = '';
      ui.forecastError.textContent = session.problemText(result);
      return;
    }
    clearForecast();
    renderForecast(result.data, params);
  }

  function renderForecast(forecast, params) {
    if (!forecast.enough_history) {
      // Too little history: say so, and show no figures rather than a guess.
      ui.forecastStatus.textContent = '';
      ui.forecastBody.append(el('p', 'notice forecast__notice', forecast.message ||
        'There is not enough history yet to forecast.'));
      return;
    }
    const hours = forecast.hours;
    const peak = hours.reduce((most, h) => Math.max(most, h.caseworkers), 0);
    ui.forecastStatus.textContent = `Forecast for the next ${hours.length} hours, up to ${peak} caseworker${peak === 1 ? '' : 's'} an hour.`;
    const figure = el('figure', 'chart forecast__chart');
    figure.id = 'chart-forecast';
    const caption = el('figcaption', null, 'Expected per hour, and caseworkers needed');
    caption.id = 'chart-forecast-caption';
    figure.setAttribute('aria-labelledby', caption.id);
    const plot = el('div', 'chart__plot');
    plot.setAttribute('aria-hidden', 'true');
    const facts = el('p', 'hint');
    const handling = forecast.handling_minutes;
    facts.textContent = `A caseworker holds a conversation for ${handling === null ? 'an assumed 15' : handling.toFixed(1)} minutes on average; target median wait ${forecast.target_wait_minutes} minutes.`;
    const details = el('details');
    details.append(el('summary', null, 'Staffing forecast: show as a table'));
    details.append(forecastTable(hours));
    const links = el('p', 'chart__links');
    const link = el('a', null, 'Download the forecast (CSV)');
    link.href = `${API}forecast.csv?${params}`;
    link.setAttribute('download', '');
    links.append(link);
    figure.append(caption, plot, facts, details, links);
    ui.forecastBody.append(figure);
    if (forecast.backtest) ui.forecastBody.append(backtestNote(forecast.backtest));
    window.requestAnimationFrame(() => drawForecast(hours, plot));
  }

  function backtestNote(backtest) {
    const off = (v) => `${(v * 100).toFixed(0)}%`;
    return el('p', 'hint forecast__backtest',
      `How good it is: forecasting the last week of history from the weeks before it, the ` +
      `hourly counts were off by ${off(backtest.conversations_wape)} for conversations and ` +
      `${off(backtest.handoffs_wape)} for handoffs (taking the same hour a week earlier: ` +
      `${off(backtest.conversations_naive_wape)} and ${off(backtest.handoffs_naive_wape)}).`);
  }

  function forecastTable(hours) {
    const node = el('table', 'table');
    node.append(el('caption', 'visually-hidden', 'Staffing forecast per hour (UTC)'));
    const headRow = el('tr');
    for (const text of ['Hour (UTC)', ...FORECAST_COLUMNS.map((c) => c[0])]) {
      const th = el('th', null, text);
      th.scope = 'col';
      headRow.append(th);
    }
    const head = el('thead');
    head.append(headRow);
    const body = el('tbody');
    for (const h of hours) {
      const tr = el('tr');
      const th = el('th', null, hourLabel(h.hour));
      th.scope = 'row';
      tr.append(th);
      for (const column of FORECAST_COLUMNS) tr.append(el('td', null, column[1](h)));
      body.append(tr);
    }
    node.append(head, body);
    const wrap = el('div', 'table-wrap forecast__table');
    wrap.tabIndex = 0;
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-label', 'Staffing forecast per hour');
    wrap.append(node);
    return wrap;
  }

  function drawForecast(hours, target) {
    if (!window.uPlot || !target.isConnected) return;
    const xs = hours.map((h) => Date.parse(h.hour) / 1000);
    const data = [xs, ...FORECAST_COLUMNS.map((column) => hours.map(column[2]))];
    const options = {
      width: Math.max(320, target.clientWidth || 640),
      height: 240,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { show: true, drag: { x: false, y: false } },
      legend: { show: true, live: false },
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      series: [
        {},
        ...FORECAST_COLUMNS.map((column, i) => ({
          label: column[0],
          stroke: COLOURS[i % COLOURS.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
        })),
      ],
    };
    forecastPlot = new window.uPlot(options, data, target);
  }

  async function start() {
    ui = {
      noAccess: byId('no-access'),
      noAccessHeading: byId('no-access-heading'),
      noAccessName: byId('no-access-name'),
      noAccessRole: byId('no-access-role'),
      workspace: byId('workspace'),
      workspaceHeading: byId('workspace-heading'),
      filters: byId('filters'),
      days: byId('filter-days'),
      bucket: byId('filter-bucket'),
      channel: byId('filter-channel'),
      language: byId('filter-language'),
      status: byId('analytics-status'),
      error: byId('analytics-error'),
      headline: byId('headline'),
      charts: byId('charts'),
      tables: byId('tables'),
      forecastForm: byId('forecast-form'),
      forecastTarget: byId('forecast-target'),
      forecastStatus: byId('forecast-status'),
      forecastError: byId('forecast-error'),
      forecastBody: byId('forecast-body'),
    };
    ui.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      load();
    });
    ui.forecastForm.addEventListener('submit', (event) => {
      event.preventDefault();
      loadForecast();
    });
    await session.start();
    document.body.classList.add('analytics--ready');
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
