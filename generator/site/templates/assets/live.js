// Optional: turns the build's absolute "Last checked" times into "3 minutes ago" and, when the
// newest sample is older than the page's threshold, switches the banner to "Status unknown"
// and prefixes the page's title with "Stale · ".
// The build cannot do that for a page nobody rebuilds (a stopped schedule); the visitor's
// clock can. Without this script the page stays true: its times are absolute.
(function () {
  "use strict";
  var STALE = "Stale · ";
  function span(seconds) {
    var units = [[86400, "day"], [3600, "hour"], [60, "minute"]];
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][0]) {
        var n = Math.floor(seconds / units[i][0]);
        return n + " " + units[i][1] + (n === 1 ? "" : "s");
      }
    }
    return "";
  }
  function ago(seconds) {
    return seconds < 60 ? "just now" : span(seconds) + " ago";
  }
  function age(iso) {
    var then = Date.parse(iso);
    return isNaN(then) ? null : Math.max(0, (Date.now() - then) / 1000);
  }
  function relative() {
    var items = document.querySelectorAll("time[data-ago]");
    for (var i = 0; i < items.length; i++) {
      var seconds = age(items[i].getAttribute("datetime"));
      if (seconds === null) continue;
      // the absolute text stays at hand as a tooltip
      if (!items[i].title) items[i].title = items[i].textContent;
      items[i].textContent = ago(seconds);
    }
  }
  function stale() {
    // the index's banner, or a monitor page's heading
    var anchor = document.querySelector("[data-newest]");
    if (!anchor) return;
    var seconds = age(anchor.getAttribute("data-newest"));
    var limit = Number(anchor.getAttribute("data-stale-after"));
    if (seconds === null || !(seconds > limit)) return;
    var words = "no check for " + span(seconds);
    var banner = anchor.classList.contains("banner") ? anchor : null;
    var kind = anchor.getAttribute("data-kind");
    if (banner && (kind === "none" || kind === "maintenance" || kind === "unknown")) {
      // nothing known is wrong, so green would be a guess: say it is unknown (icon and words)
      banner.className = "banner b-unknown";
      banner.querySelector(".banner-words").textContent = "Status unknown: " + words;
    }
    var note = document.querySelector(".stale");
    if (!note) {
      note = document.createElement("p");
      note.className = "stale";
      note.setAttribute("role", "note");
      anchor.parentNode.insertBefore(note, anchor.nextSibling);
    }
    note.innerHTML = '<span class="ic" aria-hidden="true"></span><span><strong></strong> ' +
      "Checks may have stopped running, so this page may not show current problems.</span>";
    note.querySelector("strong").textContent = "Heads up: " + words + ".";
    // the tab's title says it too: a page left open in a background tab is read by its title
    if (document.title.indexOf(STALE) !== 0) document.title = STALE + document.title;
  }
  function refresh() {
    relative();
    stale();
  }
  // the index writes its 50 bars without a tab stop per day (the page's weight): add them
  var days = document.querySelectorAll(".bar li:not([tabindex])");
  for (var d = 0; d < days.length; d++) days[d].tabIndex = 0;
  refresh();
  setInterval(refresh, 30000);
})();
