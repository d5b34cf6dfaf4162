// storemon dashboard: the pages are plain HTML; this fills them from the JSON API of the same worker.
"use strict";

const TOKEN_KEY = "storemon-token";

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

// Resolves once a token is submitted. Closing the dialog (Esc) leaves the page waiting with a way
// back to it in the banner; a token the worker refused says so when the dialog opens again.
function askForToken(refused = false) {
  return new Promise((resolve) => {
    const dialog = document.getElementById("token-dialog");
    const form = document.getElementById("token-form");
    document.getElementById("token-refused").hidden = !refused;
    const submitted = () => {
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value);
      dialog.removeEventListener("close", closed);
      clearError();
      resolve();
    };
    const closed = () => {
      if (token() === null || refused) {
        const again = el("button", { type: "button", text: "Enter token" });
        again.addEventListener("click", () => dialog.showModal());
        showMessage(["This worker needs an API token to show its figures. ", again], "token");
      }
    };
    form.addEventListener("submit", submitted, { once: true });
    dialog.addEventListener("close", closed, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

// Set while the worker does not answer: the figures on the page are from before, and look it.
let unreachableSince = null;

async function api(path, options = {}) {
  for (;;) {
    let response;
    try {
      response = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      unreachableSince = unreachableSince || new Date();
      document.body.classList.add("stale");
      const since = unreachableSince.toLocaleTimeString("en-GB");
      throw new Error(`The worker does not answer (since ${since}): the figures shown are from before then.`);
    }
    if (unreachableSince !== null) {
      unreachableSince = null;
      document.body.classList.remove("stale");
      clearError("unreachable");
    }
    if (response.status === 401) {
      await askForToken(token() !== null);
      continue;
    }
    if (!response.ok) throw new Error(await problem(response));
    return response;
  }
}

// An error answer in words: the API's own "detail", not its JSON.
async function problem(response) {
  const text = await response.text();
  let detail = text;
  try {
    const body = JSON.parse(text);
    detail = Array.isArray(body.detail)
      ? body.detail.map((item) => `${(item.loc || []).slice(1).join(".")}: ${item.msg}`).join("; ")
      : body.detail || text;
  } catch {
    // not JSON: the text as it came
  }
  return `${response.status === 503 ? "Not ready" : `Error ${response.status}`}: ${detail}`;
}

async function json(path, options) {
  return (await api(path, options)).json();
}

// Set once the counts and the first page of stores are on screen (User Timing, for measurements).
const USABLE_MARK = "storemon:fleet-usable";

// The fleet's listings are gathered from every store, which takes as long as a report. The worker keeps
// one ready at the watermark, refreshed in the background; a page accepts it when it is this fresh.
const READY = { headers: { "Cache-Control": "max-stale=60" } };

// One banner for what went wrong, and what kind of trouble it is, so that recovery clears its own.
function showMessage(parts, kind) {
  const box = document.getElementById("error");
  box.replaceChildren(...parts);
  box.dataset.kind = kind;
  box.hidden = false;
}

function clearError(kind) {
  const box = document.getElementById("error");
  if (!kind || box.dataset.kind === kind) {
    box.hidden = true;
    box.replaceChildren();
    delete box.dataset.kind;
  }
}

function showError(error) {
  if (error.name === "AbortError") return; // a newer request replaced this one
  showMessage([String(error.message || error)], unreachableSince !== null ? "unreachable" : "error");
}

function withClick(node, handler) {
  node.addEventListener("click", handler);
  return node;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

const STANDING = {
  up: ["▲", "up"],
  down: ["▼", "down"],
  silent: ["◌", "silent"],
  closed: ["–", "closed"],
};

function standingBadge(standing) {
  const [mark, words] = STANDING[standing];
  return el("span", { class: `badge ${standing}` }, el("span", { "aria-hidden": "true", text: mark }), ` ${words}`);
}

function utc(text) {
  return text ? text.replace("T", " ").replace(/\.\d+Z$/, "Z").replace("Z", " UTC") : "";
}

// An instant as the store's wall clock reads it, in words: "Tuesday, 31 October 2023 at 20:17".
function wallClock(text, zone) {
  return new Date(text).toLocaleString("en-GB", { timeZone: zone, dateStyle: "full", timeStyle: "short" });
}

function localClock(text) {
  return text ? text.replace("T", " ").replace(/\.\d+/, "") : "still going";
}

// An outage that began before the week counted starts at the week's start as far as the figures go:
// say so rather than pass that instant off as its start.
function outageStart(outage) {
  const start = localClock(outage.started_at_local);
  return outage.began_before_window ? `before ${start} (the week's start)` : start;
}

// Data this far behind the wall clock is flagged: a stalled feed, or a replay of the past.
const BEHIND_MINUTES = 15;

function showProgress(progress) {
  document.getElementById("now").textContent = utc(progress.as_of) || "no pings yet";
  document.getElementById("lag").textContent = progress.lag_messages.toLocaleString("en");
  const behind = progress.as_of ? (Date.now() - Date.parse(progress.as_of)) / 60000 : 0;
  const flag = document.getElementById("behind");
  flag.hidden = behind < BEHIND_MINUTES;
  flag.textContent = `${duration(behind)} behind the clock`;
}

async function header() {
  showProgress(await json("/api/fleet/progress"));
}

// ---- fleet page -------------------------------------------------------------------------------

// The table's view: its sort, search, standing filter and page, kept in the URL so a view can be shared.
const fleet = { sort: "downtime_last_week", order: "desc", q: "", standing: "", timezone: "", band: "", cursor: null };
const VIEW = ["sort", "order", "q", "standing", "timezone", "band", "cursor"];

function readView() {
  const params = new URLSearchParams(location.search);
  for (const name of VIEW) if (params.get(name)) fleet[name] = params.get(name);
  document.getElementById("search").value = fleet.q;
  document.getElementById("standing").value = fleet.standing;
}

// The sort chooser (the only one on a phone, where the table's header is hidden) shows the sort when
// it is one of its choices.
function showSort() {
  const chooser = document.getElementById("sort");
  const value = `${fleet.sort}:${fleet.order}`;
  chooser.value = [...chooser.options].some((option) => option.value === value) ? value : "";
}

function writeView() {
  const params = new URLSearchParams();
  for (const name of VIEW) if (fleet[name]) params.set(name, fleet[name]);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

const SORT_WORDS = {
  store_id: ["store id", "A to Z", "Z to A"],
  uptime_last_day: ["uptime over the last day", "the least first", "the most first"],
  downtime_last_day: ["downtime over the last day", "the least first", "the most first"],
  uptime_last_week: ["uptime over the last week", "the least first", "the most first"],
  downtime_last_week: ["downtime over the last week", "the least first", "the most first"],
  last_ping: ["last ping", "the oldest first", "the latest first"],
};

function bandWords(band) {
  const [window, tenth] = band.split(":");
  return `${tenth * 10}–${tenth * 10 + 10} % up over the last ${window}`;
}

// Each bar lists its stores in the table below (``band``: the window and the tenth).
function histogram(tableId, window, counts) {
  const body = document.querySelector(`#${tableId} tbody`);
  const most = Math.max(1, ...counts);
  const choose = (band) => () => {
    fleet.band = band;
    fleet.cursor = null;
    loadStores()
      .then(() => document.getElementById("stores").scrollIntoView())
      .catch(showError);
  };
  body.replaceChildren(
    ...counts.map((count, tenth) =>
      el(
        "tr",
        {},
        el(
          "th",
          { scope: "row" },
          withClick(
            el("button", { type: "button", class: "count-link", "data-band": `${window}:${tenth}`, text: `${tenth * 10}–${tenth * 10 + 10} %` }),
            choose(`${window}:${tenth}`),
          ),
        ),
        el(
          "td",
          {},
          el("span", { class: "bar", style: `width:${(count / most) * 100}%` }),
          el("span", { class: "count", text: count.toLocaleString("en") }),
        ),
      ),
    ),
  );
}

async function loadSummary() {
  const summary = await json("/api/fleet", READY);
  showProgress(summary);
  for (const name of ["stores", "up", "down", "silent", "closed"]) {
    document.getElementById(`count-${name}`).textContent = summary[name].toLocaleString("en");
  }
  document.getElementById("count-open").textContent = summary.open_now.toLocaleString("en");
  histogram("hist-day", "day", summary.uptime_last_day);
  histogram("hist-week", "week", summary.uptime_last_week);
  showZones(summary.timezones);
}

// The timezone filter offers the zones the fleet's stores are in, the most stores first.
function showZones(zones) {
  const chooser = document.getElementById("timezone");
  const wanted = [["", "all"], ...Object.entries(zones).map(([zone, count]) => [zone, `${zone} (${count.toLocaleString("en")})`])];
  if ([...chooser.options].map((option) => option.textContent).join("|") === wanted.map(([, words]) => words).join("|")) return;
  chooser.replaceChildren(...wanted.map(([value, words]) => el("option", { value, text: words })));
  if (fleet.timezone && !(fleet.timezone in zones)) chooser.append(el("option", { value: fleet.timezone, text: fleet.timezone }));
  chooser.value = fleet.timezone;
}

// Answers to older asks (a slower search for "a" after the one for "abc") are dropped, not shown.
let storesAsked = 0;
let storesAbort = null;

async function loadStores() {
  const asked = ++storesAsked;
  storesAbort?.abort();
  storesAbort = new AbortController();
  writeView();
  const params = new URLSearchParams({ sort: fleet.sort, order: fleet.order, limit: "50" });
  if (fleet.q) params.set("q", fleet.q);
  if (fleet.standing) params.set("standing", fleet.standing);
  if (fleet.timezone) params.set("timezone", fleet.timezone);
  if (fleet.band) params.set("band", fleet.band);
  if (fleet.cursor) params.set("cursor", fleet.cursor);
  const note = document.getElementById("band-note");
  note.hidden = !fleet.band;
  document.getElementById("band-words").textContent = fleet.band ? `Only stores ${bandWords(fleet.band)}.` : "";
  let page;
  try {
    page = await json(`/api/fleet/stores?${params}`, { ...READY, signal: storesAbort.signal });
  } catch (error) {
    // A page kept in an old URL names a listing long gone (refused): start from the first page.
    if (fleet.cursor && String(error.message).startsWith("Error 422")) {
      fleet.cursor = null;
      return loadStores();
    }
    throw error;
  }
  if (asked !== storesAsked) return;
  const rows = page.stores.map((store) =>
    el(
      "tr",
      { "data-store": store.store_id },
      el("th", { scope: "row", "data-label": "Store" }, storeLink(store.store_id)),
      el("td", { "data-label": "Now" }, standingBadge(store.standing)),
      el("td", { "data-label": "Last 24 h" }, recentStrip(store.recent, page.as_of)),
      el("td", { class: "num", "data-label": "Uptime day (h)", text: store.uptime_last_day.toFixed(2) }),
      el("td", { class: "num", "data-label": "Downtime day (h)", text: store.downtime_last_day.toFixed(2) }),
      el(
        "td",
        { class: "num", "data-label": "Uptime week (h)" },
        el(
          "span",
          {},
          store.uptime_last_week.toFixed(2),
          el("span", { class: "share", text: share(store.uptime_last_week, store.downtime_last_week) }),
        ),
      ),
      el("td", { class: "num", "data-label": "Downtime week (h)", text: store.downtime_last_week.toFixed(2) }),
      el("td", { class: "num", "data-label": "Uptime 30 days" }, recentDates(store.last_30_days)),
      el(
        "td",
        { "data-label": "Last ping (UTC)" },
        el(
          "span",
          {},
          utc(store.last_ping),
          el("span", { class: "ago", text: `${duration((Date.parse(page.as_of) - Date.parse(store.last_ping)) / 60000)} before now` }),
        ),
      ),
    ),
  );
  if (!rows.length) {
    const filtered = fleet.q || fleet.standing || fleet.timezone || fleet.band;
    const words = filtered ? "No store matches the search and filters." : "No store has pinged yet.";
    rows.push(el("tr", {}, el("td", { colspan: "9", class: "none", text: words })));
  }
  document.querySelector("#stores tbody").replaceChildren(...rows);
  const [what, ascending, descending] = SORT_WORDS[fleet.sort];
  document.getElementById("stores-caption").textContent =
    `Stores by ${what}, ${fleet.order === "asc" ? ascending : descending}, as of ${utc(page.as_of) || "no pings yet"}`;
  const first = page.total ? page.offset + 1 : 0;
  document.getElementById("page-info").textContent =
    `${first.toLocaleString("en")}–${(page.offset + page.stores.length).toLocaleString("en")} of ${page.total.toLocaleString("en")}`;
  const previous = document.getElementById("previous");
  const next = document.getElementById("next");
  const focused = document.activeElement;
  previous.disabled = page.previous_cursor === null;
  next.disabled = page.next_cursor === null;
  // A pager button that just turned disabled would drop the keyboard's focus to the page's start.
  if (focused === next && next.disabled) (previous.disabled ? document.getElementById("page-info") : previous).focus();
  if (focused === previous && previous.disabled) (next.disabled ? document.getElementById("page-info") : next).focus();
  previous.onclick = () => {
    fleet.cursor = page.previous_cursor;
    loadStores().catch(showError);
  };
  next.onclick = () => {
    fleet.cursor = page.next_cursor;
    loadStores().catch(showError);
  };
  for (const th of document.querySelectorAll("#stores th[data-sort]")) {
    const sorted = th.dataset.sort === fleet.sort;
    th.setAttribute("aria-sort", sorted ? (fleet.order === "asc" ? "ascending" : "descending") : "none");
  }
  showSort();
}

const outages = new Map(); // "store/started_at" -> outage going on
const silences = new Map(); // "store/started_at" -> silence going on

function episodeKey(episode) {
  return `${episode.store_id}/${episode.started_at}`;
}

function storeLink(id) {
  return el("a", { href: `/stores/${encodeURIComponent(id)}`, text: id });
}

// How many of the open outages are listed; "Show more" lists more. The list is not a live region
// (rebuilt on every event, a screen reader would read it all again): ``announce`` says what changed.
let outagesShown = 10;

function announce(words) {
  document.getElementById("live-news").textContent = words;
}

function renderOutages() {
  const list = [...outages.values()].sort((a, b) => b.business_downtime_minutes - a.business_downtime_minutes);
  const items = list.slice(0, outagesShown).map((outage) =>
    el(
      "li",
      { "data-outage": episodeKey(outage) },
      storeLink(outage.store_id),
      ` down since ${outageStart(outage)} (${outage.timezone}); `,
      el("strong", { text: duration(outage.business_downtime_minutes) }),
      " of business time so far",
    ),
  );
  if (!items.length) items.push(el("li", { class: "none", text: "No store is down in its business hours." }));
  document.getElementById("open-outages").replaceChildren(...items);
  document.getElementById("outages-count").textContent = list.length
    ? `${Math.min(outagesShown, list.length).toLocaleString("en")} of ${list.length.toLocaleString("en")}`
    : "";
  const more = document.getElementById("more-outages");
  more.hidden = list.length <= outagesShown;
  more.textContent = `Show ${Math.min(50, list.length - outagesShown).toLocaleString("en")} more`;
}

function renderSilences() {
  // The latest to fall silent first: what just happened leads, as in a feed.
  const list = [...silences.values()].sort((a, b) => b.started_at.localeCompare(a.started_at));
  const items = list.slice(0, 50).map((silence) =>
    el(
      "li",
      { "data-silence": episodeKey(silence) },
      storeLink(silence.store_id),
      ` silent since ${localClock(silence.started_at_local)} (${silence.timezone}); last ping `,
      el("strong", { text: localClock(silence.last_ping_local) }),
    ),
  );
  if (!items.length) items.push(el("li", { class: "none", text: "Every store open now has pinged lately." }));
  document.getElementById("open-silences").replaceChildren(...items);
}

async function loadEpisodes() {
  // At now, not from a gathering kept ready: the event stream goes on from now, so an older list
  // would miss what changed in between.
  const [open, silent] = await Promise.all([
    json("/api/outages?status=open&limit=200"),
    json("/api/silences?status=open&limit=200"),
  ]);
  outages.clear();
  for (const outage of open.outages) outages.set(episodeKey(outage), outage);
  silences.clear();
  for (const silence of silent.silences) silences.set(episodeKey(silence), silence);
  renderOutages();
  renderSilences();
}

function applyEvent(name, episode) {
  const [kind, event] = name.split(".");
  const [going, render] = kind === "silence" ? [silences, renderSilences] : [outages, renderOutages];
  const key = episodeKey(episode);
  const known = going.has(key);
  if (event === "opened" || (event === "updated" && episode.ended_at === null)) going.set(key, episode);
  else going.delete(key);
  render();
  if (known !== going.has(key)) {
    const what = kind === "silence" ? ["fell silent", "was heard again"] : ["went down", "is up again"];
    announce(`${episode.store_id} ${going.has(key) ? what[0] : what[1]}`);
  }
}

// Server-Sent Events read with fetch, so the token travels in a header; resumes from the last id.
async function follow(path, onEvent, onState) {
  let lastId = null;
  for (;;) {
    try {
      const response = await api(path, { headers: lastId ? { "Last-Event-ID": lastId } : {} });
      onState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = {};
          for (const line of frame.split("\n")) {
            if (!line || line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "");
          }
          if (fields.id !== undefined) lastId = fields.id;
          if (fields.data !== undefined) onEvent(fields.event, JSON.parse(fields.data));
        }
      }
    } catch (error) {
      console.warn("event stream interrupted", error);
    }
    onState("reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function fleetPage() {
  readView();
  // The counts and the stores first (kept ready by the worker); the outages and silences going on,
  // gathered at now, after them, so they do not compete for the worker.
  Promise.all([loadSummary(), loadStores()])
    .then(() => performance.mark(USABLE_MARK))
    .catch(showError)
    .then(() => Promise.all([loadFleetHours(), loadFleetDays()]).catch(showError))
    .then(loadEpisodes)
    .then(() =>
      follow("/api/events", applyEvent, (state) => {
        document.getElementById("live-state").textContent = state;
      }),
    )
    .catch(showError);
  // The counts and the first page follow the stream; a later page stays on the listing it pages.
  setInterval(() => {
    loadSummary().catch(showError);
    if (!fleet.cursor) loadStores().catch(showError);
  }, 10000);
  setInterval(() => loadFleetHours().catch(showError), 60000);
  document.getElementById("more-outages").addEventListener("click", () => {
    outagesShown += 50;
    renderOutages();
  });
  for (const th of document.querySelectorAll("#stores th[data-sort] button")) {
    th.addEventListener("click", () => {
      const sort = th.parentElement.dataset.sort;
      fleet.order = fleet.sort === sort && fleet.order === "asc" ? "desc" : "asc";
      fleet.sort = sort;
      fleet.cursor = null;
      loadStores().catch(showError);
    });
  }
  let typing;
  document.getElementById("search").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      fleet.q = event.target.value.trim();
      fleet.cursor = null;
      loadStores().catch(showError);
    }, 200);
  });
  document.getElementById("standing").addEventListener("change", (event) => {
    fleet.standing = event.target.value;
    fleet.cursor = null;
    loadStores().catch(showError);
  });
  document.getElementById("band-clear").addEventListener("click", () => {
    fleet.band = "";
    fleet.cursor = null;
    loadStores().catch(showError);
  });
  document.getElementById("timezone").addEventListener("change", (event) => {
    fleet.timezone = event.target.value;
    fleet.cursor = null;
    loadStores().catch(showError);
  });
  for (const count of document.querySelectorAll(".count-link")) {
    count.addEventListener("click", () => {
      fleet.standing = count.dataset.standing;
      document.getElementById("standing").value = fleet.standing;
      fleet.cursor = null;
      loadStores()
        .then(() => document.getElementById("stores").scrollIntoView())
        .catch(showError);
    });
  }
  document.getElementById("sort").addEventListener("change", (event) => {
    if (!event.target.value) return;
    [fleet.sort, fleet.order] = event.target.value.split(":");
    fleet.cursor = null;
    loadStores().catch(showError);
  });
  document.getElementById("store-filters").addEventListener("submit", (event) => event.preventDefault());
}

// ---- daily history ------------------------------------------------------------------------------

// One cell per date: its colour says how much of the date's business time was up, its filled height the
// same share, a closed date is hatched; its figures are in its title and in text for screen readers.
function dayCell(day) {
  const share = upShare(day);
  const kind = day.closed ? "closed" : shareKind(share);
  const said = day.closed
    ? `${day.date}: closed`
    : share === null
      ? `${day.date}: no business hours`
      : `${day.date}: ${(share * 100).toFixed(1)} % up, ${duration(day.downtime_minutes)} down of ${duration(day.business_minutes)}` +
        (day.stores ? ` (${day.stores} stores)` : "");
  const cell = el("li", { class: `day ${kind}`, title: said }, el("span", { class: "sr", text: said }));
  if (share !== null) cell.style.setProperty("--pct", `${(share * 100).toFixed(1)}%`);
  return cell;
}

// The share of business time up (null without business time), and its colour's band.
function upShare(figures) {
  return figures.business_minutes > 0 ? figures.uptime_minutes / figures.business_minutes : null;
}

function shareKind(share) {
  if (share === null) return "none";
  return share >= 0.995 ? "full" : share >= 0.95 ? "good" : share >= 0.8 ? "fair" : "poor";
}

// A store's last 30 dates summed, for the stores table: the share up as text, its band as a colour mark.
function recentDates(recent) {
  if (!recent) return el("span", { class: "rate", title: "no daily history to be had", text: "—" });
  const share = upShare(recent);
  const over = `last ${recent.dates} ${recent.dates === 1 ? "date" : "dates"}`;
  if (share === null) return el("span", { class: "rate none", title: `${over}: no business hours`, text: "—" });
  const said = `${over}: ${duration(recent.downtime_minutes)} down of ${duration(recent.business_minutes)}`;
  const text = `${(share * 100).toFixed(1)} %`;
  return el("span", { class: `rate ${shareKind(share)}`, title: said }, text, el("span", { class: "sr", text: ` (${said})` }));
}

// The last 24 hours as a heartbeat bar, oldest first: each hour's worst over its business time.
const RECENT = { u: "up", d: "down", s: "silent", c: "closed", n: "no data" };

function recentStrip(letters, asOf) {
  const end = Date.parse(asOf);
  const counts = {};
  const cells = [...letters].map((letter, index) => {
    counts[RECENT[letter]] = (counts[RECENT[letter]] || 0) + 1;
    const from = new Date(end - (letters.length - index) * 3600000).toISOString();
    return el("span", { class: `beat ${letter}`, title: `${utc(from)}: ${RECENT[letter]}` });
  });
  const said = Object.entries(counts)
    .map(([words, count]) => `${count} h ${words}`)
    .join(", ");
  return el("span", { class: "strip", role: "img", "aria-label": `Last 24 hours: ${said}` }, ...cells);
}

// The share of business time up, as a percentage ("" without business time).
function share(up, down) {
  return up + down > 0 ? `${((up / (up + down)) * 100).toFixed(1)} %` : "";
}

// Minutes as people read them: "45 min", "7 h 30 min", "3 d 4 h".
function duration(minutes) {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

function uptimeOf(days) {
  const business = days.reduce((sum, day) => sum + day.business_minutes, 0);
  const up = days.reduce((sum, day) => sum + day.uptime_minutes, 0);
  return business > 0 ? `${((up / business) * 100).toFixed(2)} %` : "no business hours";
}

// ---- stores down and silent, hour by hour -----------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

// One column per UTC hour: stores down (solid, from the baseline) with stores silent stacked on them
// (dotted); midnights marked with their date. Many stores down in the same hours is an incident of
// the whole fleet (a provider, a region); a few scattered ones are stores of their own.
function drawHours(hours) {
  const width = 840;
  const height = 150;
  const base = height - 20;
  const most = Math.max(1, ...hours.map((hour) => hour.down + hour.silent));
  const step = width / Math.max(1, hours.length);
  const scale = (base - 10) / most;
  const chart = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "hours", "aria-hidden": "true" });
  chart.append(svgEl("line", { x1: 0, x2: width, y1: base, y2: base, class: "base" }));
  hours.forEach((hour, index) => {
    const x = index * step;
    const column = svgEl("g", { "data-hour": hour.start, "data-down": hour.down, "data-silent": hour.silent });
    column.append(svgEl("title", {}, `${utc(hour.start)}: ${hour.down} down, ${hour.silent} silent`));
    const down = hour.down * scale;
    column.append(svgEl("rect", { x, y: base - down, width: step, height: down, class: "down" }));
    const silent = hour.silent * scale;
    column.append(svgEl("rect", { x, y: base - down - silent, width: step, height: silent, class: "silent" }));
    if (hour.start.slice(11, 13) === "00") {
      column.append(svgEl("line", { x1: x, x2: x, y1: 4, y2: base + 4, class: "midnight" }));
      column.append(svgEl("text", { x: x + 3, y: height - 4 }, hour.start.slice(5, 10)));
    }
    chart.append(column);
  });
  chart.append(svgEl("text", { x: 2, y: 12 }, `${most}`));
  return chart;
}

