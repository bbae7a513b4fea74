"use strict";
// What members said (and their names) is put in with textContent and text nodes only: never parsed as HTML.
const audio = document.getElementById("replay");
const list = document.getElementById("transcript");
const note = document.getElementById("transcript-note");
const chapterList = document.getElementById("chapters");
const chaptersPanel = document.getElementById("chapters-panel");
const searchBox = document.getElementById("search-box");
const search = document.getElementById("search");
const searchStatus = document.getElementById("search-status");
let lines = [];
let chapters = [];
let lit = null;
let litChapter = null;

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds + 0.005));  // 2.9995 (stored times' rounding) reads 00:03
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function humanLength(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
  return m ? `${m} min ${String(s).padStart(2, "0")} s` : `${s} s`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, at, ...parts) {
  const item = document.createElement("li");
  const control = element("button", className);
  control.type = "button";
  control.append(...parts);
  item.appendChild(control);
  item.dataset.at = String(at);
  // On the item, so a click anywhere on it (and Enter or Space on its button, which click it) seeks.
  item.addEventListener("click", () => seek(at));
  return { item, control };
}

function seek(seconds) {
  audio.currentTime = seconds;
  follow();
  audio.play().catch(() => {});  // a browser that refuses to autoplay still moves the position
}

function showLines(found) {
  lines = found.map(line => {
    const name = element("span", "name", line.name), said = element("span", "said", line.text);
    const { item } = button("line", line.at, element("span", "at", `[${clock(line.at)}]`), " ", name, ": ", said);
    list.appendChild(item);
    return { at: line.at, item, name, said, nameText: line.name, text: line.text };
  });
  note.textContent = lines.length ? "Choose a line to listen from there." : "Nothing said in this replay was transcribed.";
  searchBox.hidden = lines.length === 0;
  follow();
}

function showChapters(found) {
  chapters = found.map(chapter => {
    const { item, control } = button("chapter", chapter.at,
      element("span", "at", clock(chapter.at)), " ", element("span", "keyword", chapter.keyword));
    chapterList.appendChild(item);
    return { at: chapter.at, item, control };
  });
  chaptersPanel.hidden = chapters.length === 0;
  follow();
}

function playing(entries) {
  // The entry being heard: the last one that began at or before the position.
  let current = null;
  for (const entry of entries) {
    if (entry.at <= audio.currentTime + 0.05) current = entry; else break;
  }
  return current;
}

function reveal(item) {
  // Scrolls the transcript's own box only: the page stays where the reader put it.
  if (item.hidden) return;
  const top = item.offsetTop, bottom = top + item.offsetHeight;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
}

function follow() {
  const current = playing(lines);
  if (current !== lit) {
    if (lit) lit.item.classList.remove("current");
    lit = current;
    if (lit) { lit.item.classList.add("current"); reveal(lit.item); }
  }
  const chapter = playing(chapters);
  if (chapter !== litChapter) {
    if (litChapter) litChapter.control.removeAttribute("aria-current");
    litChapter = chapter;
    if (litChapter) litChapter.control.setAttribute("aria-current", "true");
  }
}

function escapeRegExp(word) {
  return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function highlight(target, text, pattern) {
  // Text nodes and <mark> elements, each given its text: a phrase that looks like HTML stays text.
  target.replaceChildren();
  let from = 0;
  for (const found of pattern ? text.matchAll(pattern) : []) {
    if (found.index > from) target.append(text.slice(from, found.index));
    target.append(element("mark", "", found[0]));
    from = found.index + found[0].length;
  }
  if (from < text.length) target.append(text.slice(from));
}

function filter() {
  // Every word typed must appear in the line (its speaker or what they said), in any case.
  const words = search.value.split(/\s+/).filter(Boolean).map(escapeRegExp);
  const each = words.map(word => new RegExp(word, "iu"));
  const longestFirst = [...words].sort((a, b) => b.length - a.length);
  const any = words.length ? new RegExp(longestFirst.join("|"), "giu") : null;
  let shown = 0;
  for (const line of lines) {
    const matches = each.every(word => word.test(`${line.nameText}\n${line.text}`));
    line.item.hidden = !matches;
    if (matches) shown++;
    highlight(line.name, line.nameText, any);
    highlight(line.said, line.text, any);
  }
  searchStatus.textContent = !words.length ? "" : shown === 1 ? "1 match" : `${shown || "No"} matches`;
  if (lit) reveal(lit.item);
}

function localDate() {
  // The server writes UTC; the reader sees their own locale and time zone.
  const when = document.getElementById("when");
  const date = when ? new Date(when.dateTime) : null;
  if (!date || Number.isNaN(date.getTime())) return;
  when.textContent = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "long", year: "numeric",
    hour: "numeric", minute: "2-digit", timeZoneName: "short",
  }).format(date);
}

function pictures() {
  // A picture that can't load (Discord's CDN unreachable) gives way to the initials beside it.
  for (const image of document.querySelectorAll("img[data-fallback]")) {
    const fallback = () => { image.hidden = true; image.nextElementSibling.hidden = false; };
    if (image.complete && image.naturalWidth === 0) fallback();
    else image.addEventListener("error", fallback, { once: true });
  }
}

function startAt() {
  // ?t=SECONDS in the link: a search hit opens the replay at that moment.
  const t = Number(new URLSearchParams(location.search).get("t"));
  if (!Number.isFinite(t) || t <= 0) return;
  const go = () => { audio.currentTime = t; follow(); };
  if (audio.readyState >= 1) go(); else audio.addEventListener("loadedmetadata", go, { once: true });
}

function lengthFromPlayer() {
  const length = document.getElementById("length");
  if (length && !length.textContent && Number.isFinite(audio.duration)) length.textContent = humanLength(audio.duration);
}

audio.addEventListener("timeupdate", follow);
audio.addEventListener("seeked", follow);
audio.addEventListener("loadedmetadata", lengthFromPlayer);
if (audio.readyState >= 1) lengthFromPlayer();
search.addEventListener("input", filter);
search.addEventListener("keydown", event => {
  if (event.key !== "Escape" || !search.value) return;
  event.preventDefault();
  search.value = "";
  filter();
});
localDate();
pictures();
startAt();
fetch(list.dataset.src, { cache: "no-store", referrerPolicy: "no-referrer" })
  .then(response => response.ok ? response.json() : Promise.reject(response.status))
  .then(body => { showLines(body.lines || []); showChapters(body.chapters || []); })
  .catch(() => { note.textContent = "The transcript could not be loaded."; });
