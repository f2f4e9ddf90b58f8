// Live queue: replaces the rows when the server sends a new version (Server-Sent Events).
(function () {
  var rows = document.getElementById("queue-rows");
  if (!rows || !window.EventSource) return;
  var live = document.getElementById("live");
  var source = new EventSource(rows.dataset.stream);
  source.addEventListener("file", function (event) { rows.innerHTML = event.data; });
  source.onopen = function () { if (live) live.className = "live on"; };
  source.onerror = function () { if (live) live.className = "live off"; };
})();