async function loadFleetHours() {
  const { hours } = await json("/api/fleet/hours", READY);
  document.getElementById("fleet-hours").replaceChildren(drawHours(hours));
  const peak = hours.reduce((best, hour) => (hour.down > best.down ? hour : best), hours[0] || { down: 0 });
  const last = hours[hours.length - 1];
  document.getElementById("fleet-hours-summary").textContent = last
    ? `Most stores down in one hour: ${peak.down.toLocaleString("en")}` +
      (peak.down ? `, at ${utc(peak.start)}` : "") +
      `. This hour so far: ${last.down.toLocaleString("en")} with an outage, ${last.silent.toLocaleString("en")} silent at some point.`
    : "No pings yet.";
}

async function loadFleetDays() {
  const history = await json("/api/fleet/history?days=30", READY);
  document.getElementById("fleet-days").replaceChildren(...history.days.map(dayCell));
}

// ---- store page -------------------------------------------------------------------------------

async function storePage() {
  const id = document.getElementById("store-id").textContent;
  const path = `/api/stores/${encodeURIComponent(id)}`;
  header().catch(showError);
  const [store, profile, listed, svg, history] = await Promise.all([
    json(path),
    json(`${path}/profile`),
    json(`${path}/outages`),
    api(`${path}/timeline.svg`).then((response) => response.text()),
    json(`${path}/history?days=90`),
  ]);
  document.getElementById("days").replaceChildren(...history.days.map(dayCell));
  document.getElementById("days-summary").textContent = history.days.length
    ? `Up ${uptimeOf(history.days.slice(-30))} of business time over the last 30 days, ` +
      `${uptimeOf(history.days)} over the ${history.days.length} days since ${history.days[0].date}.`
    : "No history yet.";
  document.getElementById("closures").textContent = profile.closures.length
    ? profile.closures
        .map((c) => `${c.start_date}${c.end_date !== c.start_date ? ` to ${c.end_date}` : ""}${c.reason ? ` (${c.reason})` : ""}`)
        .join("; ")
    : "none";
  document.getElementById("status").replaceChildren(
    standingBadge(store.standing),
    store.standing === "closed" || store.standing === "silent"
      ? ` (its last ping said ${store.status === "active" ? "up" : "down"})`
      : "",
  );
  document.getElementById("last-ping").textContent = utc(store.last_ping);
  const zone = profile.effective_timezone;
  document.getElementById("silent-since").textContent = store.silent_since
    ? `${wallClock(store.silent_since, zone)} (local); its last ping said ${store.status === "active" ? "up" : "down"}`
    : "not silent";
  document.getElementById("timezone").textContent =
    zone + (profile.is_default ? " (default: no profile set)" : "");
  document.getElementById("local-now").textContent = wallClock(store.as_of, zone);
  for (const name of [
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
  ]) {
    document.getElementById(name).textContent = store[name].toFixed(2);
  }
  document.getElementById("timeline").innerHTML = svg;
  const rows = listed.outages.map((outage) =>
    el(
      "tr",
      {},
      el("td", { text: outageStart(outage) }),
      el("td", { text: localClock(outage.ended_at_local) }),
      el("td", { class: "num", text: duration(outage.business_downtime_minutes) }),
    ),
  );
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "3", text: "No outage in business hours this week." })));
  document.querySelector("#store-outages tbody").replaceChildren(...rows);
}

