// Optional: keeps "x minutes ago" current while the page stays open. The page is complete
// without it; the build writes the right text at build time.
(function () {
  "use strict";
  function ago(seconds) {
    if (seconds < 60) return "just now";
    var units = [[86400, "day"], [3600, "hour"], [60, "minute"]];
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][0]) {
        var n = Math.floor(seconds / units[i][0]);
        return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "just now";
  }
  function refresh() {
    var items = document.querySelectorAll("time[data-ago]");
    for (var i = 0; i < items.length; i++) {
      var then = Date.parse(items[i].getAttribute("datetime"));
      if (!isNaN(then)) items[i].textContent = ago(Math.max(0, (Date.now() - then) / 1000));
    }
  }
  refresh();
  setInterval(refresh, 30000);
})();