// ---- a store's public status ------------------------------------------------------------------

const STATUS_WORDS = {
  up: "open, and its latest ping says it is working",
  down: "open, and its latest ping says it is not working",
  silent: "open, but nothing heard from it lately",
  closed: "outside its opening hours",
};

function percent(value) {
  return value === null ? "no business hours" : `${value.toFixed(2)} %`;
}

async function statusPage() {
  const id = document.getElementById("store-id").textContent;
  const status = await json(`/api/public/stores/${encodeURIComponent(id)}`);
  document.getElementById("status").replaceChildren(standingBadge(status.standing), `: ${STATUS_WORDS[status.standing]}`);
  document.getElementById("status-as-of").textContent = `As of ${wallClock(status.as_of, status.timezone)}, the store's time.`;
  document.getElementById("percent-day").textContent = percent(status.uptime_percent_last_day);
  document.getElementById("percent-week").textContent = percent(status.uptime_percent_last_week);
  document.getElementById("days").replaceChildren(...status.days.map(dayCell));
  document.getElementById("status-zone").textContent = status.timezone;
  document.getElementById("hours").replaceChildren(...status.hours.map((line) => el("li", { text: line })));
  const closures = status.closures.map((c) =>
    el("li", { text: `${c.start_date}${c.end_date !== c.start_date ? ` to ${c.end_date}` : ""}${c.reason ? ` (${c.reason})` : ""}` }),
  );
  if (!closures.length) closures.push(el("li", { class: "none", text: "None." }));
  document.getElementById("status-closures").replaceChildren(...closures);
}

// ---- reports page -----------------------------------------------------------------------------

// Every report the workers keep, whoever triggered it; reloaded while any is still running.
let reportsReload = null;

async function downloadReport(id) {
  const blob = await (await api(`/api/get_report?report_id=${id}`)).blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `store-uptime-${id}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

function reportRow(report) {
  const csv = el("td");
  if (report.status === "Complete") {
    const button = el("button", { type: "button", text: "Download CSV" });
    button.addEventListener("click", () => downloadReport(report.report_id).catch(showError));
    csv.append(button);
  }
  return el(
    "tr",
    { "data-report": report.report_id },
    el("td", { text: report.report_id }),
    el("td", { text: report.as_of ? utc(report.as_of) : "now, once it starts" }),
    el("td", { text: report.status + (report.error ? `: ${report.error}` : "") }),
    el("td", { text: utc(report.created_at) }),
    csv,
  );
}

async function loadReports() {
  clearTimeout(reportsReload);
  const { reports, earliest_as_of: earliest, latest_as_of: latest } = await json("/api/reports");
  document.getElementById("as-of-range").textContent = earliest
    ? `Empty: now, once the report starts. Any instant from ${utc(earliest)} to ${utc(latest)}: the pings kept cover its week.`
    : "No pings yet: there is no instant to report at.";
  const rows = reports.map(reportRow);
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "5", text: "No report kept yet: trigger one." })));
  document.querySelector("#reports tbody").replaceChildren(...rows);
  if (reports.some((report) => report.status === "Running")) {
    reportsReload = setTimeout(() => loadReports().catch(showError), 1000);
  }
}

async function reportsPage() {
  await header();
  await loadReports();
  document.getElementById("trigger-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const value = document.getElementById("as-of").value.trim().replace(" ", "T");
      const asOf = value ? `${value.length === 16 ? `${value}:00` : value}Z` : null;
      await json("/api/trigger_report", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(asOf ? { as_of: asOf } : {}),
      });
      await loadReports();
    } catch (error) {
      showError(error);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  const run = { fleet: fleetPage, store: storePage, reports: reportsPage, status: statusPage }[page];
  const needsToken = document.body.dataset.tokenRequired === "yes" && !token();
  (needsToken ? askForToken() : Promise.resolve())
    .then(run)
    .catch(showError);
});
